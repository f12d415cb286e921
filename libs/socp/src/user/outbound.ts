/**
 * What a user sends, as drafts (draft.ts): /tell, /all, files, receipts, queue ACKs. Every piece
 * of content is RSA-OAEP under the recipient's key, with a content_sig in the variant and a
 * `sender_pub` in the encoding the recipient verifies (dialect.ts; variant C and b64url DER
 * unless it showed another); every frame is sealed with the user's key ([profile]: clients
 * sign every frame). Time and randomness are inputs (S1).
 */
import { MAX_FILE_CHUNK_BLOCKS, OAEP_MAX_PLAINTEXT_BYTES } from '../constants';
import { b64urlEncode } from '../encoding/base64url';
import { hopAckFrame } from '../wire/acks';
import type { RsaPublicKey } from '../crypto/keys';
import type { UnsignedFrame } from '../wire/envelope';
import type { FileStartPayload, FrameType, PayloadMap } from '../messages';
import { PROFILE_DIALECT, type Dialect } from './dialect';
import { fileAckText } from './file-acks';
import { encryptBlocks } from './file-blocks';
import { splitMessage } from './message-parts';
import { receiptText } from './receipts';
import type { Draft } from './draft';

/** Who sends: our user id, and our key (only its public half is read here; sealing signs). */
export interface Sender { readonly userId: string; readonly key: { readonly publicKey: RsaPublicKey } }
/** Who receives: their id and key, and the dialect they showed (absent: the profile's). */
export interface Recipient { userId: string; key: RsaPublicKey; dialect?: Dialect }
/** For builders of several frames: each frame's time, and the random id of a split message. */
export interface OutboundCtx { clock: () => number; random: (n: number) => Buffer }

type ContentType = 'MSG_DIRECT' | 'MSG_PUBLIC_CHANNEL' | 'FILE_CHUNK';

/**
 * One piece of content: `encrypted` (to `to`), `sender_pub` in its dialect, the content_sig
 * to come over (ciphertext, us, them, ts) — or, in the public form, without `them`.
 */
function contentDraft<T extends ContentType>(type: T, me: Sender, to: Recipient, ts: number, encrypted: Buffer, form: 'dm' | 'public', extra: object): Draft<T> {
  const d = to.dialect ?? PROFILE_DIALECT;
  const pub = me.key.publicKey;
  const ciphertext = b64urlEncode(encrypted);
  const payload = { ...extra, ciphertext, sender_pub: d.pemSenderPub ? pub.toPemBase64Url() : pub.b64url };
  return {
    frame: { type, from: me.userId, to: to.userId, ts, payload: payload as unknown as PayloadMap[T] },
    content: { input: { ciphertext, from: me.userId, to: form === 'dm' ? to.userId : undefined, ts }, variant: d.variant },
  };
}

const plainDraft = <T extends FrameType>(type: T, me: Sender, to: string, ts: number, payload: PayloadMap[T]): Draft<T> => ({ frame: { type, from: me.userId, to, ts, payload } });

/** One MSG_DIRECT of ≤446 plaintext bytes; `receipts` asks the recipient's client for an end-to-end receipt (receipts.ts). */
export function directDraft(me: Sender, to: Recipient, plain: Buffer, ts: number, receipts = false): Draft<'MSG_DIRECT'> {
  return contentDraft('MSG_DIRECT', me, to, ts, to.key.encrypt(plain), 'dm', receipts ? { receipts: true } : {});
}

/** /tell: one MSG_DIRECT per part of the text (message-parts.ts). Throws RangeError past MAX_MESSAGE_PARTS. */
export function directDrafts(me: Sender, to: Recipient, text: string, ctx: OutboundCtx, receipts = false): Array<Draft<'MSG_DIRECT'>> {
  return splitMessage(text, ctx.random(4).toString('hex')).map((plain) => directDraft(me, to, plain, ctx.clock(), receipts));
}

/** The receipt for one DM part (it never asks for a receipt itself). */
export function receiptDraft(me: Sender, to: Recipient, ref: string, ts: number): Draft<'MSG_DIRECT'> {
  return directDraft(me, to, Buffer.from(receiptText(ref), 'utf8'), ts);
}

/** One MSG_PUBLIC_CHANNEL to one recipient: `to` = them, group_id "public", public content_sig form. */
export function publicDraft(me: Sender, to: Recipient, plain: Buffer, ts: number): Draft<'MSG_PUBLIC_CHANNEL'> {
  return contentDraft('MSG_PUBLIC_CHANNEL', me, to, ts, to.key.encrypt(plain), 'public', { group_id: 'public' });
}

/** /all: one MSG_PUBLIC_CHANNEL per recipient and part. */
export function publicDrafts(me: Sender, recipients: readonly Recipient[], text: string, ctx: OutboundCtx): Array<Draft<'MSG_PUBLIC_CHANNEL'>> {
  const parts = splitMessage(text, ctx.random(4).toString('hex'));
  return recipients.flatMap((r) => parts.map((plain) => publicDraft(me, r, plain, ctx.clock())));
}

/** FILE_START: the manifest (base name, size, SHA-256, mode "dm"); it carries no content_sig (§10.4). */
export function fileStartDraft(me: Sender, to: Recipient, manifest: FileStartPayload, ts: number): Draft<'FILE_START'> {
  return plainDraft('FILE_START', me, to.userId, ts, manifest);
}

/** OAEP blocks per FILE_CHUNK `to` takes: MAX_FILE_CHUNK_BLOCKS if it declared `file-blocks` (dialect.ts), else 1 (the standard). */
export const fileBlocksOf = (to: Recipient): number => Math.min(MAX_FILE_CHUNK_BLOCKS, Math.max(1, to.dialect?.fileBlocks ?? 1));
/** Plaintext bytes per FILE_CHUNK to `to`: its blocks × 446 (what a sender cuts a file into). */
export const fileChunkBytes = (to: Recipient): number => fileBlocksOf(to) * OAEP_MAX_PLAINTEXT_BYTES;

/**
 * One FILE_CHUNK: OAEP under the recipient's key — one block of ≤446 bytes, or, to a recipient
 * that takes them, up to MAX_FILE_CHUNK_BLOCKS blocks concatenated (file-blocks.ts) — with one
 * content_sig in the DM form over the whole ciphertext. Throws RangeError for more plaintext
 * than the recipient's chunks hold (fileChunkBytes).
 */
export function fileChunkDraft(me: Sender, to: Recipient, fileId: string, index: number, plain: Buffer, ts: number): Draft<'FILE_CHUNK'> {
  return contentDraft('FILE_CHUNK', me, to, ts, encryptBlocks(to.key, plain, fileBlocksOf(to)), 'dm', { file_id: fileId, index, sender: me.userId });
}

/** The ack of a multi-block transfer's progress (file-acks.ts): a DM to its sender, `next` chunks in order so far. */
export function fileAckDraft(me: Sender, to: Recipient, fileId: string, next: number, ts: number): Draft<'MSG_DIRECT'> {
  return directDraft(me, to, Buffer.from(fileAckText(fileId, next), 'utf8'), ts);
}

export function fileEndDraft(me: Sender, to: Recipient, fileId: string, ts: number): Draft<'FILE_END'> {
  return plainDraft('FILE_END', me, to.userId, ts, { file_id: fileId });
}

/** The ACK of a batch of queue refs (1..MAX_ACK_REFS) to our server, in the hop-ACK form (docs/accounts.md). */
export function queueAckDraft(me: Sender, serverId: string, refs: readonly string[], ts: number): Draft<'ACK'> {
  return { frame: hopAckFrame(me.userId, serverId, refs, ts) as UnsignedFrame<'ACK'> };
}

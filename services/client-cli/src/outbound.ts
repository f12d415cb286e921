/**
 * The sending half, sans I/O: builds the signed frames for /tell, /all and /file. Every frame
 * is sealed with the user's key (transport sig; [profile] clients sign every frame), every
 * piece of content is RSA-OAEP under the recipient's key with a content_sig in the variant the
 * recipient verifies (dialect.ts; variant C and a DER sender_pub unless it showed another).
 * Signing runs on the threadpool (signAsync) so the terminal stays responsive.
 */
import {
  b64urlEncode, sealFrameAsync, signContentAsync, splitMessage, receiptText, PROFILE_DIALECT, type Dialect,
  type ContentSigInput, type Frame, type FileStartPayload, type FrameType, type PayloadMap, type RsaPublicKey,
} from '@socp/protocol';
import type { Me } from './inbound';
import { randomBytes } from 'node:crypto';

export interface Recipient { userId: string; key: RsaPublicKey; dialect?: Dialect }

/** content_sig and sender_pub for one piece of content, in the recipient's dialect. */
async function signFor(me: Me, to: Recipient, input: ContentSigInput): Promise<{ sender_pub: string; content_sig: string }> {
  const d = to.dialect ?? PROFILE_DIALECT;
  const pub = me.key.publicKey;
  return { sender_pub: d.pemSenderPub ? pub.toPemBase64Url() : pub.b64url, content_sig: await signContentAsync(me.key, input, d.variant) };
}

function seal<T extends FrameType>(me: Me, type: T, to: string, ts: number, payload: PayloadMap[T]): Promise<Frame> {
  return sealFrameAsync({ type, from: me.userId, to, ts, payload }, me.key) as Promise<Frame>;
}

/**
 * MSG_DIRECT frames (one per OAEP block; see message-parts for the split rule). With `receipts`
 * each asks the recipient's client for an end-to-end receipt (payload `receipts: true`, receipts.ts).
 */
export async function directFrames(me: Me, to: Recipient, text: string, clock: () => number = Date.now, receipts = false): Promise<Frame[]> {
  const out: Frame[] = [];
  for (const plain of splitMessage(text, randomBytes(4).toString('hex'))) out.push(await directFrame(me, to, plain, clock(), receipts));
  return out;
}

async function directFrame(me: Me, to: Recipient, plain: Buffer, ts: number, receipts: boolean): Promise<Frame> {
  const ciphertext = b64urlEncode(to.key.encrypt(plain));
  const payload = { ciphertext, ...(await signFor(me, to, { ciphertext, from: me.userId, to: to.userId, ts })) };
  return seal(me, 'MSG_DIRECT', to.userId, ts, receipts ? { ...payload, receipts: true } : payload);
}

/** The receipt for one DM part (never asks for a receipt itself). */
export function receiptFrame(me: Me, to: Recipient, ref: string, clock: () => number = Date.now): Promise<Frame> {
  return directFrame(me, to, Buffer.from(receiptText(ref), 'utf8'), clock(), false);
}

/** /all: one MSG_PUBLIC_CHANNEL per recipient and part, `to` = recipient, group_id "public", public content_sig form. */
export async function publicFrames(me: Me, recipients: readonly Recipient[], text: string, clock: () => number = Date.now): Promise<Frame[]> {
  const parts = splitMessage(text, randomBytes(4).toString('hex'));
  const out: Frame[] = [];
  for (const r of recipients) {
    for (const plain of parts) {
      const ts = clock();
      const ciphertext = b64urlEncode(r.key.encrypt(plain));
      out.push(await seal(me, 'MSG_PUBLIC_CHANNEL', r.userId, ts, { ciphertext, ...(await signFor(me, r, { ciphertext, from: me.userId, ts })), group_id: 'public' }));
    }
  }
  return out;
}

export function fileStartFrame(me: Me, to: Recipient, manifest: FileStartPayload, ts: number): Promise<Frame> {
  return seal(me, 'FILE_START', to.userId, ts, manifest);
}

/** One FILE_CHUNK: ≤446 plaintext bytes, OAEP under the recipient key, content_sig (DM form) over the chunk ciphertext. */
export async function fileChunkFrame(me: Me, to: Recipient, fileId: string, index: number, plain: Buffer, ts: number): Promise<Frame> {
  const ciphertext = b64urlEncode(to.key.encrypt(plain));
  return seal(me, 'FILE_CHUNK', to.userId, ts, { file_id: fileId, index, ciphertext, sender: me.userId, ...(await signFor(me, to, { ciphertext, from: me.userId, to: to.userId, ts })) });
}

export function fileEndFrame(me: Me, to: Recipient, fileId: string, ts: number): Promise<Frame> {
  return seal(me, 'FILE_END', to.userId, ts, { file_id: fileId });
}

/** The envelope `to` of a USER_HELLO: the server id pinned for that URL, else `"*"` (who we talk to is not known yet). */
export const helloTo = (pinnedServerId: string | undefined): string => pinnedServerId ?? '*';

/**
 * USER_HELLO, signed, claiming `name` via meta (docs/contracts.md). The payload repeats the
 * envelope's type, sender, recipient and time in `bind` (extension, docs/protocol.md): the
 * transport sig covers only the payload, so this makes the signature fresh and bound to this
 * hello — a server requires it for a user id already bound to a key. `keyFormat` `pem` sends our
 * key as PEM-b64url, for peers that read only that (SOCP_KEY_FORMAT).
 */
export function helloFrame(me: Me, to: string, ts: number, nonce?: string, keyFormat: 'der' | 'pem' = 'der'): Promise<Frame> {
  const pub = keyFormat === 'pem' ? me.key.publicKey.toPemBase64Url() : me.key.publicKey.b64url;
  // queue_ack: we acknowledge queued DMs, so our server keeps each until we have it (queue-acks.ts).
  const payload = {
    client: 'socp-cli/0.1', pubkey: pub, enc_pubkey: pub, meta: { display_name: me.name, username: me.name }, queue_ack: true,
    bind: { type: 'USER_HELLO', from: me.userId, to, ts },
  };
  // An account user's hello signs the server's login nonce (docs/accounts.md).
  return seal(me, 'USER_HELLO', to, ts, nonce === undefined ? payload : { ...payload, nonce });
}

/**
 * File transfers that arrive (SPEC.md §10.4 [profile]): FILE_START from a rostered sender opens
 * one (incoming-files.ts bounds them), each FILE_CHUNK is checked and decrypted (every one of its
 * OAEP blocks: docs/protocol.md "Multi-block file chunks"), FILE_END keeps the file only when
 * size and SHA-256 match the manifest. The bytes go to the client in `file-data` events; it
 * keeps them on its disk. A multi-block transfer is acknowledged to its sender as it goes.
 */
import { verifyContent } from '../crypto/content-sig';
import type { RsaPublicKey } from '../crypto/keys';
import type { FileChunkPayload, FileStartPayload } from '../messages';
import { refById, shownRef, warn, type UserEvent } from './events';
import { emptyStep, type UserStep } from './effects';
import { senderKey } from './content';
import { splitBlocks } from './file-blocks';
import type { Transfer } from './incoming-files';
import { fileAckDraft } from './outbound';
import { labelOf } from './roster';
import type { UserState } from './state';

export function fileStart(state: UserState, sender: string, p: FileStartPayload, now: number): UserEvent[] {
  const entry = state.roster.get(sender);
  if (!entry) return [warn('USER_NOT_FOUND', `file offer from unknown user ${sender} refused`)];
  const r = state.files.start(sender, p, now);
  if (!r.ok) return [warn('FILE_REFUSED', `file ${JSON.stringify(p.name.slice(0, 64))} from ${labelOf(entry)} refused: ${r.reason}`)];
  return [{ event: 'file-offered', transfer: r.transfer, from: shownRef(state.roster, entry) }];
}

/**
 * A FILE_CHUNK that passed its checks, to be decrypted: whose, which, and its OAEP blocks. The
 * decrypting is the costly part (one private-key operation per block), so a shell may do it off
 * its event loop (RsaPrivateKey.decryptAsync) between checkFileChunk and takeFileChunk;
 * fileChunk does all three at once.
 */
export interface ChunkToOpen {
  readonly sender: string;
  readonly fileId: string;
  readonly index: number;
  readonly blocks: readonly Buffer[];
  /** It carried a content_sig, verified under `senderKey` (the spec form carries none). */
  readonly signed: boolean;
  /** The key its content_sig verified under: an ack (file-acks.ts) goes out under it. */
  readonly senderKey: RsaPublicKey | undefined;
}

export type ChunkCheck = { events: UserEvent[] } | { open: ChunkToOpen };

const chunkFailed = (state: UserState, t: Transfer, detail: string): UserEvent[] => {
  state.files.end(t.sender, t.fileId);
  return [{ event: 'file-failed', transfer: t, reason: 'invalid-chunk', detail }];
};

/**
 * A chunk with a content_sig must verify under the sender's key (content.ts, steps 1–3). The
 * spec form `{file_id, index, ciphertext}` carries none (issue 14.2): it is taken, but the
 * transfer is marked "sender not verified" — only the manifest's size and SHA-256 (vouched for
 * by our server's signature, not the sender's) then hold the file together. Its ciphertext must
 * be one block, or whole 512-byte blocks up to MAX_FILE_CHUNK_BLOCKS (file-blocks.ts). A chunk
 * that fails any check fails its transfer.
 */
export function checkFileChunk(state: UserState, sender: string, p: FileChunkPayload, ts: number, now: number): ChunkCheck {
  const t = state.files.get(sender, p.file_id);
  if (!t) return { events: [] };
  let senderPub: RsaPublicKey | undefined;
  if (p.content_sig !== undefined) {
    const s = senderKey(state, sender, p.sender_pub, 'file chunk', now);
    if ('event' in s) return { events: chunkFailed(state, t, s.detail) };
    const variant = verifyContent(s.entry.key, { ciphertext: p.ciphertext, from: sender, to: state.me.userId, ts }, p.content_sig);
    if (!variant) return { events: chunkFailed(state, t, 'a chunk failed its signature check') };
    state.dialects.sawContent(sender, variant, p.sender_pub);
    senderPub = s.entry.key;
  }
  const blocks = splitBlocks(p.ciphertext);
  if (typeof blocks === 'string') return { events: chunkFailed(state, t, `chunk ${p.index} refused: ${blocks}`) };
  return { open: { sender, fileId: p.file_id, index: p.index, blocks, signed: senderPub !== undefined, senderKey: senderPub } };
}

/**
 * The decrypted blocks of a checked chunk (`plain`: one per block, in order; undefined: a block
 * did not decrypt, which fails the transfer). Its bytes in order, and for a multi-block
 * transfer the ack that is due (file-acks.ts).
 */
export function takeFileChunk(state: UserState, c: ChunkToOpen, plain: readonly Buffer[] | undefined, now: number): UserStep {
  const step = emptyStep();
  const t = state.files.get(c.sender, c.fileId);
  if (!t) return step; // ended meanwhile (link lost, idle)
  if (plain === undefined || plain.length !== c.blocks.length) return { events: chunkFailed(state, t, `chunk ${c.index} could not be decrypted`), effects: [] };
  const r = state.files.chunk(c.sender, c.fileId, c.index, plain.length === 1 ? plain[0]! : Buffer.concat(plain), now, c.signed, c.blocks.length);
  if (!r.ok) return { events: r.transfer ? [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason }] : [], effects: [] };
  if (r.append.length) step.events.push({ event: 'file-data', transfer: r.transfer, append: r.append });
  const key = c.senderKey; // unsigned (spec-form) chunks are never multi-block from us: no ack
  const next = key === undefined ? undefined : state.files.ackDue(r.transfer);
  if (key !== undefined && next !== undefined) {
    const to = { userId: c.sender, key, dialect: state.dialects.for(c.sender) };
    step.effects.push({ kind: 'send', drafts: [fileAckDraft(state.me, to, c.fileId, next, now)] });
  }
  return step;
}

/** Decrypt every block now (a private-key operation each, on this thread); undefined if one fails. */
function decryptAll(state: UserState, blocks: readonly Buffer[]): Buffer[] | undefined {
  try {
    return blocks.map((b) => state.me.key.decrypt(b));
  } catch {
    return undefined;
  }
}

/** A FILE_CHUNK checked, decrypted and taken at once. */
export function fileChunk(state: UserState, sender: string, p: FileChunkPayload, ts: number, now: number): UserStep {
  const c = checkFileChunk(state, sender, p, ts, now);
  if ('events' in c) return { events: c.events, effects: [] };
  return takeFileChunk(state, c.open, decryptAll(state, c.open.blocks), now);
}

export function fileEnd(state: UserState, sender: string, fileId: string): UserEvent[] {
  const r = state.files.end(sender, fileId);
  if (r.ok) return [{ event: 'file-received', transfer: r.transfer, from: refById(state.roster, sender) }];
  if (!r.transfer) return [];
  return [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason === 'sha256-mismatch' ? 'SHA-256 does not match the manifest' : 'size does not match the manifest' }];
}

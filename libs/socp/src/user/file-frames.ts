/**
 * File transfers that arrive (SPEC.md §10.4 [profile]): FILE_START from a rostered sender opens
 * one (incoming-files.ts bounds them), each FILE_CHUNK is checked and decrypted, FILE_END keeps
 * the file only when size and SHA-256 match the manifest. The bytes go to the client in
 * `file-data` events; it keeps them on its disk.
 */
import { verifyContent } from '../crypto/content-sig';
import type { FileChunkPayload, FileStartPayload } from '../messages';
import { refById, shownRef, warn, type UserEvent } from './events';
import { senderKey } from './content';
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
 * A chunk with a content_sig must verify under the sender's key (content.ts, steps 1–3). The
 * spec form `{file_id, index, ciphertext}` carries none (issue 14.2): it is taken, but the
 * transfer is marked "sender not verified" — only the manifest's size and SHA-256 (vouched for
 * by our server's signature, not the sender's) then hold the file together.
 */
export function fileChunk(state: UserState, sender: string, p: FileChunkPayload, ts: number, now: number): UserEvent[] {
  const t = state.files.get(sender, p.file_id);
  if (!t) return [];
  const failed = (detail: string): UserEvent[] => {
    state.files.end(sender, p.file_id);
    return [{ event: 'file-failed', transfer: t, reason: 'invalid-chunk', detail }];
  };
  const signed = p.content_sig !== undefined;
  if (p.content_sig !== undefined) {
    const s = senderKey(state, sender, p.sender_pub, 'file chunk', now);
    if ('event' in s) return failed(s.detail);
    const variant = verifyContent(s.entry.key, { ciphertext: p.ciphertext, from: sender, to: state.me.userId, ts }, p.content_sig);
    if (!variant) return failed('a chunk failed its signature check');
    state.dialects.sawContent(sender, variant, p.sender_pub);
  }
  let plain: Buffer;
  try {
    plain = state.me.key.decrypt(Buffer.from(p.ciphertext, 'base64url'));
  } catch {
    return failed('a chunk could not be decrypted');
  }
  const r = state.files.chunk(sender, p.file_id, p.index, plain, now, signed);
  if (!r.ok) return r.transfer ? [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason }] : [];
  return r.append.length ? [{ event: 'file-data', transfer: r.transfer, append: r.append }] : [];
}

export function fileEnd(state: UserState, sender: string, fileId: string): UserEvent[] {
  const r = state.files.end(sender, fileId);
  if (r.ok) return [{ event: 'file-received', transfer: r.transfer, from: refById(state.roster, sender) }];
  if (!r.transfer) return [];
  return [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason === 'sha256-mismatch' ? 'SHA-256 does not match the manifest' : 'size does not match the manifest' }];
}

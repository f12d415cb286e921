/**
 * Flow control of multi-block file transfers (docs/protocol.md "Multi-block file chunks"), sans
 * I/O. A multi-block chunk costs its receiver up to MAX_FILE_CHUNK_BLOCKS private-key decrypts
 * and its sender two signatures, so a sender would outrun its receiver several times over, and
 * the backlog would pile up at the receiver's server until it closes the receiver as a slow
 * consumer (8 MiB, MAX_OUTBOUND_BUFFER_BYTES). So the receiver of a multi-block transfer
 * acknowledges its progress end to end, and the sender keeps at most FILE_WINDOW_CHUNKS chunks
 * beyond the last acknowledgement:
 *
 *  - the ack is a MSG_DIRECT to the sender (routed by any server, like a receipt, receipts.ts)
 *    whose plaintext is `socp-file-ack/1 <file_id> <next>`, `next` = the chunks received in order
 *    so far; RSA-OAEP to the sender and content-signed by the receiver, so no server forges it;
 *  - the receiver sends one each time `next` has grown by FILE_ACK_EVERY_CHUNKS since its last,
 *    and only for transfers that arrive multi-block (only senders that declared `file-blocks`
 *    send those, so only they get acks);
 *  - a sender waiting FILE_ACK_TIMEOUT_MS for the window to move gives the transfer up.
 * Spec-only recipients get single-block chunks, no window, and send nothing: as before.
 */
import { UUID_ANYCASE_RE } from '../messages/schema';

export const FILE_ACK_PREFIX = 'socp-file-ack/1 ';
/** A receiver acknowledges each time this many more chunks arrived in order (≤ FILE_WINDOW_CHUNKS, or the sender stalls). */
export const FILE_ACK_EVERY_CHUNKS = 8;
/**
 * Chunks a sender keeps unacknowledged: 32 multi-block chunks ≈ 440 KB of frames in flight, ~0.3 s
 * of a 2-core receiver's decrypting, far longer than an ack's round trip (its two signatures and
 * the servers' two); each ack costs 5 private operations per 8 chunks (≈ 3 % of a chunk's 20).
 */
export const FILE_WINDOW_CHUNKS = 32;
/** A sender whose window has not moved for this long stops the transfer (the receiver refused it, left, or fell silent). */
export const FILE_ACK_TIMEOUT_MS = 30_000;

export interface FileAck { fileId: string; next: number }

export const fileAckText = (fileId: string, next: number): string => `${FILE_ACK_PREFIX}${fileId} ${next}`;

export function parseFileAck(text: string): FileAck | undefined {
  if (!text.startsWith(FILE_ACK_PREFIX)) return undefined;
  const [fileId, next, ...rest] = text.slice(FILE_ACK_PREFIX.length).split(' ');
  if (rest.length > 0 || fileId === undefined || !UUID_ANYCASE_RE.test(fileId) || next === undefined || !/^\d{1,8}$/.test(next)) return undefined;
  return { fileId, next: Number(next) };
}

/** The sender's side: how far the receiver acknowledged one transfer, and whether chunk `index` may go now. */
export class SendWindow {
  private acked = 0;

  constructor(readonly size = FILE_WINDOW_CHUNKS) {}

  /** An ack saying `next` chunks arrived in order; acks never move the window back. */
  ack(next: number): void {
    this.acked = Math.max(this.acked, next);
  }

  admits(index: number): boolean {
    return index < this.acked + this.size;
  }
}

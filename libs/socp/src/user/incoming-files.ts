/**
 * Reassembly of received files (SPEC.md §10.4 [profile]), pure: chunks whose signature and
 * key the caller already checked go in; in-order bytes to append come out, so memory holds
 * at most MAX_OUT_OF_ORDER_CHUNKS chunks per transfer and disk writing stays in the client.
 * A transfer is kept only if the byte count equals the manifest `size` and the SHA-256 of
 * the bytes equals its `sha256`. Bounds: MAX_FILE_BYTES per file, MAX_CONCURRENT_TRANSFERS
 * open at once, FILE_TRANSFER_IDLE_MS without a chunk and it is dropped, and out-of-order chunks
 * buffered up to MAX_OUT_OF_ORDER_CHUNKS and MAX_OUT_OF_ORDER_BYTES (a multi-block chunk holds
 * up to MAX_FILE_CHUNK_BLOCKS × 446 bytes: the byte bound keeps memory where it was).
 */
import { FILE_TRANSFER_IDLE_MS, MAX_CONCURRENT_TRANSFERS, MAX_FILE_BYTES } from '../constants';
import { sha256, sha256Stream, type Sha256Stream } from '../crypto/keys';
import type { FileStartPayload } from '../messages';
import { MAX_OUT_OF_ORDER_BYTES, MAX_OUT_OF_ORDER_CHUNKS } from './limits';
import { FILE_ACK_EVERY_CHUNKS } from './file-acks';
import { safeFileName } from './file-names';

export interface Transfer {
  readonly key: string;
  readonly fileId: string;
  readonly sender: string;
  /** Sanitized base name (never a path). */
  readonly name: string;
  /** The name as the sender gave it (for display only, after safeText). */
  readonly offeredName: string;
  readonly size: number;
  readonly sha256: string;
  received: number;
  /** Chunks taken without a content_sig (the spec form): the sender of the file is then not verified. */
  unsignedChunks: number;
  /** A chunk of several OAEP blocks arrived: the sender declared `file-blocks` and paces on our acks (file-acks.ts). */
  multiBlock: boolean;
  /** The `next` of the last ack we sent for it. */
  acked: number;
  nextIndex: number;
  readonly pending: Map<number, Buffer>;
  /** Bytes held in `pending`. */
  pendingBytes: number;
  readonly hash: Sha256Stream;
  lastAt: number;
}

export type FileFailure =
  | 'too-large' | 'too-many-transfers' | 'duplicate-transfer' | 'unknown-transfer'
  | 'size-exceeded' | 'too-many-out-of-order' | 'size-mismatch' | 'sha256-mismatch' | 'idle' | 'disconnected';

export type StartResult = { ok: true; transfer: Transfer } | { ok: false; reason: FileFailure };
export type ChunkResult = { ok: true; transfer: Transfer; append: Buffer[] } | { ok: false; reason: FileFailure; transfer?: Transfer };
export type EndResult = { ok: true; transfer: Transfer } | { ok: false; reason: FileFailure; transfer?: Transfer };

/** The stored name when the offered one leaves nothing usable: derived from the file id, never the id itself (a peer's string). */
export const fallbackName = (fileId: string): string => `file-${sha256(fileId).toString('hex').slice(0, 12)}`;

export const transferKey = (sender: string, fileId: string): string => `${sender}|${fileId}`;

export interface FileLimits { maxBytes: number; maxConcurrent: number; idleMs: number; maxOutOfOrder: number; maxOutOfOrderBytes: number }
const FILE_LIMITS: FileLimits = {
  maxBytes: MAX_FILE_BYTES, maxConcurrent: MAX_CONCURRENT_TRANSFERS, idleMs: FILE_TRANSFER_IDLE_MS,
  maxOutOfOrder: MAX_OUT_OF_ORDER_CHUNKS, maxOutOfOrderBytes: MAX_OUT_OF_ORDER_BYTES,
};

export class IncomingFiles {
  private readonly open = new Map<string, Transfer>();
  private readonly limits: FileLimits;

  /** Limits not given are the constants' (tests pass smaller ones). */
  constructor(limits: Partial<FileLimits> = {}) {
    this.limits = { ...FILE_LIMITS, ...limits };
  }

  /** Transfers open now (never more than maxConcurrent). */
  get size(): number {
    return this.open.size;
  }

  start(sender: string, p: FileStartPayload, now: number): StartResult {
    const key = transferKey(sender, p.file_id);
    if (this.open.has(key)) return { ok: false, reason: 'duplicate-transfer' };
    if (p.size > this.limits.maxBytes) return { ok: false, reason: 'too-large' };
    if (this.open.size >= this.limits.maxConcurrent) return { ok: false, reason: 'too-many-transfers' };
    const t: Transfer = {
      key, fileId: p.file_id, sender, name: safeFileName(p.name, fallbackName(p.file_id)), offeredName: p.name, size: p.size,
      sha256: p.sha256.toLowerCase(), received: 0, unsignedChunks: 0, multiBlock: false, acked: 0, nextIndex: 0, pending: new Map(), pendingBytes: 0,
      hash: sha256Stream(), lastAt: now,
    };
    this.open.set(key, t);
    return { ok: true, transfer: t };
  }

  get(sender: string, fileId: string): Transfer | undefined {
    return this.open.get(transferKey(sender, fileId));
  }

  /**
   * A decrypted chunk (of `blocks` OAEP blocks), verified unless `signed` is false (the spec
   * form carries no content_sig: the transfer is then marked unverified). On failure the
   * transfer is closed (the caller deletes its temp file).
   */
  chunk(sender: string, fileId: string, index: number, plain: Buffer, now: number, signed = true, blocks = 1): ChunkResult {
    const t = this.open.get(transferKey(sender, fileId));
    if (!t) return { ok: false, reason: 'unknown-transfer' };
    t.lastAt = now;
    if (index < t.nextIndex || t.pending.has(index)) return { ok: true, transfer: t, append: [] }; // replayed chunk
    if (!signed) t.unsignedChunks++;
    if (blocks > 1) t.multiBlock = true;
    if (t.received + t.pendingBytes + plain.byteLength > t.size) return this.fail(t, 'size-exceeded');
    if (index !== t.nextIndex) {
      if (t.pending.size >= this.limits.maxOutOfOrder || t.pendingBytes + plain.byteLength > this.limits.maxOutOfOrderBytes) return this.fail(t, 'too-many-out-of-order');
      t.pending.set(index, plain);
      t.pendingBytes += plain.byteLength;
      return { ok: true, transfer: t, append: [] };
    }
    const append = [plain];
    t.nextIndex++;
    for (let next = t.pending.get(t.nextIndex); next; next = t.pending.get(t.nextIndex)) {
      t.pending.delete(t.nextIndex);
      t.pendingBytes -= next.byteLength;
      append.push(next);
      t.nextIndex++;
    }
    for (const b of append) {
      t.hash.update(b);
      t.received += b.byteLength;
    }
    return { ok: true, transfer: t, append };
  }

  /**
   * The `next` to acknowledge for a multi-block transfer, when FILE_ACK_EVERY_CHUNKS more chunks
   * arrived in order since the last ack (file-acks.ts); undefined: no ack now.
   */
  ackDue(t: Transfer): number | undefined {
    if (!t.multiBlock || t.nextIndex - t.acked < FILE_ACK_EVERY_CHUNKS) return undefined;
    t.acked = t.nextIndex;
    return t.acked;
  }

  /** FILE_END: the transfer closes either way; ok only when size and sha256 match. */
  end(sender: string, fileId: string): EndResult {
    const t = this.open.get(transferKey(sender, fileId));
    if (!t) return { ok: false, reason: 'unknown-transfer' };
    this.open.delete(t.key);
    if (t.received !== t.size || t.pending.size > 0) return { ok: false, reason: 'size-mismatch', transfer: t };
    if (t.hash.hex() !== t.sha256) return { ok: false, reason: 'sha256-mismatch', transfer: t };
    return { ok: true, transfer: t };
  }

  /** Transfers idle past the limit, closed. */
  sweep(now: number): Transfer[] {
    const idle = [...this.open.values()].filter((t) => now - t.lastAt >= this.limits.idleMs);
    for (const t of idle) this.open.delete(t.key);
    return idle;
  }

  /** Close every open transfer (session end). */
  closeAll(): Transfer[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }

  private fail(t: Transfer, reason: FileFailure): ChunkResult {
    this.open.delete(t.key);
    return { ok: false, reason, transfer: t };
  }
}

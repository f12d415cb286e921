/**
 * /file: FILE_START {file_id, name (base name only), size, sha256, mode "dm"}, then FILE_CHUNKs,
 * then FILE_END (SPEC.md §10.4). A chunk is one OAEP block of ≤446 bytes, or, to a recipient
 * that declared `file-blocks`, up to 16 of them under one content_sig (docs/protocol.md
 * "Multi-block file chunks"); then at most FILE_WINDOW_CHUNKS chunks go beyond what the
 * recipient acknowledged (AckWindow). The file is read twice (hash, then chunks) so memory
 * stays at a few chunks whatever its size. A relative path was resolved against the send folder
 * (SOCP_SEND_DIR) by the session; a missing file is SOCP_ERR_FILE_NOT_FOUND, any other reason
 * it cannot be sent SOCP_ERR_FILE_UNREADABLE. Transfers run beside the session's command queue
 * (OutgoingFiles), so chatting goes on.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  FILE_ACK_TIMEOUT_MS, MAX_FILE_BYTES, SendWindow, SocpError, fileBlocksOf, fileChunkBytes, fileChunkDraft, fileEndDraft, fileStartDraft, sealDraftAsync,
  type Frame, type Recipient, type UserIdentity,
} from '@socp/protocol';
import type { ClientEvent } from './events';

type Me = Pick<UserIdentity, 'userId' | 'key'>;

/** Chunks signed concurrently (2 cores, each chunk needs two PSS signatures). */
const SIGN_AHEAD = 8;

/**
 * The sender's window of one multi-block transfer (user core file-acks.ts): chunk i goes once
 * the recipient acknowledged more than i − FILE_WINDOW_CHUNKS chunks; no ack for `timeoutMs`
 * while waiting, and the transfer stops (the recipient refused it, left, or stalled).
 */
export class AckWindow {
  private readonly window = new SendWindow();
  private wake: (() => void) | undefined;

  constructor(private readonly label: string, private readonly timeoutMs = FILE_ACK_TIMEOUT_MS) {}

  ack(next: number): void {
    this.window.ack(next);
    this.wake?.();
  }

  async admit(index: number): Promise<void> {
    while (!this.window.admits(index)) {
      const acked = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      this.wake = undefined;
      if (!acked) throw new SocpError('TIMEOUT', `${this.label} acknowledged nothing for ${this.timeoutMs / 1000} s (refused the file, or left); transfer stopped`);
    }
  }
}

export interface SentFile { fileId: string; name: string; size: number; sha256: string }

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function sendFile(
  me: Me, to: Recipient, path: string, send: (f: Frame) => Promise<void>, progress: (sent: number, size: number, fileId: string) => void,
  paced?: (fileId: string) => AckWindow,
): Promise<SentFile> {
  let st;
  try {
    st = await stat(path);
    await access(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SocpError('SOCP_ERR_FILE_NOT_FOUND', `file not found: ${path}`);
    throw new SocpError('SOCP_ERR_FILE_UNREADABLE', `cannot read ${path} (${code ?? String(e)})`);
  }
  if (!st.isFile()) throw new SocpError('SOCP_ERR_FILE_UNREADABLE', `${path} is not a regular file`);
  if (st.size > MAX_FILE_BYTES) throw new SocpError('SOCP_ERR_FILE_UNREADABLE', `${path} is ${st.size} bytes; the limit is ${MAX_FILE_BYTES}`);
  const sha256 = await sha256File(path);
  const fileId = randomUUID();
  const name = basename(path);
  // Multi-block chunks outrun the recipient's decrypting: they go paced by its acks.
  const window = fileBlocksOf(to) > 1 ? paced?.(fileId) : undefined;
  const chunkBytes = fileChunkBytes(to);
  await send(await sealDraftAsync(fileStartDraft(me, to, { file_id: fileId, name, size: st.size, sha256, mode: 'dm' }, Date.now()), me.key));
  const fh = await open(path, 'r');
  try {
    // Sign a few chunks at once: the threadpool uses both cores while frames go out in order.
    let sent = 0;
    for (let index = 0; sent < st.size; ) {
      const batch: Array<Promise<Frame>> = [];
      const first = index;
      for (let k = 0; k < SIGN_AHEAD && sent < st.size; k++, index++) {
        const buf = Buffer.alloc(Math.min(chunkBytes, st.size - sent));
        const { bytesRead } = await fh.read(buf, 0, buf.length, sent);
        if (bytesRead !== buf.length) throw new SocpError('SOCP_ERR_FILE_UNREADABLE', `${path} changed while being sent`);
        batch.push(sealDraftAsync(fileChunkDraft(me, to, fileId, index, buf, Date.now()), me.key));
        sent += bytesRead;
      }
      for (const [k, f] of (await Promise.all(batch)).entries()) {
        await window?.admit(first + k);
        await send(f);
      }
      progress(sent, st.size, fileId);
    }
  } finally {
    await fh.close();
  }
  await send(await sealDraftAsync(fileEndDraft(me, to, fileId, Date.now()), me.key));
  return { fileId, name, size: st.size, sha256 };
}

/** The transfers under way; each reports its progress and outcome as events. */
export class OutgoingFiles {
  private readonly running = new Set<Promise<void>>();
  /** Windows of multi-block transfers under way, by `recipient|file_id`. */
  private readonly windows = new Map<string, AckWindow>();

  constructor(private readonly show: (e: ClientEvent) => void) {}

  get size(): number {
    return this.running.size;
  }

  /** The recipient `from` acknowledged `next` chunks of `fileId` (the user core's `file-ack` event). */
  ack(from: string, fileId: string, next: number): void {
    this.windows.get(`${from}|${fileId}`)?.ack(next);
  }

  /** Send `path` to `to` (shown as `label`); `send` refuses once the link it was started on is gone (a cut transfer is not resumed). */
  start(me: Me, to: Recipient, label: string, path: string, send: (f: Frame) => Promise<void>): void {
    let started: string | undefined; // the file id, once progress was shown
    let paced: string | undefined; // its window's key
    const window = (fileId: string): AckWindow => {
      const w = new AckWindow(label);
      this.windows.set((paced = `${to.userId}|${fileId}`), w);
      return w;
    };
    const t = sendFile(me, to, path, send, (n, size, fileId) => this.show({ event: 'file-send-progress', fileId: (started = fileId), to: label, sent: n, size }), window)
      .then((sent) => this.show({ event: 'file-sent', fileId: sent.fileId, to: label, name: sent.name, size: sent.size, sha256: sent.sha256 }))
      .catch((err: unknown) => {
        this.show({ event: 'warning', code: err instanceof SocpError ? (err.wire ?? err.code) : 'ERROR', detail: `file not sent: ${err instanceof Error ? err.message : String(err)}` });
        if (started !== undefined) this.show({ event: 'file-send-aborted', fileId: started });
      })
      .finally(() => {
        this.running.delete(t);
        if (paced !== undefined) this.windows.delete(paced);
      });
    this.running.add(t);
  }

  /** Resolves when every transfer started so far has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

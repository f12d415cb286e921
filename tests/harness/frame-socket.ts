/**
 * A raw SOCP WebSocket for tests: connects, decodes every inbound text message with
 * `decodeFrame` (undecodable ones are kept as raw text), and lets a test wait for a frame
 * matching a predicate with a deadline. Sends either real frames or arbitrary raw text.
 * The building block of RawUser, HostileServer and the introducer's service tests.
 */
import { decodeFrame, encodeFrame, type Frame } from '@socp/protocol';
import WebSocket from 'ws';

export interface Received { frame: Frame | undefined; raw: string; at: number }

export class FrameSocket {
  readonly received: Received[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? `<binary ${(data as Buffer).length} bytes>` : (data as Buffer).toString('utf8');
      const d = isBinary ? undefined : decodeFrame(raw);
      this.received.push({ frame: d?.ok ? d.value : undefined, raw, at: Date.now() });
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve(code);
      });
    });
    ws.on('error', () => this.wake());
  }

  /** Open a socket (rejects on connect failure or after `timeoutMs`); `autoPong: false` plays a peer whose pings go unanswered. */
  static connect(url: string, timeoutMs = 5_000, maxPayload = 64 * 1024 * 1024, autoPong = true): Promise<FrameSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload, autoPong });
      const fs = new FrameSocket(ws);
      ws.once('open', () => resolve(fs));
      ws.once('error', (e) => reject(e));
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  send(frame: Frame): void {
    this.ws.send(encodeFrame(frame));
  }
  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }
  frames(): Frame[] {
    return this.received.flatMap((r) => (r.frame ? [r.frame] : []));
  }

  /**
   * Resolve with the first received frame (from index `since`, default: any time) matching
   * `pred`; reject after `timeoutMs`, or as soon as the socket is closed with no match.
   */
  waitFrame<F extends Frame = Frame>(pred: (f: Frame) => boolean, timeoutMs = 10_000, since = 0, what = 'a matching frame'): Promise<F> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = since; i < this.received.length; i++) {
          const f = this.received[i]!.frame;
          if (f && pred(f)) {
            done();
            resolve(f as F);
            return true;
          }
        }
        if (this.closeCode !== undefined) {
          done();
          reject(new Error(`socket closed (${this.closeCode} ${this.closeReason}) before ${what}; got: ${this.summary()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.summary()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (check()) return;
      this.waiters.add(waiter);
    });
  }

  /** Wait for an ERROR frame (optionally with `code`) received at or after index `since`. */
  waitError(code?: string, timeoutMs = 10_000, since = 0): Promise<Frame> {
    return this.waitFrame((f) => f.type === 'ERROR' && (code === undefined || (f.payload as { code: string }).code === code), timeoutMs, since, `ERROR ${code ?? ''}`);
  }

  /** Wait until the peer closes the socket (resolves with the close code). */
  waitClosed(timeoutMs = 10_000): Promise<number> {
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }
  terminate(): void {
    this.ws.terminate();
  }

  summary(): string {
    return this.received.slice(-8).map((r) => (r.frame ? `${r.frame.type}${r.frame.type === 'ERROR' ? `(${(r.frame.payload as { code: string }).code})` : ''}` : `raw:${r.raw.slice(0, 40)}`)).join(', ') || 'nothing';
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

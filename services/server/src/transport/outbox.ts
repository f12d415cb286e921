/**
 * What a socket has not taken yet, kept as references to the frames' Buffers rather than as
 * queued writes. A presence fan-out sends every user's advertisement to every user (N² frames);
 * written straight into a socket that reads slower than that, each frame became a queued write
 * of its own (stream entry, WebSocket header, libuv request: a few hundred bytes per frame per
 * socket, ~300 MB at 1,000 users). Past OUTBOUND_SOFT_BYTES in the socket, frames wait here —
 * one pointer each, the bytes shared with every other socket they go to — and go out as it drains.
 */
import type { WebSocket } from 'ws';
import { OUTBOUND_SOFT_BYTES } from './limits';

/** The TCP socket under the WebSocket (connection.ts RawSocket): its `drain` says the kernel took what was buffered. */
export interface DrainingSocket { once(event: 'drain', f: () => void): unknown }

export class Outbox {
  private queue: Buffer[] = [];
  private head = 0;
  private waiting = false;
  /** Bytes waiting here (not yet handed to the socket). */
  bytes = 0;

  /** `socket`: the TCP socket under `ws`, once there is one (connection.ts takes it from the connection or upgrade event). */
  constructor(private readonly ws: WebSocket, private readonly socket: () => DrainingSocket | undefined, private readonly write: (data: Buffer) => void) {}

  /** Hand `data` to the socket now, or queue it behind what is waiting (order is kept). */
  push(data: Buffer): void {
    if (this.bytes === 0 && this.ws.bufferedAmount < OUTBOUND_SOFT_BYTES) return this.write(data);
    this.queue.push(data);
    this.bytes += data.length;
    this.waitForDrain();
  }

  private waitForDrain(): void {
    if (this.waiting) return;
    const socket = this.socket();
    if (socket === undefined) return;
    this.waiting = true;
    socket.once('drain', () => {
      this.waiting = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      this.queue = [];
      this.head = 0;
      this.bytes = 0;
      return;
    }
    while (this.head < this.queue.length && this.ws.bufferedAmount < OUTBOUND_SOFT_BYTES) {
      const data = this.queue[this.head++]!;
      this.bytes -= data.length;
      this.write(data);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else {
      if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.waitForDrain();
    }
  }
}

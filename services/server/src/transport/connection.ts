/**
 * One WebSocket (S8): identity once known, a child logger, the outbound backpressure check
 * (bufferedAmount > MAX_OUTBOUND_BUFFER_BYTES → close 1013 as a slow consumer, counted), the
 * hello timeout, and a per-connection token-bucket rate limit.
 */
import type { WebSocket } from 'ws';
import { HELLO_TIMEOUT_MS, MAX_OUTBOUND_BUFFER_BYTES } from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import { SERVER_FRAME_BURST, SERVER_FRAMES_PER_SEC, USER_FRAME_BURST, USER_FRAMES_PER_SEC } from './limits';

export type Role = 'pending' | 'user' | 'server';

let nextId = 0;

export class Connection {
  readonly id = `c${++nextId}`;
  role: Role = 'pending';
  /** user_id after an accepted USER_HELLO. */
  userId: string | undefined;
  /** The peer server's id on a server link. */
  serverId: string | undefined;
  log: Logger;
  private tokens: number;
  private lastRefill = Date.now();
  private helloTimer: NodeJS.Timeout | undefined;
  closed = false;
  /** A refusal will close this connection: ignore further input. */
  closing = false;

  constructor(
    readonly ws: WebSocket,
    readonly direction: 'inbound' | 'outbound',
    log: Logger,
    private readonly metrics: ServerMetrics,
    onHelloTimeout?: (c: Connection) => void,
  ) {
    this.log = log.child({ connId: this.id, direction });
    this.tokens = USER_FRAME_BURST;
    if (onHelloTimeout) {
      this.helloTimer = setTimeout(() => onHelloTimeout(this), HELLO_TIMEOUT_MS);
      this.helloTimer.unref();
    }
    this.metrics.connections.inc({ role: 'pending' });
  }

  setRole(role: 'user' | 'server', ids: { userId?: string; serverId?: string }): void {
    if (this.role !== role) {
      this.metrics.connections.dec({ role: this.role });
      this.metrics.connections.inc({ role });
      this.role = role;
    }
    clearTimeout(this.helloTimer);
    this.userId = ids.userId ?? this.userId;
    this.serverId = ids.serverId ?? this.serverId;
    this.log = this.log.child({ peer: role, ...ids });
  }

  /** Take one token; false when the connection is over its rate. */
  admit(now: number): boolean {
    const [rate, burst] = this.role === 'server' ? [SERVER_FRAMES_PER_SEC, SERVER_FRAME_BURST] : [USER_FRAMES_PER_SEC, USER_FRAME_BURST];
    this.tokens = Math.min(burst, this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Send one already-serialised frame; closes the socket as a slow consumer instead of buffering without bound. */
  send(text: string, type: string): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount + text.length > MAX_OUTBOUND_BUFFER_BYTES) {
      this.metrics.slowConsumers.inc();
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'slow consumer: outbound buffer full, closing');
      this.close(1013, 'slow consumer');
      return false;
    }
    this.ws.send(text);
    this.metrics.framesSent.inc({ type });
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Called once from the socket's close event. */
  disposed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    this.metrics.connections.dec({ role: this.role });
  }
}

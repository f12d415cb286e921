/**
 * A peer's second socket (issue 14 item 4; G43-WIRE.md §3 "Bootstrap and server links", step 4).
 * A G43 server answers our SERVER_HELLO_LINK by opening its own socket to us, without a hello,
 * and writes on it only when it has something to say. Closing it at HELLO_TIMEOUT_MS ("no
 * identifying frame in time") took away the peer's only way to talk to us.
 *
 * The rule. An inbound socket that has sent nothing when its hello timeout expires is KEPT,
 * still pending, when
 *  1. it comes from the address (IP) of a server our outbound link to is up
 *     (LinkManager.linkedAddress), and
 *  2. it keeps answering our WebSocket pings: one every heartbeat; no pong, ping or frame for
 *     `deadAfterMs` (the one rule, `linkIsDead`) → closed 1001;
 * and at most MAX_SILENT_SOCKETS_PER_ADDRESS per address: a newer one replaces the oldest
 * (closed 1000), because G43 writes on the socket it opened last. Once no link to its address
 * is up any more, it is closed 1000. Every other silent socket is closed 1008 "hello timeout",
 * as before. A kept socket that sends a frame leaves this set: its first frame is classified
 * like any first frame.
 *
 * Why this cannot be abused. A kept socket has no role: its first frame must be a USER_HELLO,
 * an admitted server's hello, or a frame of an admitted server that verifies under that
 * server's pinned key (routing/server-trust.ts classifyFirstFrame, authenticateServerFrame);
 * anything else is refused and closes it. Until then it costs one socket and one ping per
 * heartbeat — no signature, no state. Only a host that can connect from the address of a
 * server we are linked with can hold one, at most MAX_SILENT_SOCKETS_PER_ADDRESS of them, and
 * they stay pending in any per-address connection count. The worst such a host can do is push
 * out that peer's own channel by opening newer sockets, from that peer's own address.
 */
import { linkIsDead } from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import type { Connection } from './connection';

/**
 * Silent sockets kept per address. A G43 server opens one per SERVER_HELLO_LINK it receives
 * from us (one per dial of ours, so one per link re-establishment) and writes only on the
 * newest; 4 covers a few re-dials in quick succession with room to spare.
 */
export const MAX_SILENT_SOCKETS_PER_ADDRESS = 4;

export interface SilentSocketsInit { heartbeatMs: number; deadAfterMs: number }
export interface SilentSocketsComponents {
  log: Logger;
  metrics: ServerMetrics;
  /** Is an outbound link of ours to a server at this address up? */
  linkedAddress(address: string): boolean;
}

interface Kept { conn: Connection; since: number }

/** Close a kept socket (close frame first) and read nothing more from it. */
function drop(conn: Connection, code: number, reason: string): void {
  conn.closing = true;
  conn.close(code, reason);
}

export class SilentSockets {
  /** Per address, oldest first. */
  private readonly kept = new Map<string, Kept[]>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly init: SilentSocketsInit, private readonly c: SilentSocketsComponents) {}

  start(): void {
    this.ticker = setInterval(() => this.tick(), this.init.heartbeatMs);
    this.ticker.unref();
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  /** At the hello timeout of a silent inbound socket: keep it (true) under the rule above, or leave it to be closed (false). */
  keep(conn: Connection): boolean {
    const address = conn.remoteAddress;
    if (address === undefined || !this.c.linkedAddress(address)) return false;
    const list = this.live(address);
    list.push({ conn, since: Date.now() });
    while (list.length > MAX_SILENT_SOCKETS_PER_ADDRESS) {
      const old = list.shift()!;
      old.conn.log.info({ address }, 'a newer silent socket came from this address: closing the oldest');
      drop(old.conn, 1000, 'replaced by a newer socket');
    }
    this.kept.set(address, list);
    conn.log.info({ address }, 'silent socket from the address of a linked server kept as its outbound channel');
    conn.ping();
    return true;
  }

  /** The still-silent sockets kept for an address (closed or identified ones dropped). */
  private live(address: string): Kept[] {
    return (this.kept.get(address) ?? []).filter((k) => !k.conn.closed && !k.conn.closing && k.conn.role === 'pending');
  }

  private tick(): void {
    const now = Date.now();
    for (const address of [...this.kept.keys()]) {
      const list = this.live(address);
      const linked = this.c.linkedAddress(address);
      for (const k of list) {
        const heard = Math.max(k.since, k.conn.lastHeard);
        const silentMs = now - heard;
        if (!linked) {
          k.conn.log.info({ address }, 'no link to this address any more: closing its silent socket');
          drop(k.conn, 1000, 'no server link from this address');
        } else if (linkIsDead(heard, now, { heartbeatIntervalMs: this.init.heartbeatMs, deadAfterMs: this.init.deadAfterMs })) {
          this.c.metrics.framesRejected.inc({ type: 'unknown', reason: 'TIMEOUT' });
          k.conn.log.info({ address, silentMs }, 'kept silent socket answers no ping: closing');
          drop(k.conn, 1001, `no frame or pong for ${silentMs} ms`);
        } else k.conn.ping();
      }
      const left = this.live(address);
      if (left.length === 0) this.kept.delete(address);
      else this.kept.set(address, left);
    }
  }
}

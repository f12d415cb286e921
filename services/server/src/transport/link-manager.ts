/**
 * Server ↔ server links (§13, S8). For every known server: one outbound socket we write on,
 * kept by the one dial loop (@socp/node DialLoop: a single dial in flight, the capped, jittered
 * backoff table, reset by any inbound frame from that server, which also ends a wait at once).
 * SERVER_HELLO_LINK is the first frame on every dial.
 * A timer sends HEARTBEAT and a WebSocket ping every `heartbeatMs` on each open link. A server
 * is alive while it sends frames (on any socket) or our link hears a ping or pong from it: one
 * peer never sends HEARTBEAT, but every WebSocket library answers pings. Silent for
 * `deadAfterMs` (the one rule, `linkIsDead`) → the link is closed (1001, close frame first, cut
 * CLOSE_GRACE_MS later); the close then reports the link down (the core removes that server's
 * users) and the loop re-dials.
 * While we are not reading (read-gate.ts: signing backlog) nobody is declared dead, and that
 * time is not counted as silence.
 */
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES, heartbeatDue, linkIsDead, type LivenessTimings } from '@socp/protocol';
import { DialLoop } from '@socp/node';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import { Connection } from './connection';
import type { PausedReads } from './read-gate';

export interface LinkManagerInit { heartbeatMs: number; deadAfterMs: number; backoffMs: readonly number[] }
export interface LinkManagerComponents {
  log: Logger;
  metrics: ServerMetrics;
  /** The serialised SERVER_HELLO_LINK for a peer. */
  helloLink(serverId: string): Promise<string>;
  /** The serialised CTRL_CLOSE for a peer (graceful shutdown). */
  ctrlClose(serverId: string): Promise<string>;
  /** The serialised HEARTBEAT for a peer. */
  heartbeat(serverId: string): Promise<string>;
  /** Frames read on an outbound socket go through the same handler as inbound ones. */
  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void;
  linkUp(serverId: string): void;
  linkDown(serverId: string): void;
}

interface Peer {
  id: string;
  host: string;
  port: number;
  /** The socket of the dial in flight or of the open link. */
  conn: Connection | undefined;
  up: boolean;
  loop: DialLoop<Connection>;
  lastInbound: number;
  lastHeartbeat: number;
}

export class LinkManager implements PausedReads {
  private readonly peers = new Map<string, Peer>();
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Since when we are not reading our sockets (undefined: reading). */
  private readsPausedAt: number | undefined;

  private readonly timings: LivenessTimings;

  constructor(private readonly init: LinkManagerInit, private readonly c: LinkManagerComponents) {
    this.timings = { heartbeatIntervalMs: init.heartbeatMs, deadAfterMs: init.deadAfterMs };
  }

  start(): void {
    const every = Math.max(5, Math.min(this.init.heartbeatMs, Math.floor(this.init.deadAfterMs / 4)));
    this.ticker = setInterval(() => this.tick(), every);
  }

  /** Close every link politely (signed CTRL_CLOSE, then 1000), so peers drop our users at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    await Promise.all(
      [...this.peers.values()].map(async (p) => {
        p.loop.stop();
        const conn = p.conn;
        if (!conn) return;
        if (p.up) {
          try {
            conn.send(await this.c.ctrlClose(p.id), 'CTRL_CLOSE');
            conn.close(1000, 'shutdown');
            return;
          } catch {
            /* fall through */
          }
        }
        conn.close(1000, 'shutdown');
      }),
    );
  }

  /** Make sure we keep a link to this server (idempotent; updates the address). */
  ensure(id: string, host: string, port: number): void {
    if (this.stopped) return;
    const p = this.peers.get(id);
    if (p) {
      p.host = host;
      p.port = port;
      return p.loop.dialNow();
    }
    const loop = new DialLoop<Connection>({ backoffMs: this.init.backoffMs }, {
      dial: (attempt) => this.dial(peer, attempt),
      connected: (conn) => this.opened(peer, conn),
      discard: (conn) => conn.close(1000, 'shutdown'),
    });
    const peer: Peer = { id, host, port, conn: undefined, up: false, loop, lastInbound: Date.now(), lastHeartbeat: 0 };
    this.peers.set(id, peer);
    peer.loop.dialNow();
  }

  /** The open outbound link to a server. */
  link(id: string): Connection | undefined {
    const p = this.peers.get(id);
    return p?.up ? p.conn : undefined;
  }

  /** Is `address` (an IP) where one of our open links goes? (a silent socket from there may be that server's own channel: silent-sockets.ts) */
  linkedAddress(address: string): boolean {
    for (const p of this.peers.values()) if (p.up && p.conn?.remoteAddress === address) return true;
    return false;
  }

  /** Any inbound frame from `id` (on any socket) proves it alive and resets its backoff. */
  touch(id: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    p.lastInbound = Date.now();
    p.loop.heard();
  }

  /** Send a frame built per peer (e.g. a SERVER_ANNOUNCE with a renewed ticket) on every open link. */
  broadcast(build: (serverId: string) => Promise<string>, type: string): void {
    for (const p of this.peers.values()) {
      const conn = p.conn;
      if (!p.up || !conn) continue;
      void build(p.id).then((text) => {
        if (!conn.closed) conn.send(text, type);
      });
    }
  }

  readsPaused(now: number): void {
    this.readsPausedAt ??= now;
  }

  /** Reading again: the pause is taken off every link's silence. */
  readsResumed(now: number): void {
    if (this.readsPausedAt === undefined) return;
    const paused = now - this.readsPausedAt;
    this.readsPausedAt = undefined;
    for (const p of this.peers.values()) p.lastInbound = Math.min(now, p.lastInbound + paused);
  }

  get upCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.up) n++;
    return n;
  }

  /** One dial: resolves when the socket opens, rejects when it closes first (or the address is unusable). */
  private dial(p: Peer, attempt: number): Promise<Connection> {
    if (attempt > 0) this.c.metrics.peerReconnects.inc(); // after a wait (not: first dial, or a dial because the peer talked to us)
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(`ws://${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
      } catch (e) {
        // An address a peer advertised may not even parse as a URL: retry later, never throw.
        this.c.log.warn({ serverId: p.id, err: (e as Error).message }, 'cannot dial server address');
        return reject(e as Error);
      }
      const conn = new Connection(ws, 'outbound', this.c.log, this.c.metrics);
      conn.setRole('server', { serverId: p.id });
      p.conn = conn;
      ws.on('open', () => resolve(conn));
      ws.on('message', (data: Buffer, isBinary: boolean) => this.c.onMessage(conn, data, isBinary));
      ws.on('error', (e) => conn.log.debug({ err: e.message }, 'server link error'));
      ws.on('close', () => {
        conn.disposed();
        if (p.conn !== conn) return;
        const wasUp = p.up;
        p.conn = undefined;
        p.up = false;
        this.c.metrics.peerLinksUp.set(this.upCount);
        if (wasUp) {
          conn.log.info({ serverId: p.id }, 'server link down');
          this.c.linkDown(p.id);
        }
        reject(new Error('closed before it opened')); // a dial that failed; after `open`, a link lost:
        p.loop.lost('server link closed');
      });
    });
  }

  /** The socket is open: SERVER_HELLO_LINK first, then the link is up. */
  private opened(p: Peer, conn: Connection): void {
    void this.c.helloLink(p.id).then((text) => {
      if (p.conn !== conn || conn.closed) return;
      conn.send(text, 'SERVER_HELLO_LINK');
      p.up = true;
      p.lastInbound = Date.now();
      this.c.metrics.peerLinksUp.set(this.upCount);
      conn.log.info({ serverId: p.id }, 'server link up');
      this.c.linkUp(p.id);
    });
  }

  private tick(): void {
    const now = Date.now();
    for (const p of this.peers.values()) {
      if (!p.up || !p.conn || p.conn.closing) continue;
      const heard = Math.max(p.lastInbound, p.conn.lastHeard);
      const silentMs = now - heard;
      if (this.readsPausedAt === undefined && linkIsDead(heard, now, this.timings)) {
        this.c.metrics.peerDead.inc();
        p.conn.log.warn({ serverId: p.id, silentMs }, 'server link dead: no frame, ping or pong; closing');
        p.conn.closing = true;
        p.conn.close(1001, `no frame or pong for ${silentMs} ms`);
        continue;
      }
      if (heartbeatDue(p.lastHeartbeat, now, this.timings)) {
        p.lastHeartbeat = now;
        const conn = p.conn;
        conn.ping();
        void this.c.heartbeat(p.id).then((text) => conn.send(text, 'HEARTBEAT'));
      }
    }
  }
}

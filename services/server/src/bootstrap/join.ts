/**
 * Joining through the introducers (§9.1, docs/contracts.md "Joining and introducers" and
 * "Admission").
 *
 * One session per configured introducer: connect, send a signed SERVER_HELLO_JOIN (with the
 * `join_proof` of the mesh join secret when one is configured, and `caps`), wait up to
 * JOIN_TIMEOUT_MS for SERVER_WELCOME, verify it with the introducer's pinned key (or accept it
 * unsigned, with a warning, only when the operator configured no pin), then keep the socket
 * open with HEARTBEAT (addressed to the introducer's id, learnt from its WELCOME: never to
 * `host:port`) and a WebSocket ping every `heartbeatMs`. Any frame, ping or pong from the
 * introducer counts as life (one introducer never sends HEARTBEAT, but every WebSocket library
 * answers pings); silent for `deadAfterMs` → closed 1001 (transport/close-politely.ts). On
 * close, reconnect with backoff and join again. The first join tries the introducers in order and
 * fails over; once one WELCOME was accepted, sessions with all the others start in the
 * background so every introducer knows this server.
 *
 * Admission tickets: each WELCOME may carry our ticket (admission/ticket.ts). The newest is kept
 * (`Joiner.ticket`), presented in every SERVER_HELLO_LINK / SERVER_ANNOUNCE, and renewed by
 * joining again on the open socket at half its lifetime (`onTicket` then announces it).
 */
import { WebSocket } from 'ws';
import {
  CAP_BIND, JOIN_TIMEOUT_MS, MAX_FRAME_BYTES, acceptUnsigned, decodeFrame, importPublicKey, joinProof, verifyFrame,
  type FrameOf, type ServerAddrPayload, type ServerWelcomePayload, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { DialLoop, keepAlive, type KeepAlive } from '@socp/node';
import type { BootstrapEntry } from '../config';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import { closePolitely } from '../transport/close-politely';

/** Never renew a ticket more often than this, whatever lifetime an introducer gives. */
export const MIN_TICKET_RENEW_MS = 1_000;

export interface JoinComponents {
  log: Logger;
  metrics: ServerMetrics;
  selfId(): string;
  selfAddr(): { host: string; port: number; pubkey: string };
  seal(f: UnsignedFrame): Promise<string>;
  /**
   * Called for every accepted WELCOME; `first` is true for the one that admitted us; `pinned` says
   * whether it was verified under a pinned key; `introducer` is the bootstrap entry it came from.
   */
  onWelcome(p: ServerWelcomePayload, first: boolean, pinned: boolean, introducer: BootstrapEntry): void;
  /** A newer admission ticket arrived (renewal): announce it to the linked servers. */
  onTicket(): void;
}
export interface JoinInit { introducers: readonly BootstrapEntry[]; heartbeatMs: number; deadAfterMs: number; backoffMs: readonly number[]; joinSecret: string | undefined }

type Welcome = Verified<FrameOf<'SERVER_WELCOME'>>;

/** The ticket of a WELCOME, if it has a usable expiry (the introducer signed it; peers check it). */
function ticketOf(p: ServerWelcomePayload): { ticket: Record<string, unknown>; issued: number; expires: number } | undefined {
  const t = p.ticket;
  const issued = t?.['issued'];
  const expires = t?.['expires'];
  return t && typeof issued === 'number' && typeof expires === 'number' && expires > issued ? { ticket: t, issued, expires } : undefined;
}

class IntroducerSession {
  private ws: WebSocket | undefined;
  private watch: KeepAlive | undefined;
  private renew: NodeJS.Timeout | undefined;
  /** Re-joins after a failure or a close (once `background`); the first join is the Joiner's. */
  private readonly loop: DialLoop<Welcome>;
  private stopped = false;
  private readonly log: Logger;
  /** The introducer's id, from its WELCOME (frames after the join are addressed to it). */
  private introducerId: string | undefined;
  /** When the introducer last showed life on the socket: a frame, a ping or a pong (ms). */
  private lastHeard = 0;
  private pending: ((w: Welcome | Error) => void) | undefined;

  constructor(private readonly entry: BootstrapEntry, private readonly init: JoinInit, private readonly c: JoinComponents, private readonly joiner: Joiner) {
    this.log = c.log.child({ introducer: `${entry.host}:${entry.port}` });
    this.loop = new DialLoop<Welcome>({ backoffMs: init.backoffMs }, {
      dial: () =>
        this.join().catch((e: Error) => {
          this.log.info({ err: e.message }, 'introducer registration failed; will retry');
          throw e;
        }),
      connected: (w) => {
        this.c.metrics.introducerJoins.inc({ outcome: 'ok' });
        this.c.onWelcome(w.payload, false, this.entry.pubkey !== undefined, this.entry);
        this.accepted(w.payload);
        this.keep();
      },
    });
  }

  private get addr(): string {
    return `${this.entry.host}:${this.entry.port}`;
  }

  /** A signed SERVER_HELLO_JOIN with our address, key, caps and (when configured) the join proof. */
  private joinFrame(): Promise<string> {
    const from = this.c.selfId();
    const ts = Date.now();
    const payload: ServerAddrPayload = { ...this.c.selfAddr(), caps: [CAP_BIND] };
    if (this.init.joinSecret !== undefined) payload.join_proof = joinProof(this.init.joinSecret, { from, ts, host: payload.host, port: payload.port, pubkey: payload.pubkey });
    // SERVER_HELLO_JOIN is the one frame addressed host:port: we do not know the introducer's id yet.
    return this.c.seal({ type: 'SERVER_HELLO_JOIN', from, to: this.addr, ts, payload });
  }

  /** Verify a WELCOME under the pinned key (or accept it unverified when none is pinned). */
  private verifyWelcome(f: FrameOf<'SERVER_WELCOME'>): Welcome | undefined {
    if (this.entry.pubkey === undefined) {
      this.log.warn('introducer configured without a pinned key: WELCOME accepted unverified');
      return acceptUnsigned(f, 'unpinned-introducer');
    }
    const r = verifyFrame(f, importPublicKey(this.entry.pubkey));
    if (r.ok) return r.value;
    this.c.metrics.introducerJoins.inc({ outcome: 'bad_sig' });
    return undefined;
  }

  /** Connect and join once; resolves with the verified WELCOME, rejects on any failure. */
  join(): Promise<Welcome> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${this.addr}`, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: JOIN_TIMEOUT_MS });
      this.ws = ws;
      const timer = setTimeout(() => finish(new Error('TIMEOUT: no SERVER_WELCOME')), JOIN_TIMEOUT_MS);
      const finish = (r: Welcome | Error): void => {
        if (this.pending !== finish) return;
        this.pending = undefined;
        clearTimeout(timer);
        if (r instanceof Error) {
          closePolitely(ws, 1008, r.message);
          reject(r);
        } else resolve(r);
      };
      this.pending = finish;
      ws.on('error', (e) => this.pending?.(e));
      ws.on('close', () => {
        this.pending?.(new Error('introducer closed the connection'));
        this.closed(ws);
      });
      ws.on('open', () => void this.joinFrame().then((t) => ws.send(t)));
      ws.on('message', (data: Buffer) => this.onMessage(data));
      for (const ev of ['message', 'ping', 'pong'] as const) ws.on(ev, () => (this.lastHeard = Date.now()));
    });
  }

  private onMessage(data: Buffer): void {
    const d = decodeFrame(data);
    if (!d.ok) return this.log.warn({ reason: d.error.code }, 'introducer sent an undecodable frame');
    const f = d.value;
    if (f.type === 'ERROR') return this.log.warn({ code: f.payload.code, detail: f.payload.detail }, 'introducer sent ERROR');
    if (f.type !== 'SERVER_WELCOME') return;
    const w = this.verifyWelcome(f);
    if (w === undefined) return this.pending?.(new Error('INVALID_SIG: WELCOME does not verify under the pinned introducer key'));
    // An introducer that is itself a server names its own id in the payload (docs/protocol.md "Dialects").
    this.introducerId = w.payload.server_id ?? w.from;
    if (this.pending) return this.pending(w);
    // A WELCOME on a joined socket answers our renewal: new ticket, fresh server list.
    this.c.onWelcome(w.payload, false, this.entry.pubkey !== undefined, this.entry);
    this.accepted(w.payload);
  }

  /** After any accepted WELCOME: keep its ticket and plan the renewal at half its life. */
  accepted(p: ServerWelcomePayload): void {
    const t = ticketOf(p);
    if (t === undefined) return;
    this.joiner.offerTicket(t.ticket, t.expires);
    clearTimeout(this.renew);
    const at = Math.max(MIN_TICKET_RENEW_MS, t.issued + (t.expires - t.issued) / 2 - Date.now());
    this.renew = setTimeout(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== ws.OPEN || this.stopped) return;
      void this.joinFrame().then((text) => ws.send(text));
    }, at);
  }

  /** Joined: the backoff starts over; HEARTBEAT and a ping every heartbeat; closed once silent past the dead window. */
  keep(): void {
    this.loop.heard();
    this.lastHeard = Date.now();
    this.watch?.stop();
    const ws = this.ws;
    if (!ws) return;
    const open = (): boolean => ws.readyState === ws.OPEN;
    this.watch = keepAlive({ everyMs: this.init.heartbeatMs, deadAfterMs: this.init.deadAfterMs }, {
      lastHeard: () => this.lastHeard,
      paused: () => !open(),
      beat: () => {
        if (!open()) return;
        ws.ping();
        const to = this.introducerId;
        if (to !== undefined) void this.c.seal({ type: 'HEARTBEAT', from: this.c.selfId(), to, ts: Date.now(), payload: {} }).then((t) => ws.send(t));
      },
      dead: (silentMs) => {
        this.log.warn({ silentMs }, 'introducer socket dead: no frame, ping or pong; closing');
        closePolitely(ws, 1001, `no frame or pong for ${silentMs} ms`);
      },
    });
  }

  /** In the background: join now (unless a join runs or waits), keep, and re-join after any failure or close. */
  run(): void {
    this.background = true;
    this.loop.dialNow();
  }

  private closed(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.watch?.stop();
    clearTimeout(this.renew);
    this.ws = undefined;
    if (this.background) this.loop.lost('introducer closed the connection');
  }

  /** Joined once: from now on a lost socket is joined again. */
  background = false;

  /** Leave politely: a signed CTRL_CLOSE (the introducer prunes us at once), then close 1000. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    this.watch?.stop();
    clearTimeout(this.renew);
    const ws = this.ws;
    if (!ws) return;
    const to = this.introducerId;
    if (ws.readyState === ws.OPEN && this.background && to !== undefined) {
      try {
        ws.send(await this.c.seal({ type: 'CTRL_CLOSE', from: this.c.selfId(), to, ts: Date.now(), payload: {} }));
      } catch {
        /* the close frame below still goes out */
      }
    }
    closePolitely(ws, 1000, 'shutdown');
  }
}

export class Joiner {
  private readonly sessions: IntroducerSession[];
  private stopped = false;
  /** The first join: the whole list, again with backoff until one introducer admits us. */
  private readonly loop: DialLoop<void>;
  private best: { ticket: Record<string, unknown>; expires: number } | undefined;
  joined = false;

  constructor(private readonly init: JoinInit, private readonly c: JoinComponents) {
    this.sessions = init.introducers.map((e) => new IntroducerSession(e, init, c, this));
    this.loop = new DialLoop<void>({ backoffMs: init.backoffMs }, {
      dial: async () => {
        if (!(await this.firstJoin())) throw new Error('no introducer admitted us');
      },
    });
  }

  /** Our newest admission ticket (presented in SERVER_HELLO_LINK / SERVER_ANNOUNCE), if any introducer gave one. */
  get ticket(): Record<string, unknown> | undefined {
    return this.best?.ticket;
  }

  /** A session got a ticket: keep it when it outlives the one we hold, and announce a renewal. */
  offerTicket(ticket: Record<string, unknown>, expires: number): void {
    if (this.best !== undefined && expires <= this.best.expires) return;
    const renewal = this.best !== undefined;
    this.best = { ticket, expires };
    if (renewal) this.c.onTicket();
  }

  /** Try the introducers in order until one admits us, retrying the whole list with backoff. */
  start(): void {
    this.loop.dialNow();
  }

  private async firstJoin(): Promise<boolean> {
    for (let i = 0; i < this.sessions.length && !this.stopped; i++) {
      const s = this.sessions[i]!;
      try {
        const w = await s.join();
        this.c.metrics.introducerJoins.inc({ outcome: 'ok' });
        this.joined = true;
        s.accepted(w.payload);
        this.c.onWelcome(w.payload, true, this.init.introducers[i]!.pubkey !== undefined, this.init.introducers[i]!);
        s.background = true;
        s.keep();
        this.sessions.forEach((o, j) => j !== i && o.run());
        return true;
      } catch (e) {
        this.c.metrics.introducerJoins.inc({ outcome: 'failed' });
        this.c.log.warn({ introducer: i, err: (e as Error).message }, 'join failed; trying the next introducer');
      }
    }
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    await Promise.all(this.sessions.map((s) => s.stop()));
  }
}

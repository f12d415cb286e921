/**
 * Joining through the introducers (§9.1, docs/contracts.md "Joining and introducers").
 *
 * One session per configured introducer: connect, send a signed SERVER_HELLO_JOIN, wait up to
 * JOIN_TIMEOUT_MS for SERVER_WELCOME, verify it with the introducer's pinned key (or accept it
 * unsigned, with a warning, only when the operator configured no pin), then keep the socket
 * open with HEARTBEAT; on close, reconnect with backoff and join again. The first join tries
 * the introducers in order and fails over; once one WELCOME was accepted, sessions with all the
 * others start in the background so every introducer knows this server.
 */
import { WebSocket } from 'ws';
import {
  JOIN_TIMEOUT_MS, MAX_FRAME_BYTES, acceptUnsigned, backoffDelayMs, decodeFrame, importPublicKey, verifyFrame,
  type FrameOf, type ServerWelcomePayload, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import type { BootstrapEntry } from '../config';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';

export interface JoinComponents {
  log: Logger;
  metrics: ServerMetrics;
  selfId(): string;
  selfAddr(): { host: string; port: number; pubkey: string };
  seal(f: UnsignedFrame): Promise<string>;
  /** Called for every accepted WELCOME; `first` is true for the one that admitted us. */
  onWelcome(p: ServerWelcomePayload, first: boolean): void;
}
export interface JoinInit { introducers: readonly BootstrapEntry[]; heartbeatMs: number; backoffMs: readonly number[] }

class IntroducerSession {
  private ws: WebSocket | undefined;
  private hb: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly entry: BootstrapEntry, private readonly init: JoinInit, private readonly c: JoinComponents) {
    this.log = c.log.child({ introducer: `${entry.host}:${entry.port}` });
  }

  /** Connect and join once; resolves with the verified WELCOME, rejects on any failure. */
  join(): Promise<Verified<FrameOf<'SERVER_WELCOME'>>> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${this.entry.host}:${this.entry.port}`, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: JOIN_TIMEOUT_MS });
      this.ws = ws;
      let done = false;
      const finish = (e: Error | undefined, w?: Verified<FrameOf<'SERVER_WELCOME'>>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (e) {
          ws.terminate();
          reject(e);
        } else resolve(w!);
      };
      const timer = setTimeout(() => finish(new Error('TIMEOUT: no SERVER_WELCOME')), JOIN_TIMEOUT_MS);
      ws.on('error', (e) => finish(e));
      ws.on('close', () => {
        finish(new Error('introducer closed the connection'));
        this.closed(ws);
      });
      ws.on('open', () => {
        const a = this.c.selfAddr();
        void this.c
          .seal({ type: 'SERVER_HELLO_JOIN', from: this.c.selfId(), to: `${this.entry.host}:${this.entry.port}`, ts: Date.now(), payload: a })
          .then((t) => ws.send(t));
      });
      ws.on('message', (data: Buffer) => {
        const d = decodeFrame(data);
        if (!d.ok) return this.log.warn({ reason: d.error.code }, 'introducer sent an undecodable frame');
        const f = d.value;
        if (f.type !== 'SERVER_WELCOME') return;
        let v: Verified<FrameOf<'SERVER_WELCOME'>>;
        if (this.entry.pubkey === undefined) {
          this.log.warn('introducer configured without a pinned key: WELCOME accepted unverified');
          v = acceptUnsigned(f, 'unpinned-introducer');
        } else {
          const r = verifyFrame(f, importPublicKey(this.entry.pubkey));
          if (!r.ok) {
            this.c.metrics.introducerJoins.inc({ outcome: 'bad_sig' });
            return finish(new Error(`INVALID_SIG: WELCOME does not verify under the pinned introducer key`));
          }
          v = r.value;
        }
        finish(undefined, v);
      });
    });
  }

  /** Keep the joined socket alive with HEARTBEAT. */
  keep(): void {
    this.attempt = 0;
    clearInterval(this.hb);
    this.hb = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== ws.OPEN) return;
      void this.c.seal({ type: 'HEARTBEAT', from: this.c.selfId(), to: `${this.entry.host}:${this.entry.port}`, ts: Date.now(), payload: {} }).then((t) => ws.send(t));
    }, this.init.heartbeatMs);
  }

  /** Background loop: join, keep, and re-join after any failure. */
  run(): void {
    if (this.stopped) return;
    this.join().then(
      (w) => {
        this.c.metrics.introducerJoins.inc({ outcome: 'ok' });
        this.c.onWelcome(w.payload, false);
        this.keep();
      },
      (e: Error) => {
        this.log.info({ err: e.message }, 'introducer registration failed; will retry');
        this.scheduleRetry();
      },
    );
  }

  private closed(ws: WebSocket): void {
    if (this.ws !== ws) return;
    clearInterval(this.hb);
    this.ws = undefined;
    if (this.background) this.scheduleRetry();
  }

  background = false;

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    const d = backoffDelayMs(this.attempt++, Math.random(), this.init.backoffMs);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.run();
    }, d);
  }

  /** Leave politely: a signed CTRL_CLOSE (the introducer prunes us at once), then close 1000. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.hb);
    clearTimeout(this.retry);
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === ws.OPEN && this.background) {
      try {
        ws.send(await this.c.seal({ type: 'CTRL_CLOSE', from: this.c.selfId(), to: `${this.entry.host}:${this.entry.port}`, ts: Date.now(), payload: {} }));
        ws.close(1000, 'shutdown');
        return;
      } catch {
        /* fall through to terminate */
      }
    }
    ws.terminate();
  }
}

export class Joiner {
  private readonly sessions: IntroducerSession[];
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  joined = false;

  constructor(private readonly init: JoinInit, private readonly c: JoinComponents) {
    this.sessions = init.introducers.map((e) => new IntroducerSession(e, init, c));
  }

  /** Try the introducers in order until one admits us, retrying the whole list with backoff. */
  start(attempt = 0): void {
    void this.firstJoin().then((ok) => {
      if (ok || this.stopped) return;
      this.retry = setTimeout(() => this.start(attempt + 1), backoffDelayMs(attempt, Math.random(), this.init.backoffMs));
    });
  }

  private async firstJoin(): Promise<boolean> {
    for (let i = 0; i < this.sessions.length && !this.stopped; i++) {
      const s = this.sessions[i]!;
      try {
        const w = await s.join();
        this.c.metrics.introducerJoins.inc({ outcome: 'ok' });
        this.joined = true;
        this.c.onWelcome(w.payload, true);
        s.background = true;
        s.keep();
        this.sessions.forEach((o, j) => {
          if (j === i) return;
          o.background = true;
          o.run();
        });
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
    clearTimeout(this.retry);
    await Promise.all(this.sessions.map((s) => s.stop()));
  }
}

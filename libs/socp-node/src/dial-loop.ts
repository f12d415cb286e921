/**
 * The one dial loop (S8): runs the redial policy of @socp/protocol (liveness/redial.ts) with a
 * timer. One dial in flight at most; waits from the jittered, capped backoff table; `stop()` for
 * good. Used by the server's links to other servers (transport/link-manager.ts), its sessions
 * with the introducers and its first join (bootstrap/join.ts), and the CLI's reconnect
 * (reconnect.ts). Whether a link is alive is not decided here: keep-alive.ts watches a link
 * and its owner calls `lost()` when it closes.
 *
 * @example
 * ```ts
 * const loop = new DialLoop({ backoffMs: [1000, 2000, 5000] }, {
 *   dial: (attempt) => openSocket(url),          // resolves once the link is usable
 *   connected: (ws) => ws.on('close', () => loop.lost('closed')),
 *   discard: (ws) => ws.close(),                 // a link that lands after stop()
 * });
 * loop.dialNow();
 * ```
 */
import { REDIAL_START, redial, type RedialAction, type RedialEvent, type RedialPolicy, type RedialState } from '@socp/protocol';

export interface DialLoopInit extends RedialPolicy {
  /** In [0, 1): the jitter draw (tests pass a constant). Default Math.random. */
  random?: () => number;
}

export interface DialLoopHandlers<T> {
  /**
   * One dial: resolves with the link once it is usable, rejects when this attempt failed.
   * `attempt`: waits since the last reset (0 for a first dial, or one made because the peer was heard).
   */
  dial(attempt: number): Promise<T>;
  /** The dial gave a link (the loop is up until `lost()`). */
  connected?(link: T, attempt: number): void;
  /** A wait of `delayMs` starts; `attempt` counts it (1 for the first); `reason` is why (the loss, the failure). */
  waiting?(attempt: number, delayMs: number, reason: string): void;
  /** A failed dial: why it never will succeed (the loop gives up), or undefined to go on. */
  permanent?(error: unknown): string | undefined;
  /** The loop gave up (maxAttempts waits, or a permanent failure); it is idle again. */
  gaveUp?(reason: string): void;
  /** A link that landed after stop(): close it. */
  discard?(link: T): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class DialLoop<T> {
  private state: RedialState = REDIAL_START;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly init: DialLoopInit, private readonly h: DialLoopHandlers<T>) {}

  /** Dial now, unless a link is up, a dial is in flight or a wait runs (idempotent). */
  dialNow(): void {
    this.step({ kind: 'dial-now' }, '');
  }

  /** The link went away: wait the next backoff step, then dial. Ignored while dialing or waiting. */
  lost(reason: string): void {
    this.step({ kind: 'lost', now: Date.now(), random: this.random() }, reason);
  }

  /** Life from the peer: the backoff starts again from its first step, and a wait ends now. */
  heard(): void {
    this.step({ kind: 'heard' }, '');
  }

  /** For good: no further dial; a dial in flight is discarded when it lands. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.step({ kind: 'stop' }, '');
  }

  /** Waiting or dialing. */
  get active(): boolean {
    return this.state.phase === 'waiting' || this.state.phase === 'dialing';
  }

  get dialing(): boolean {
    return this.state.phase === 'dialing';
  }

  /** Whole seconds until the next dial (0 while one runs). */
  secondsLeft(now = Date.now()): number {
    return this.state.phase === 'waiting' ? Math.max(0, Math.ceil((this.state.dueAt - now) / 1000)) : 0;
  }

  private random(): number {
    return (this.init.random ?? Math.random)();
  }

  private step(e: RedialEvent, reason: string): void {
    const { state, action } = redial(this.state, e, this.init);
    this.state = state;
    this.act(action, reason);
  }

  private act(a: RedialAction, reason: string): void {
    switch (a.kind) {
      case 'none':
        return;
      case 'give-up':
        return this.h.gaveUp?.(`no connection after ${a.attempts} attempts (last: ${reason})`);
      case 'wait':
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.step({ kind: 'due' }, '');
        }, a.delayMs);
        return this.h.waiting?.(a.attempt, a.delayMs, reason);
      case 'dial': {
        let link: Promise<T>;
        try {
          link = this.h.dial(a.attempt);
        } catch (e) {
          link = Promise.reject(e);
        }
        return void link.then(
          (l) => this.landed(l),
          (e: unknown) => this.failed(e),
        );
      }
    }
  }

  private landed(link: T): void {
    if (this.state.phase === 'stopped') return this.h.discard?.(link);
    this.step({ kind: 'connected' }, '');
    this.h.connected?.(link, this.state.attempt);
  }

  private failed(e: unknown): void {
    if (this.state.phase === 'stopped') return;
    const fatal = this.h.permanent?.(e);
    if (fatal !== undefined) {
      this.state = { ...this.state, phase: 'idle' };
      return this.h.gaveUp?.(fatal);
    }
    this.step({ kind: 'failed', now: Date.now(), random: this.random() }, message(e));
  }
}

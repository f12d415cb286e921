/**
 * Reconnecting after the server went away (docs/client.md "When the server goes away"): dial
 * again (the dial may move to another server: failover.ts) after 1, 2, 5, 10, 30, 30, … s (SPEC §13 [profile] backoff, ±20 % jitter), until a dial
 * succeeds, an error that cannot get better comes back, or MAX_RECONNECT_ATTEMPTS ran out.
 * Generic over what a dial yields, so the state handling is testable without a server.
 */
import { backoffDelayMs, RECONNECT_BACKOFF_MS, SocpError } from '@socp/protocol';

/** About an hour at the 30 s cap; then the session ends (exit 1). */
export const MAX_RECONNECT_ATTEMPTS = 120;
/**
 * NAME_IN_USE right after a restart can be the old session still registered for a moment;
 * this many in a row means someone else holds the name now.
 */
export const MAX_NAME_IN_USE_ATTEMPTS = 5;

export interface ReconnectHandlers<T> {
  /** Attempt `attempt` (1-based) starts in `delayMs`; `reason` is why the last one ended. */
  reconnecting(attempt: number, delayMs: number, reason: string): void;
  connected(link: T, attempt: number): void;
  gaveUp(reason: string): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Why an error will not get better by dialling again, or undefined when it may. */
export function permanentFailure(e: unknown, nameInUseInARow: number): string | undefined {
  if (!(e instanceof SocpError)) return undefined;
  switch (e.code) {
    case 'BAD_KEY': // a changed server key, or our account holds another key: never silently accepted
    case 'INVALID_SIG': // the server's answers do not verify under the key it presents
    case 'SOCP_ERR_KEYSTORE': // the password no longer opens the account
      return e.message;
    case 'NAME_IN_USE':
      return nameInUseInARow >= MAX_NAME_IN_USE_ATTEMPTS ? `${e.message} (${nameInUseInARow} times in a row)` : undefined;
    default:
      return undefined;
  }
}

export class Reconnector<T> {
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private nameInUse = 0;
  private nextAt = 0;
  private dialing = false;
  private stopped = false;

  constructor(
    /** One dial; `attempt` is 1 for the first of a sequence (failover starts at the preferred server then). */
    private readonly dial: (attempt: number) => Promise<T>,
    /** Close a link that arrived after stop(). */
    private readonly discard: (link: T) => void,
    private readonly h: ReconnectHandlers<T>,
    private readonly table: readonly number[] = RECONNECT_BACKOFF_MS,
    private readonly random: () => number = Math.random,
  ) {}

  /** The link was lost: start dialling (from the first backoff step). */
  start(reason: string): void {
    if (this.stopped || this.active) return;
    this.attempt = 0;
    this.nameInUse = 0;
    this.schedule(reason);
  }

  /** True from start() until connected, given up or stopped. */
  get active(): boolean {
    return this.timer !== undefined || this.dialing;
  }

  /** Whole seconds until the next dial (0 while one runs). */
  secondsLeft(now = Date.now()): number {
    return this.dialing ? 0 : Math.max(0, Math.ceil((this.nextAt - now) / 1000));
  }

  /** For good (/quit): no further dial; a dial in flight is discarded when it lands. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(reason: string): void {
    if (this.attempt >= MAX_RECONNECT_ATTEMPTS) return this.h.gaveUp(`no connection after ${this.attempt} attempts (last: ${reason})`);
    const delay = backoffDelayMs(this.attempt, this.random(), this.table);
    this.attempt++;
    this.nextAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.tryOnce(), delay);
    this.h.reconnecting(this.attempt, delay, reason);
  }

  private async tryOnce(): Promise<void> {
    this.timer = undefined;
    this.dialing = true;
    let link: T;
    try {
      link = await this.dial(this.attempt);
    } catch (e) {
      this.dialing = false;
      if (this.stopped) return;
      this.nameInUse = e instanceof SocpError && e.code === 'NAME_IN_USE' ? this.nameInUse + 1 : 0;
      const fatal = permanentFailure(e, this.nameInUse);
      if (fatal !== undefined) return this.h.gaveUp(fatal);
      return this.schedule(message(e));
    }
    this.dialing = false;
    if (this.stopped) return this.discard(link);
    this.h.connected(link, this.attempt);
  }
}

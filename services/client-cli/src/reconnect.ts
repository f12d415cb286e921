/**
 * Reconnecting after the server went away (docs/client.md "When the server goes away"): dial
 * again (the dial may move to another server: failover.ts) after 1, 2, 5, 10, 30, 30, … s (SPEC §13 [profile] backoff, ±20 % jitter), until a dial
 * succeeds, an error that cannot get better comes back, or MAX_RECONNECT_ATTEMPTS ran out.
 * The loop itself is the one dial loop (@socp/node DialLoop); this file adds the CLI's rules:
 * which failures are final, how many attempts, a fresh sequence per loss.
 * Generic over what a dial yields, so the state handling is testable without a server.
 */
import { RECONNECT_BACKOFF_MS, SocpError } from '@socp/protocol';
import { DialLoop } from '@socp/node';

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
  private readonly loop: DialLoop<T>;
  private nameInUse = 0;
  private stopped = false;

  constructor(
    /** One dial; `attempt` is 1 for the first of a sequence (failover starts at the preferred server then). */
    dial: (attempt: number) => Promise<T>,
    /** Close a link that arrived after stop(). */
    discard: (link: T) => void,
    h: ReconnectHandlers<T>,
    table: readonly number[] = RECONNECT_BACKOFF_MS,
    random: () => number = Math.random,
  ) {
    this.loop = new DialLoop<T>({ backoffMs: table, maxAttempts: MAX_RECONNECT_ATTEMPTS, random }, {
      dial,
      discard,
      waiting: (attempt, delayMs, reason) => h.reconnecting(attempt, delayMs, reason),
      connected: (link, attempt) => h.connected(link, attempt),
      gaveUp: (reason) => h.gaveUp(reason),
      permanent: (e) => {
        this.nameInUse = e instanceof SocpError && e.code === 'NAME_IN_USE' ? this.nameInUse + 1 : 0;
        return permanentFailure(e, this.nameInUse);
      },
    });
  }

  /** The link was lost: start dialling (from the first backoff step). */
  start(reason: string): void {
    if (this.stopped || this.active) return;
    this.nameInUse = 0;
    this.loop.heard(); // a new sequence: the backoff starts from its first step
    this.loop.lost(reason);
  }

  /** True from start() until connected, given up or stopped. */
  get active(): boolean {
    return this.loop.active;
  }

  /** Whole seconds until the next dial (0 while one runs). */
  secondsLeft(now = Date.now()): number {
    return this.loop.secondsLeft(now);
  }

  /** For good (/quit): no further dial; a dial in flight is discarded when it lands. */
  stop(): void {
    this.stopped = true;
    this.loop.stop();
  }
}

/**
 * Back-off for password log-ins that cannot be turned into a lock-out (docs/accounts.md "Rate
 * limits"; the limits and their reasons are in limits.ts). Pure: time comes in as `now`.
 *
 * Three failure scores, each decaying with LOGIN_FAILURE_HALF_LIFE_MS: per source address, per
 * name and source, per name. A LOGIN_START is held back only by the scores of ITS source (the
 * source's own, and the name's from that source), so failures from one address never delay
 * another; the per-name score only shrinks how many free failures each source gets for a name
 * under attack. The owner, who knows the password, never fails and is never held back — unless
 * the attacker shares the owner's address (a NAT), where back-off is per address and
 * both wait (see "What remains open" in docs/SECURITY.md).
 *
 *   const t = new LoginThrottle();
 *   const held = t.check(source, name, now);          // undefined, or {scope, retryMs}
 *   const settle = t.start(source, name);             // an attempt in flight
 *   settle('failed', later);                           // counted now; 'ok' clears it, 'void' only frees the slot
 */
import {
  LOGIN_BACKOFF_BASE_MS, LOGIN_BACKOFF_MAX_MS, LOGIN_FAILURE_HALF_LIFE_MS, LOGIN_FREE_FAILURES_PER_NAME_SOURCE, LOGIN_FREE_FAILURES_PER_SOURCE,
  LOGIN_IN_FLIGHT_PER_SOURCE, LOGIN_NAME_UNDER_ATTACK_FAILURES, LOGIN_STEP_TIMEOUT_MS, LOGIN_THROTTLE_ENTRIES,
} from './limits';

export type ThrottleScope = 'source' | 'name_source' | 'inflight';
/** How an attempt ended: a good LOGIN_FINISH, a failure (the guess was made), or nothing learnt (our own error). */
export type LoginOutcome = 'ok' | 'failed' | 'void';
export interface Held { scope: ThrottleScope; retryMs: number }

/** The wait after `score` failures of which `free` cost nothing: base, doubled per failure past them, capped. */
export function backoffMs(score: number, free: number): number {
  if (score <= free) return 0;
  return Math.min(LOGIN_BACKOFF_MAX_MS, LOGIN_BACKOFF_BASE_MS * 2 ** (Math.ceil(score - free) - 1));
}

/** Failure scores by key, decaying; the least recently failed key goes first past LOGIN_THROTTLE_ENTRIES. */
class Scores {
  private readonly m = new Map<string, { score: number; at: number }>();

  score(key: string, now: number): number {
    const e = this.m.get(key);
    return e === undefined ? 0 : e.score * 2 ** (-Math.max(0, now - e.at) / LOGIN_FAILURE_HALF_LIFE_MS);
  }

  /** ms until a key with `free` free failures may try again (0 = now). */
  wait(key: string, free: number, now: number): number {
    const e = this.m.get(key);
    return e === undefined ? 0 : Math.max(0, e.at + backoffMs(this.score(key, now), free) - now);
  }

  fail(key: string, now: number): void {
    const score = this.score(key, now) + 1;
    this.m.delete(key); // re-inserted last: Map order is the eviction order
    this.m.set(key, { score, at: now });
    if (this.m.size > LOGIN_THROTTLE_ENTRIES) this.m.delete(this.m.keys().next().value!);
  }

  clear(key: string): void {
    this.m.delete(key);
  }
}

export class LoginThrottle {
  private readonly bySource = new Scores();
  private readonly byName = new Scores();
  private readonly byNameSource = new Scores();
  private readonly inFlight = new Map<string, number>();

  /** Undefined when a log-in for `name` from `source` may start now; else what holds it and for how long. */
  check(source: string, name: string, now: number): Held | undefined {
    if ((this.inFlight.get(source) ?? 0) >= LOGIN_IN_FLIGHT_PER_SOURCE) return { scope: 'inflight', retryMs: LOGIN_STEP_TIMEOUT_MS };
    const s = this.bySource.wait(source, LOGIN_FREE_FAILURES_PER_SOURCE, now);
    if (s > 0) return { scope: 'source', retryMs: s };
    const free = this.byName.score(name, now) > LOGIN_NAME_UNDER_ATTACK_FAILURES ? 1 : LOGIN_FREE_FAILURES_PER_NAME_SOURCE;
    const n = this.byNameSource.wait(pair(name, source), free, now);
    return n > 0 ? { scope: 'name_source', retryMs: n } : undefined;
  }

  /**
   * An attempt started (its LOGIN_CHALLENGE is the guess): it holds an in-flight slot of its
   * source until settled. The returned function settles it once (later calls do nothing):
   * 'ok' clears the name's failures from that source; 'failed' is counted in all three scores.
   */
  start(source: string, name: string): (outcome: LoginOutcome, at: number) => void {
    this.inFlight.set(source, (this.inFlight.get(source) ?? 0) + 1);
    let settled = false;
    return (outcome, at) => {
      if (settled) return;
      settled = true;
      const n = (this.inFlight.get(source) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(source);
      else this.inFlight.set(source, n);
      if (outcome === 'ok') return this.byNameSource.clear(pair(name, source));
      if (outcome === 'void') return;
      this.bySource.fail(source, at);
      this.byName.fail(name, at);
      this.byNameSource.fail(pair(name, source), at);
    };
  }
}

const pair = (name: string, source: string): string => `${source}\n${name}`;

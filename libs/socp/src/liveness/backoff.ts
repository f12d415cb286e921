/**
 * Reconnect backoff (§13 [profile]): 1, 2, 5, 10, 30 s, capped at the last step, each with
 * ±RECONNECT_JITTER_RATIO jitter so a restarted server is not dialled by everyone at once.
 * `random` is an input in [0, 1) so tests are deterministic.
 */
import { RECONNECT_BACKOFF_MS, RECONNECT_JITTER_RATIO } from '../constants';

export function backoffDelayMs(attempt: number, random: number, table: readonly number[] = RECONNECT_BACKOFF_MS, jitter = RECONNECT_JITTER_RATIO): number {
  const base = table[Math.min(Math.max(attempt, 0), table.length - 1)] ?? 1000;
  return Math.round(base * (1 - jitter + 2 * jitter * random));
}

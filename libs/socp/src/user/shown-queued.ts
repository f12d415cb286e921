/**
 * Queued DMs this account has already handled, kept across runs (the client stores them:
 * `saveShown` effects): a DM the server hands over again because our ACK never reached it (the
 * process or the link died in between) is acknowledged silently, not shown a second time.
 * Entries are SHA-256 digests of `sender|ts|content_sig` (no content), the newest
 * MAX_SHOWN_QUEUED kept.
 */
import { sha256 } from '../crypto/keys';

/** Twice the server's per-user queue bound (MAX_QUEUED_PER_USER = 500). */
export const MAX_SHOWN_QUEUED = 1_000;

export const shownKey = (sender: string, ts: number, contentSig: string): string => sha256(`${sender}|${ts}|${contentSig}`).toString('hex');

const HEX64 = /^[0-9a-f]{64}$/;

export class ShownQueued {
  private readonly keys: Set<string>;
  private dirty = false;

  /** `stored`: what an earlier run kept; anything that is not a list of digests is ignored (a damaged file: DMs are shown again, never lost). */
  constructor(stored: unknown = []) {
    this.keys = new Set(Array.isArray(stored) ? stored.filter((k): k is string => typeof k === 'string' && HEX64.test(k)).slice(-MAX_SHOWN_QUEUED) : []);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > MAX_SHOWN_QUEUED) this.keys.delete(this.keys.values().next().value!);
    this.dirty = true;
  }

  /** The digests to store, once after each change, oldest first (undefined: nothing changed since). */
  takeChanged(): string[] | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return [...this.keys];
  }
}

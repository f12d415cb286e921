/**
 * The `seen_ids` dedupe cache (§12): remembers keys for `ttlMs`, at most `capacity` of them
 * (oldest evicted first). Time is an input (`now`), so it is deterministic under test.
 */
import { SEEN_IDS_CAPACITY, SEEN_IDS_TTL_MS } from '../constants';

export class SeenCache {
  private readonly map = new Map<string, number>(); // key → expiry (insertion-ordered)
  constructor(readonly ttlMs = SEEN_IDS_TTL_MS, readonly capacity = SEEN_IDS_CAPACITY) {}

  /** Record `key`; true if it was NOT seen within the TTL (i.e. process the frame). */
  firstSeen(key: string, now: number): boolean {
    this.expire(now);
    const exp = this.map.get(key);
    if (exp !== undefined && exp > now) return false;
    this.map.delete(key);
    this.map.set(key, now + this.ttlMs);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return true;
  }
  has(key: string, now: number): boolean {
    const exp = this.map.get(key);
    return exp !== undefined && exp > now;
  }
  get size(): number {
    return this.map.size;
  }
  private expire(now: number): void {
    for (const [k, exp] of this.map) {
      if (exp > now) break;
      this.map.delete(k);
    }
  }
}

// SeenCache lives in src/routing but is a plain data structure; its routing use is tested in test/routing.
import fc from 'fast-check';
import { SeenCache, SEEN_IDS_CAPACITY, SEEN_IDS_TTL_MS } from '@socp/protocol';

describe('SeenCache (§12 seen_ids: TTL + bounded)', () => {
  test('defaults come from the named constants', () => {
    const c = new SeenCache();
    expect([c.ttlMs, c.capacity]).toEqual([SEEN_IDS_TTL_MS, SEEN_IDS_CAPACITY]);
  });
  test('first sighting is true, a repeat within the TTL is false, after the TTL it is new again', () => {
    const c = new SeenCache(1000, 10);
    expect(c.firstSeen('k', 0)).toBe(true);
    expect(c.firstSeen('k', 999)).toBe(false);
    expect(c.has('k', 999)).toBe(true);
    expect(c.has('k', 1000)).toBe(false);
    expect(c.firstSeen('k', 1000)).toBe(true);
    expect(c.firstSeen('k', 1500)).toBe(false);
  });
  test('a repeat does not extend the TTL (the window is from the first sighting)', () => {
    const c = new SeenCache(1000, 10);
    c.firstSeen('k', 0);
    c.firstSeen('k', 900);
    expect(c.firstSeen('k', 1001)).toBe(true);
  });
  test('expired entries are dropped as time passes', () => {
    const c = new SeenCache(100, 1000);
    for (let i = 0; i < 50; i++) c.firstSeen(`k${i}`, i);
    expect(c.size).toBe(50);
    c.firstSeen('late', 140);
    expect(c.size).toBe(10); // k41..k49 (expire at 141..149) and 'late'
  });
  test('never holds more than capacity; the oldest is evicted first', () => {
    const c = new SeenCache(1_000_000, 3);
    for (const k of ['a', 'b', 'c', 'd']) c.firstSeen(k, 1);
    expect(c.size).toBe(3);
    expect(c.has('a', 2)).toBe(false);
    expect(c.has('d', 2)).toBe(true);
    expect(c.firstSeen('a', 3)).toBe(true);
  });
  test('property: size ≤ capacity and a key seen within TTL is always reported as seen unless evicted by capacity', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 50 })), { maxLength: 200 }), (ops) => {
      const c = new SeenCache(100, 8);
      const model = new Map<string, number>();
      let now = 0;
      for (const [k, dt] of ops) {
        now += dt;
        const key = `k${k}`;
        const fresh = c.firstSeen(key, now);
        const exp = model.get(key);
        if (exp !== undefined && exp > now && !fresh) continue; // seen: agrees with model
        if (exp !== undefined && exp > now && fresh) {
          // only allowed if capacity evicted it: more than 8 distinct newer live keys
          const newer = [...model.values()].filter((e) => e > exp).length;
          expect(newer).toBeGreaterThanOrEqual(8);
        }
        model.set(key, now + 100);
        expect(c.size).toBeLessThanOrEqual(8);
      }
    }), { numRuns: 300 });
  });
});

import { backoffDelayMs, DEFAULT_LIVENESS, HEARTBEAT_INTERVAL_MS, heartbeatDue, linkIsDead, PEER_DEAD_AFTER_MS, RECONNECT_BACKOFF_MS } from '@socp/protocol';

describe('backoffDelayMs (§13 [profile]: 1, 2, 5, 10, 30 s, ±20 % jitter)', () => {
  test('the table, at the centre of the jitter range', () => {
    expect(RECONNECT_BACKOFF_MS).toEqual([1000, 2000, 5000, 10000, 30000]);
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, 0.5))).toEqual([1000, 2000, 5000, 10000, 30000]);
  });
  test('capped at the last step; negative attempts use the first', () => {
    expect(backoffDelayMs(5, 0.5)).toBe(30000);
    expect(backoffDelayMs(1000, 0.5)).toBe(30000);
    expect(backoffDelayMs(-3, 0.5)).toBe(1000);
  });
  test('jitter spans ±20 %', () => {
    expect(backoffDelayMs(0, 0)).toBe(800);
    expect(backoffDelayMs(0, 0.999999)).toBe(1200);
    expect(backoffDelayMs(4, 0)).toBe(24000);
    for (let r = 0; r < 1; r += 0.05) {
      const d = backoffDelayMs(2, r);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(6000);
    }
  });
  test('a custom table and jitter', () => {
    expect(backoffDelayMs(1, 0, [10, 20], 0)).toBe(20);
    expect(backoffDelayMs(9, 1, [10, 20], 0.5)).toBe(30);
  });
});

describe('linkIsDead (§13: 45 s silence)', () => {
  test('defaults are 15 s heartbeat, 45 s dead', () => {
    expect(DEFAULT_LIVENESS).toEqual({ heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, deadAfterMs: PEER_DEAD_AFTER_MS });
    expect([HEARTBEAT_INTERVAL_MS, PEER_DEAD_AFTER_MS]).toEqual([15000, 45000]);
  });
  test('alive before 45 s, dead at 45 s', () => {
    expect(linkIsDead(1000, 1000 + 44_999)).toBe(false);
    expect(linkIsDead(1000, 1000 + 45_000)).toBe(true);
    expect(linkIsDead(0, 100, { heartbeatIntervalMs: 10, deadAfterMs: 100 })).toBe(true);
  });
});

describe('heartbeatDue (§13: a HEARTBEAT every 15 s)', () => {
  test('due once the interval has passed since the last one', () => {
    expect(heartbeatDue(1000, 1000 + 14_999)).toBe(false);
    expect(heartbeatDue(1000, 1000 + 15_000)).toBe(true);
    expect(heartbeatDue(0, 10, { heartbeatIntervalMs: 10, deadAfterMs: 100 })).toBe(true);
  });
});

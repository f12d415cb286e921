/** The dial loop's driver (dial-loop.ts) on jest's fake clock; the policy itself: libs/socp/test/liveness/redial.test.ts. */
import { DialLoop, keepAlive, type DialLoopHandlers } from '@socp/node';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A loop whose dials wait to be settled by the test. */
function harness(h: Partial<DialLoopHandlers<string>> = {}, maxAttempts?: number) {
  const dials: Array<{ attempt: number; ok: (l: string) => void; fail: (e: Error) => void }> = [];
  const log: unknown[][] = [];
  const loop = new DialLoop<string>({ backoffMs: [100, 200], random: () => 0.5, maxAttempts }, {
    dial: (attempt) => new Promise((ok, fail) => dials.push({ attempt, ok, fail })),
    connected: (l, a) => log.push(['connected', l, a]),
    waiting: (a, d, why) => log.push(['waiting', a, d, why]),
    gaveUp: (why) => log.push(['gaveUp', why]),
    discard: (l) => log.push(['discard', l]),
    ...h,
  });
  return { loop, dials, log };
}

test('one dial in flight; failures wait the table; a link lost waits too', async () => {
  const { loop, dials, log } = harness();
  loop.dialNow();
  loop.dialNow();
  loop.lost('ignored while dialing');
  expect(dials.map((d) => d.attempt)).toEqual([0]);
  dials[0]!.fail(new Error('refused'));
  await jest.advanceTimersByTimeAsync(99);
  expect(dials).toHaveLength(1);
  expect(loop.secondsLeft()).toBe(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(dials.map((d) => d.attempt)).toEqual([0, 1]);
  dials[1]!.ok('link');
  await jest.advanceTimersByTimeAsync(0);
  expect(loop.active).toBe(false);
  loop.lost('closed');
  await jest.advanceTimersByTimeAsync(200);
  expect(dials.map((d) => d.attempt)).toEqual([0, 1, 2]);
  expect(log).toEqual([['waiting', 1, 100, 'refused'], ['connected', 'link', 1], ['waiting', 2, 200, 'closed']]);
});

test('hearing the peer ends a wait at once; stop() is for good and discards a late link', async () => {
  const { loop, dials, log } = harness();
  loop.lost('closed');
  loop.heard();
  expect(dials.map((d) => d.attempt)).toEqual([0]);
  loop.stop();
  dials[0]!.ok('late');
  await jest.advanceTimersByTimeAsync(1_000);
  loop.dialNow();
  expect(dials).toHaveLength(1);
  expect(log).toEqual([['waiting', 1, 100, 'closed'], ['discard', 'late']]);
});

test('a permanent failure, or maxAttempts waits, gives up; a dial that throws is a failure', async () => {
  const fatal = harness({ permanent: (e) => ((e as Error).message === 'bad key' ? 'their key changed' : undefined) });
  fatal.loop.dialNow();
  fatal.dials[0]!.fail(new Error('bad key'));
  await jest.advanceTimersByTimeAsync(0);
  expect(fatal.log).toEqual([['gaveUp', 'their key changed']]);
  expect(fatal.loop.active).toBe(false);

  const log: unknown[] = [];
  const bounded = new DialLoop<string>({ backoffMs: [10], maxAttempts: 2 }, {
    dial: () => {
      throw new Error('no route');
    },
    gaveUp: (why) => log.push(why),
  });
  bounded.dialNow();
  await jest.advanceTimersByTimeAsync(100);
  expect(log).toEqual(['no connection after 2 attempts (last: no route)']);
});

test('keepAlive: beats while the link is heard, one dead verdict once it is silent for deadAfterMs, none while paused', async () => {
  let heard = Date.now();
  let paused = true;
  const beats: number[] = [];
  const dead: number[] = [];
  const w = keepAlive({ everyMs: 100, deadAfterMs: 250 }, { lastHeard: () => heard, beat: (now) => beats.push(now), dead: (ms) => dead.push(ms), paused: () => paused });
  await jest.advanceTimersByTimeAsync(500);
  expect([beats.length, dead]).toEqual([5, []]);
  paused = false;
  heard = Date.now();
  await jest.advanceTimersByTimeAsync(200);
  expect(dead).toEqual([]);
  await jest.advanceTimersByTimeAsync(500);
  expect(dead).toEqual([300]);
  expect(beats.length).toBe(7);
  w.stop();
});

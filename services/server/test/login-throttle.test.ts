/**
 * The log-in back-off (accounts/login-throttle.ts), with time passed in: free failures, then
 * waits that double up to a cap and fade with the half-life; held only by the failing source's
 * own failures; a name under attack gives each new source one free failure; in-flight attempts
 * of one source are bounded.
 */
import {
  LOGIN_BACKOFF_BASE_MS, LOGIN_BACKOFF_MAX_MS, LOGIN_FAILURE_HALF_LIFE_MS, LOGIN_FREE_FAILURES_PER_NAME_SOURCE, LOGIN_FREE_FAILURES_PER_SOURCE,
  LOGIN_IN_FLIGHT_PER_SOURCE, LOGIN_NAME_UNDER_ATTACK_FAILURES,
} from '../src/accounts/limits';
import { LoginThrottle, backoffMs } from '../src/accounts/login-throttle';

const T0 = 1_700_000_000_000;

/** One attempt from `source` for `name` at `now` that fails. */
const fail = (t: LoginThrottle, source: string, name: string, now: number): void => t.start(source, name)('failed', now);

test('backoffMs: free failures cost nothing, then the base doubles per failure, capped', () => {
  expect(backoffMs(LOGIN_FREE_FAILURES_PER_NAME_SOURCE, LOGIN_FREE_FAILURES_PER_NAME_SOURCE)).toBe(0);
  expect(backoffMs(LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 1, LOGIN_FREE_FAILURES_PER_NAME_SOURCE)).toBe(LOGIN_BACKOFF_BASE_MS);
  expect(backoffMs(LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 2, LOGIN_FREE_FAILURES_PER_NAME_SOURCE)).toBe(2 * LOGIN_BACKOFF_BASE_MS);
  expect(backoffMs(LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 3, LOGIN_FREE_FAILURES_PER_NAME_SOURCE)).toBe(4 * LOGIN_BACKOFF_BASE_MS);
  expect(backoffMs(LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 40, LOGIN_FREE_FAILURES_PER_NAME_SOURCE)).toBe(LOGIN_BACKOFF_MAX_MS);
});

test('a source failing one name: free failures, then a growing wait; another source is never held', () => {
  const t = new LoginThrottle();
  for (let i = 0; i < LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 1; i++) {
    expect(t.check('10.0.0.66', 'alice', T0 + i)).toBeUndefined();
    fail(t, '10.0.0.66', 'alice', T0 + i);
  }
  const held = t.check('10.0.0.66', 'alice', T0 + 10);
  expect(held?.scope).toBe('name_source');
  expect(held!.retryMs).toBeGreaterThan(LOGIN_BACKOFF_BASE_MS - 100);
  expect(held!.retryMs).toBeLessThanOrEqual(LOGIN_BACKOFF_BASE_MS);
  // The owner, elsewhere, is not affected at all.
  expect(t.check('10.0.0.7', 'alice', T0 + 10)).toBeUndefined();
  // Waiting out the wait lets one more try through; failing it doubles the next wait.
  const later = T0 + LOGIN_BACKOFF_BASE_MS + 10;
  expect(t.check('10.0.0.66', 'alice', later)).toBeUndefined();
  fail(t, '10.0.0.66', 'alice', later);
  expect(t.check('10.0.0.66', 'alice', later + 1)!.retryMs).toBeGreaterThan(2 * LOGIN_BACKOFF_BASE_MS - 100);
});

test('failures fade: two half-lives later a source that stopped is free again', () => {
  const t = new LoginThrottle();
  for (let i = 0; i < LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 3; i++) fail(t, 's', 'bob', T0);
  expect(t.check('s', 'bob', T0 + 1)).toBeDefined();
  expect(t.check('s', 'bob', T0 + 2 * LOGIN_FAILURE_HALF_LIFE_MS)).toBeUndefined();
});

test('a success clears the name\'s failures from that source', () => {
  const t = new LoginThrottle();
  for (let i = 0; i < LOGIN_FREE_FAILURES_PER_NAME_SOURCE; i++) fail(t, 's', 'carol', T0);
  t.start('s', 'carol')('ok', T0 + 1);
  for (let i = 0; i < LOGIN_FREE_FAILURES_PER_NAME_SOURCE; i++) fail(t, 's', 'carol', T0 + 2);
  expect(t.check('s', 'carol', T0 + 3)).toBeUndefined();
});

test('a source spraying many names is held by its own score', () => {
  const t = new LoginThrottle();
  for (let i = 0; i <= LOGIN_FREE_FAILURES_PER_SOURCE; i++) fail(t, 'sprayer', `user${i}`, T0);
  expect(t.check('sprayer', 'someone-new', T0 + 1)?.scope).toBe('source');
  expect(t.check('other', 'someone-new', T0 + 1)).toBeUndefined();
});

test('a name under attack from many sources gives each new source one free failure, and none to the owner\'s clean source', () => {
  const t = new LoginThrottle();
  for (let i = 0; i <= LOGIN_NAME_UNDER_ATTACK_FAILURES; i++) fail(t, `bot${i}`, 'dave', T0);
  fail(t, 'bot-new', 'dave', T0 + 1);
  expect(t.check('bot-new', 'dave', T0 + 2)).toBeUndefined(); // its one free failure
  fail(t, 'bot-new', 'dave', T0 + 2);
  expect(t.check('bot-new', 'dave', T0 + 3)?.scope).toBe('name_source');
  expect(t.check('owner', 'dave', T0 + 3)).toBeUndefined();
});

test('attempts in flight from one source are bounded; settling frees a slot, once', () => {
  const t = new LoginThrottle();
  const settles = Array.from({ length: LOGIN_IN_FLIGHT_PER_SOURCE }, () => t.start('s', 'erin'));
  expect(t.check('s', 'frank', T0)?.scope).toBe('inflight');
  settles[0]!('void', T0);
  settles[0]!('void', T0); // a second settle changes nothing
  expect(t.check('s', 'frank', T0)).toBeUndefined();
  expect(t.start('s', 'frank')).toBeDefined();
  expect(t.check('s', 'frank', T0)?.scope).toBe('inflight');
});

/**
 * The reconnect state handling (reconnect.ts) with a scripted dial and a millisecond backoff
 * table (the real one is 1, 2, 5, 10, 30 s). (The roster rebuilt from a reconnect's snapshot:
 * libs/socp/test/user/roster.test.ts.)
 * Waits are on conditions with deadlines.
 */
import { SocpError } from '@socp/protocol';
import { waitFor } from '../../../tests/harness/wait';
import { MAX_NAME_IN_USE_ATTEMPTS, MAX_RECONNECT_ATTEMPTS, Reconnector, permanentFailure } from '../src/reconnect';

const TABLE = [1, 2, 5];
type Log = Array<[string, ...unknown[]]>;

function scripted(outcomes: Array<string | Error>): { r: Reconnector<string>; log: Log; dials: () => number; discarded: string[] } {
  const log: Log = [];
  const discarded: string[] = [];
  let n = 0;
  const r = new Reconnector<string>(
    async () => {
      const o = outcomes[Math.min(n++, outcomes.length - 1)]!;
      if (o instanceof Error) throw o;
      return o;
    },
    (l) => discarded.push(l),
    {
      reconnecting: (attempt, delay, reason) => log.push(['reconnecting', attempt, delay, reason]),
      connected: (l, attempt) => log.push(['connected', l, attempt]),
      gaveUp: (reason) => log.push(['gaveUp', reason]),
    },
    TABLE,
    () => 0.5, // no jitter
  );
  return { r, log, dials: () => n, discarded };
}

const lastIs = (log: Log, what: string) => () => log.at(-1)?.[0] === what;

test('dials with the backoff table, capped at its last step, until a dial succeeds', async () => {
  const down = new SocpError('TIMEOUT', 'cannot connect');
  const { r, log } = scripted([down, down, down, 'link']);
  r.start('server closed the connection (1001)');
  expect(r.active).toBe(true);
  await waitFor('connected', lastIs(log, 'connected'), 5_000, 1);
  expect(log).toEqual([
    ['reconnecting', 1, 1, 'server closed the connection (1001)'],
    ['reconnecting', 2, 2, 'cannot connect'],
    ['reconnecting', 3, 5, 'cannot connect'],
    ['reconnecting', 4, 5, 'cannot connect'],
    ['connected', 'link', 4],
  ]);
  expect(r.active).toBe(false);
});

test('a changed server key (BAD_KEY) or a refused password ends it at once', async () => {
  for (const e of [new SocpError('BAD_KEY', 'the server presents a DIFFERENT key'), new SocpError('SOCP_ERR_KEYSTORE', 'login failed')]) {
    const { r, log, dials } = scripted([e, 'never']);
    r.start('lost');
    await waitFor('gave up', lastIs(log, 'gaveUp'), 5_000, 1);
    expect(dials()).toBe(1);
    expect(log.at(-1)).toEqual(['gaveUp', e.message]);
    expect(r.active).toBe(false);
  }
});

test('NAME_IN_USE is retried a few times in a row, then it is final', async () => {
  const { r, log, dials } = scripted([new SocpError('NAME_IN_USE', 'name taken')]);
  r.start('lost');
  await waitFor('gave up', lastIs(log, 'gaveUp'), 5_000, 1);
  expect(dials()).toBe(MAX_NAME_IN_USE_ATTEMPTS);
  expect(permanentFailure(new SocpError('NAME_IN_USE', 'x'), MAX_NAME_IN_USE_ATTEMPTS - 1)).toBeUndefined();
  expect(permanentFailure(new SocpError('TIMEOUT', 'x'), 99)).toBeUndefined();
});

test('attempts are bounded', async () => {
  const log: Log = [];
  let dials = 0;
  const r = new Reconnector(() => (dials++, Promise.reject(new SocpError('TIMEOUT', 'down'))), () => undefined, {
    reconnecting: () => undefined, connected: () => undefined, gaveUp: (why) => log.push(['gaveUp', why]),
  }, [0]);
  r.start('lost');
  await waitFor('gave up', lastIs(log, 'gaveUp'), 20_000, 1);
  expect(log.at(-1)?.[1]).toMatch(new RegExp(`^no connection after ${MAX_RECONNECT_ATTEMPTS} attempts \\(last: down\\)`));
  expect(dials).toBe(MAX_RECONNECT_ATTEMPTS);
  expect(r.active).toBe(false);
});

test('stop() cancels the timer, and a dial that lands afterwards is discarded', async () => {
  let land: ((l: string) => void) | undefined;
  const log: Log = [];
  const discarded: string[] = [];
  const r = new Reconnector<string>(() => new Promise((res) => (land = res)), (l) => discarded.push(l), {
    reconnecting: (a) => log.push(['reconnecting', a]), connected: (l) => log.push(['connected', l]), gaveUp: () => log.push(['gaveUp']),
  }, [1]);
  r.start('lost');
  await waitFor('dialing', () => land !== undefined, 5_000, 1);
  expect(r.secondsLeft()).toBe(0);
  r.stop();
  land!('late');
  await waitFor('discarded', () => discarded.length === 1, 5_000, 1);
  expect(log).toEqual([['reconnecting', 1]]);

  const idle = scripted(['link']);
  idle.r.start('lost');
  idle.r.stop();
  expect(idle.r.active).toBe(false);
  idle.r.start('again'); // stopped for good
  expect(idle.r.active).toBe(false);
});

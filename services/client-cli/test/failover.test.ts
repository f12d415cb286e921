/**
 * Which server the CLI dials (failover.ts, redial.ts): the preferred one (the account's home)
 * first; the next URL at once after FAILOVER_AFTER_FAILURES dials in a row that found nobody;
 * a server that answered and refused (BAD_KEY, NAME_IN_USE) is not "gone".
 */
import { SocpError } from '@socp/protocol';
import { FAILOVER_AFTER_FAILURES, ServerRotation } from '../src/failover';
import { connectRotating, firstReachable } from '../src/redial';

const URLS = ['ws://a:1', 'ws://b:2', 'ws://c:3'];
const gone = (): SocpError => new SocpError('TIMEOUT', 'cannot connect: ECONNREFUSED');

/** A dial that fails for the URLs in `down` and otherwise connects; records every URL dialled. */
function dialer(down: Set<string>, refusal?: SocpError) {
  const dialled: string[] = [];
  const dial = async (url: string): Promise<string> => {
    dialled.push(url);
    if (down.has(url)) throw refusal ?? gone();
    return url;
  };
  return { dialled, dial };
}

test(`after ${FAILOVER_AFTER_FAILURES} dials that found nobody the next URL is dialled at once; reconnects start at the preferred one`, async () => {
  const r = new ServerRotation(URLS, 'ws://b:2');
  const { dialled, dial } = dialer(new Set(['ws://b:2']));
  r.restart();
  await expect(connectRotating(r, dial)).rejects.toMatchObject({ code: 'TIMEOUT' }); // attempt 1: b gone once
  expect(await connectRotating(r, dial)).toBe('ws://c:3'); // attempt 2: b gone again → c, same attempt
  expect(dialled).toEqual(['ws://b:2', 'ws://b:2', 'ws://c:3']);
  r.restart(); // a later reconnect sequence tries the home again first
  expect(r.current).toBe('ws://b:2');
});

test('a server that answers and refuses is not gone: no failover', async () => {
  const r = new ServerRotation(URLS);
  const { dialled, dial } = dialer(new Set(['ws://a:1']), new SocpError('BAD_KEY', 'another key'));
  for (let i = 0; i < 3; i++) await expect(connectRotating(r, dial)).rejects.toMatchObject({ code: 'BAD_KEY' });
  expect(dialled).toEqual(['ws://a:1', 'ws://a:1', 'ws://a:1']);
});

test('every server gone: each is tried at most once per call, round the list', async () => {
  const r = new ServerRotation(URLS);
  const { dialled, dial } = dialer(new Set(URLS));
  for (let i = 0; i < 4; i++) await expect(connectRotating(r, dial)).rejects.toMatchObject({ code: 'TIMEOUT' });
  expect(dialled).toEqual(['ws://a:1', 'ws://a:1', 'ws://b:2', 'ws://b:2', 'ws://c:3', 'ws://c:3', 'ws://a:1']);
});

test('one URL: no failover, the reconnect policy goes on dialling it', async () => {
  const r = new ServerRotation(['ws://a:1']);
  expect(r.failed(gone())).toBe(false);
  expect(r.failed(gone())).toBe(false);
  expect(r.current).toBe('ws://a:1');
});

test('at start-up, the first server that is there (each once, in order); a refusal is not skipped', async () => {
  const { dialled, dial } = dialer(new Set(['ws://a:1']));
  expect(await firstReachable(URLS, dial)).toBe('ws://b:2');
  expect(dialled).toEqual(['ws://a:1', 'ws://b:2']);
  await expect(firstReachable(URLS, dialer(new Set(['ws://a:1']), new SocpError('NAME_IN_USE', 'x')).dial)).rejects.toMatchObject({ code: 'NAME_IN_USE' });
  await expect(firstReachable(URLS, dialer(new Set(URLS)).dial)).rejects.toMatchObject({ code: 'TIMEOUT' });
});

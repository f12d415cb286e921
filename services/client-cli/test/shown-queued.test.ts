/**
 * Queued DMs handled in an earlier run (real files, real RSA-4096): a new process — a new
 * Inbound over the same $SOCP_HOME — gets the DM again because the ACK was lost, and
 * acknowledges it without showing it a second time. The file holds digests only, is 0600,
 * and is bounded.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Roster, generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type Verified } from '@socp/protocol';
import type { ClientEvent } from '../src/events';
import { Inbound } from '../src/inbound';
import { MAX_SHOWN_QUEUED, ShownQueued, shownKey } from '../src/shown-queued';
import { makePeers, type Peer, directFrames } from '../../../libs/socp/test/user/peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer;
let server: RsaPrivateKey;
let home: string;

beforeAll(async () => {
  [alice, bob] = await makePeers('alice', 'bob');
  server = await generateKeyPair();
}, 120_000);
beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'socp-shown-'))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

const queued = (f: Frame, ref: string): Verified<Frame> =>
  sealFrame({ type: 'USER_DELIVER', from: S1, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, queued: true, queue_ref: ref } as never }, server) as Verified<Frame>;
const kinds = (ev: ClientEvent[]) => ev.map((e) => e.event);

test('a queued DM handled by one run is acknowledged but not shown again by the next run', async () => {
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'while you were away');
  const first = new ShownQueued(home, 'bob');
  const run1 = new Inbound(bob, new Roster(), { shownBefore: first });
  expect(kinds(run1.handle(queued(dm!, 'q0'), Date.now()))).toEqual(['message']);
  expect(run1.takeQueueAcks()).toEqual(['q0']);
  await first.save(); // what the session does before sending that ACK — which is then lost

  const run2 = new Inbound(bob, new Roster(), { shownBefore: new ShownQueued(home, 'bob') });
  expect(kinds(run2.handle(queued(dm!, 'q5'), Date.now()))).toEqual([]);
  expect(run2.takeQueueAcks()).toEqual(['q5']);
  // Another queued DM is still shown.
  const [other] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'a new one');
  expect(kinds(run2.handle(queued(other!, 'q6'), Date.now()))).toEqual(['message']);
});

test('the file is 0600, holds digests only, and keeps the newest MAX_SHOWN_QUEUED', async () => {
  const s = new ShownQueued(home, 'bob');
  const keys = Array.from({ length: MAX_SHOWN_QUEUED + 5 }, (_, i) => shownKey(alice.userId, i, `sig${i}`));
  for (const k of keys) s.add(k);
  await s.save();
  const file = join(home, 'queued-shown', 'bob.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as string[];
  expect(stored).toEqual(keys.slice(5));
  expect(stored.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
  const again = new ShownQueued(home, 'bob');
  expect(again.has(keys[0]!)).toBe(false);
  expect(again.has(keys.at(-1)!)).toBe(true);
});

test('a damaged file is ignored, not fatal (the DMs are then shown again, never lost)', () => {
  mkdirSync(join(home, 'queued-shown'), { recursive: true });
  writeFileSync(join(home, 'queued-shown', 'bob.json'), '{"not": "a list"');
  expect(new ShownQueued(home, 'bob').has(shownKey('x', 1, 'y'))).toBe(false);
  writeFileSync(join(home, 'queued-shown', 'bob.json'), JSON.stringify(['zz', 42, 'a'.repeat(64)]));
  expect(new ShownQueued(home, 'bob').has('a'.repeat(64))).toBe(true);
});

/**
 * What a session keeps in $SOCP_HOME for the user core (real files, real RSA-4096):
 * queued DMs handled by one run are acknowledged but not shown again by the next (the digests
 * are written before the ACK goes out); the digest file is 0600, holds digests only, and is
 * bounded; a damaged file is ignored; contact pins survive a restart.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContactPins, MAX_SHOWN_QUEUED, ShownQueued, createUserState, generateKeyPair, handleIncoming, sealFrame, shownKey,
  type Frame, type RsaPrivateKey, type UserEvent, type UserState, type Verified,
} from '@socp/protocol';
import { AccountFiles } from '../src/account-files';
import { runEffects } from '../src/effect-runner';
import { QueueAcks } from '../src/queue-acks';
import { directFrames, makePeers, type Peer } from '../../../libs/socp/test/user/peers';

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
const kinds = (ev: UserEvent[]) => ev.map((e) => e.event);

/** One run of bob's session, as session.ts wires it: state from the files, effects through the runner, ACKs recorded. */
function run(): { state: UserState; handle: (f: Verified<Frame>) => UserEvent[]; acked: string[]; acks: QueueAcks } {
  const files = new AccountFiles(home, 'bob');
  const state = createUserState(bob, { pins: files.loadPins(), shown: files.loadShown() });
  const acked: string[] = [];
  const acks = new QueueAcks(async (refs) => {
    await files.saveShown(); // what the session does before sending that ACK
    acked.push(...refs);
  }, (e) => {
    throw e;
  });
  const handle = (f: Verified<Frame>): UserEvent[] => {
    const step = handleIncoming(state, f, { now: Date.now() });
    runEffects(step.effects, { sendDrafts: () => undefined, acks, files });
    return step.events;
  };
  return { state, handle, acked, acks };
}

test('a queued DM handled by one run is acknowledged but not shown again by the next run', async () => {
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'while you were away');
  const run1 = run();
  expect(kinds(run1.handle(queued(dm!, 'q0')))).toEqual(['message']);
  await run1.acks.flush();
  expect(run1.acked).toEqual(['q0']); // the digest is on disk; this ACK is then lost

  const run2 = run();
  expect(kinds(run2.handle(queued(dm!, 'q5')))).toEqual([]);
  await run2.acks.flush();
  expect(run2.acked).toEqual(['q5']);
  // Another queued DM is still shown.
  const [other] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'a new one');
  expect(kinds(run2.handle(queued(other!, 'q6')))).toEqual(['message']);
  run2.acks.stop();
});

test('the file is 0600, holds digests only, and keeps the newest MAX_SHOWN_QUEUED', async () => {
  const s = new ShownQueued();
  const keys = Array.from({ length: MAX_SHOWN_QUEUED + 5 }, (_, i) => shownKey(alice.userId, i, `sig${i}`));
  for (const k of keys) s.add(k);
  const files = new AccountFiles(home, 'bob');
  files.noteShown(s.takeChanged()!);
  await files.saveShown();
  const file = join(home, 'queued-shown', 'bob.json');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as string[];
  expect(stored).toEqual(keys.slice(5));
  expect(stored.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
  const again = new ShownQueued(new AccountFiles(home, 'bob').loadShown());
  expect(again.has(keys[0]!)).toBe(false);
  expect(again.has(keys.at(-1)!)).toBe(true);
});

test('a damaged file is ignored, not fatal (the DMs are then shown again, never lost)', () => {
  mkdirSync(join(home, 'queued-shown'), { recursive: true });
  writeFileSync(join(home, 'queued-shown', 'bob.json'), '{"not": "a list"');
  expect(new ShownQueued(new AccountFiles(home, 'bob').loadShown()).has(shownKey('x', 1, 'y'))).toBe(false);
  writeFileSync(join(home, 'queued-shown', 'bob.json'), JSON.stringify(['zz', 42, 'a'.repeat(64)]));
  expect(new ShownQueued(new AccountFiles(home, 'bob').loadShown()).has('a'.repeat(64))).toBe(true);
});

test('contact pins: first key pinned on disk (0600), a changed key is held until trust, the new pin on disk', async () => {
  const files = new AccountFiles(home, 'alice');
  const pins = new ContactPins(files.loadPins());
  expect(pins.check(bob.userId, bob.key.publicKey, 'bob', Date.now())).toEqual({ kind: 'new' });
  files.savePins(pins.takeChanged()!);
  await files.settled();
  expect(statSync(join(home, 'contacts', 'alice.json')).mode & 0o777).toBe(0o600);
  const later = new AccountFiles(home, 'alice');
  const again = new ContactPins(later.loadPins()); // a later session reads the file
  expect(again.check(bob.userId, bob.key.publicKey, 'bob', Date.now())).toEqual({ kind: 'same' });
  expect(again.check(bob.userId, alice.key.publicKey, 'bob', Date.now())).toMatchObject({ kind: 'changed', was: bob.key.publicKey.fingerprint() });
  expect(again.isHeld(bob.userId)).toBe(true);
  expect(again.trust(bob.userId, Date.now())).toEqual([]);
  later.savePins(again.takeChanged()!);
  await later.settled();
  expect(new ContactPins(new AccountFiles(home, 'alice').loadPins()).check(bob.userId, alice.key.publicKey, 'bob', Date.now())).toEqual({ kind: 'same' });
});

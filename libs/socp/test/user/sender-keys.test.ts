/**
 * Whose key verifies content (issue 12.2, client side): the contact pin, else the roster's bound
 * key; a payload's `sender_pub` is only compared with it. Only a queued DM from someone never
 * seen may bring its own key (first contact, pinned on first use). Real RSA-4096; the pins a
 * session keeps (savePins effects) are what the next session starts from.
 */
import { generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type UserEvent, type UserState, type Verified } from '@socp/protocol';
import { advertise, deliver, makePeers, stepOf, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer, mallory: Peer, stranger: Peer;
let server: { id: string; key: RsaPrivateKey };
/** alice's $SOCP_HOME: the pins the client stored (as JSON), read by the next session. */
let home: unknown;

beforeAll(async () => {
  [alice, bob, mallory, stranger] = await makePeers('alice', 'bob', 'mallory', 'stranger');
  server = { id: S1, key: await generateKeyPair() };
}, 120_000);
beforeEach(() => (home = undefined));

/** A USER_DELIVER from the offline queue. */
const queued = (f: Verified<Frame>): Verified<Frame> =>
  sealFrame({ type: f.type, from: f.from, to: f.to, ts: f.ts, payload: { ...(f.payload as object), queued: true } as never }, server.key) as Verified<Frame>;
const messages = (ev: UserEvent[]) => ev.filter((e) => e.event === 'message');
const warnings = (ev: UserEvent[]) => ev.flatMap((e) => (e.event === 'warning' ? [e.code] : []));

/** What the client does with a `savePins` effect (or pins changed outside a frame): stores them. */
function keepPins(records: unknown): void {
  if (records !== undefined) home = JSON.parse(JSON.stringify(records));
}
/** One frame, its pins kept as the client keeps them; its events. */
function handle(inbound: UserState, f: Verified<Frame>): UserEvent[] {
  const step = stepOf(inbound, f);
  for (const e of step.effects) if (e.kind === 'savePins') keepPins(e.pins);
  return step.events;
}
/** A new session of alice's (same $SOCP_HOME): pins from earlier sessions, an empty roster. */
function session(...online: Peer[]): { inbound: UserState; pins: UserState['pins']; flush: () => void } {
  const inbound = userState(alice, online, { pins: home });
  return { inbound, pins: inbound.pins, flush: () => keepPins(inbound.pins.takeChanged()) };
}

test('a pinned sender, offline: a queued DM whose sender_pub is a forger\'s key is refused (BAD_KEY), not shown', async () => {
  const first = session(bob);
  first.pins.check(bob.userId, bob.key.publicKey, 'bob', Date.now()); // bob was seen (the session pins advertised contacts)
  first.flush();
  const { inbound } = session(); // next run: bob is not online
  const forged = queued(deliver(server, bob, alice, 'I am bob', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }));
  const ev = handle(inbound, forged);
  expect(messages(ev)).toEqual([]);
  expect(warnings(ev)).toEqual(['BAD_KEY']);
  // bob's genuine queued DM verifies under the pin, and is not a first contact.
  const genuine = handle(inbound, queued(deliver(server, bob, alice, 'really bob')));
  expect(messages(genuine)).toEqual([expect.objectContaining({ text: 'really bob', from: expect.objectContaining({ userId: bob.userId, name: 'bob' }) })]);
  expect(messages(genuine)[0]).not.toHaveProperty('firstContact');
});

test('a pinned sender, online: a live DM with a forged sender_pub is refused too', async () => {
  const { inbound, pins, flush } = session(bob);
  pins.check(bob.userId, bob.key.publicKey, 'bob', Date.now());
  const ev = handle(inbound, deliver(server, bob, alice, 'I am bob', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }));
  expect(warnings(ev)).toEqual(['BAD_KEY']);
  flush();
});

test('the pin wins over the roster: a contact advertised with another key is not trusted for content until /trust', async () => {
  const first = session(bob);
  first.pins.check(bob.userId, bob.key.publicKey, 'bob', Date.now());
  first.flush();
  const { inbound, pins, flush } = session();
  // This session's server advertises "bob" with mallory's key (a key change the session flags).
  inbound.roster.upsert(advertise(bob, S1, mallory.key));
  expect(pins.check(bob.userId, mallory.key.publicKey, 'bob', Date.now()).kind).toBe('changed');
  const asNewKey = deliver(server, bob, alice, 'new key, same bob?', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url });
  expect(warnings(handle(inbound, asNewKey))).toEqual(['BAD_KEY']);
  pins.trust(bob.userId, Date.now()); // the user compared fingerprints out of band
  expect(messages(handle(inbound, asNewKey))).toHaveLength(1);
  flush();
});

test('a sender never seen: a queued DM is first contact — shown as such, its key pinned; a later different key is refused', async () => {
  const { inbound, pins, flush } = session();
  const ev = handle(inbound, queued(deliver(server, stranger, alice, 'hello, we have not met')));
  expect(messages(ev)).toEqual([expect.objectContaining({ text: 'hello, we have not met', firstContact: stranger.key.publicKey.fingerprint() })]);
  expect(pins.pinned(stranger.userId)?.key.equals(stranger.key.publicKey)).toBe(true);
  // /whois and /tell find the new contact although they are offline.
  expect(inbound.roster.resolveOffline(stranger.userId)?.key.equals(stranger.key.publicKey)).toBe(true);
  flush();

  // Later (same run, and a new run): someone else claims the stranger's id with their own key.
  const impostor = queued(deliver(server, stranger, alice, 'same id, my key', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }));
  expect(warnings(handle(inbound, impostor))).toEqual(['BAD_KEY']);
  const next = session();
  expect(warnings(handle(next.inbound, impostor))).toEqual(['BAD_KEY']);
  expect(messages(handle(next.inbound, queued(deliver(server, stranger, alice, 'me again'))))).toEqual([
    expect.not.objectContaining({ firstContact: expect.anything() }),
  ]);
});

test('a live (not queued) DM from a sender never seen is still refused (USER_NOT_FOUND): only the offline queue may introduce a key', () => {
  const { inbound, pins } = session();
  expect(warnings(handle(inbound, deliver(server, stranger, alice, 'psst')))).toEqual(['USER_NOT_FOUND']);
  expect(warnings(handle(inbound, queued(deliver(server, stranger, alice, 'no key', { senderPub: 'not a key' }))))).toEqual(['BAD_KEY']);
  expect(pins.pinned(stranger.userId)).toBeUndefined();
});

/**
 * Whose key verifies content (issue 12.2, client side): the contact pin, else the roster's bound
 * key; a payload's `sender_pub` is only compared with it. Only a queued DM from someone never
 * seen may bring its own key (first contact, pinned on first use). Real RSA-4096, real pins
 * on disk (ContactPins under a temp $SOCP_HOME).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Roster, generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type Verified } from '@socp/protocol';
import { ContactPins } from '../src/contact-pins';
import type { ClientEvent } from '../src/events';
import { Inbound } from '../src/inbound';
import { advertise, deliver, makePeers, type Peer } from '../../../libs/socp/test/user/peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer, mallory: Peer, stranger: Peer;
let server: { id: string; key: RsaPrivateKey };
let home: string;

beforeAll(async () => {
  [alice, bob, mallory, stranger] = await makePeers('alice', 'bob', 'mallory', 'stranger');
  server = { id: S1, key: await generateKeyPair() };
}, 120_000);
beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'socp-sender-keys-'))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** A USER_DELIVER from the offline queue. */
const queued = (f: Verified<Frame>): Verified<Frame> =>
  sealFrame({ type: f.type, from: f.from, to: f.to, ts: f.ts, payload: { ...(f.payload as object), queued: true } as never }, server.key) as Verified<Frame>;
const messages = (ev: ClientEvent[]) => ev.filter((e) => e.event === 'message');
const warnings = (ev: ClientEvent[]) => ev.flatMap((e) => (e.event === 'warning' ? [e.code] : []));

/** A new session of alice's (same $SOCP_HOME): pins from earlier sessions, an empty roster. */
function session(...online: Peer[]): { inbound: Inbound; pins: ContactPins } {
  const pins = new ContactPins(home, 'alice');
  const roster = new Roster();
  for (const p of online) roster.upsert(advertise(p, S1));
  return { inbound: new Inbound(alice, roster, { pins }), pins };
}

test('a pinned sender, offline: a queued DM whose sender_pub is a forger\'s key is refused (BAD_KEY), not shown', async () => {
  const first = session(bob);
  first.pins.check(bob.userId, bob.key.publicKey, 'bob'); // bob was seen (the session pins advertised contacts)
  await first.pins.flush();
  const { inbound } = session(); // next run: bob is not online
  const forged = queued(deliver(server, bob, alice, 'I am bob', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }));
  const ev = inbound.handle(forged, Date.now());
  expect(messages(ev)).toEqual([]);
  expect(warnings(ev)).toEqual(['BAD_KEY']);
  // bob's genuine queued DM verifies under the pin, and is not a first contact.
  const genuine = inbound.handle(queued(deliver(server, bob, alice, 'really bob')), Date.now());
  expect(messages(genuine)).toEqual([expect.objectContaining({ text: 'really bob', from: expect.objectContaining({ userId: bob.userId, name: 'bob' }) })]);
  expect(messages(genuine)[0]).not.toHaveProperty('firstContact');
});

test('a pinned sender, online: a live DM with a forged sender_pub is refused too', async () => {
  const { inbound, pins } = session(bob);
  pins.check(bob.userId, bob.key.publicKey, 'bob');
  const ev = inbound.handle(deliver(server, bob, alice, 'I am bob', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }), Date.now());
  expect(warnings(ev)).toEqual(['BAD_KEY']);
  await pins.flush();
});

test('the pin wins over the roster: a contact advertised with another key is not trusted for content until /trust', async () => {
  const first = session(bob);
  first.pins.check(bob.userId, bob.key.publicKey, 'bob');
  await first.pins.flush();
  const { inbound, pins } = session();
  // This session's server advertises "bob" with mallory's key (a key change the session flags).
  inbound.roster.upsert(advertise(bob, S1, mallory.key));
  expect(pins.check(bob.userId, mallory.key.publicKey, 'bob').kind).toBe('changed');
  const asNewKey = deliver(server, bob, alice, 'new key, same bob?', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url });
  expect(warnings(inbound.handle(asNewKey, Date.now()))).toEqual(['BAD_KEY']);
  pins.trust(bob.userId); // the user compared fingerprints out of band
  expect(messages(inbound.handle(asNewKey, Date.now()))).toHaveLength(1);
  await pins.flush();
});

test('a sender never seen: a queued DM is first contact — shown as such, its key pinned; a later different key is refused', async () => {
  const { inbound, pins } = session();
  const ev = inbound.handle(queued(deliver(server, stranger, alice, 'hello, we have not met')), Date.now());
  expect(messages(ev)).toEqual([expect.objectContaining({ text: 'hello, we have not met', firstContact: stranger.key.publicKey.fingerprint() })]);
  expect(pins.pinned(stranger.userId)?.key.equals(stranger.key.publicKey)).toBe(true);
  // /whois and /tell find the new contact although they are offline.
  expect(inbound.roster.resolveOffline(stranger.userId)?.key.equals(stranger.key.publicKey)).toBe(true);
  await pins.flush();

  // Later (same run, and a new run): someone else claims the stranger's id with their own key.
  const impostor = queued(deliver(server, stranger, alice, 'same id, my key', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }));
  expect(warnings(inbound.handle(impostor, Date.now()))).toEqual(['BAD_KEY']);
  const next = session();
  expect(warnings(next.inbound.handle(impostor, Date.now()))).toEqual(['BAD_KEY']);
  expect(messages(next.inbound.handle(queued(deliver(server, stranger, alice, 'me again')), Date.now()))).toEqual([
    expect.not.objectContaining({ firstContact: expect.anything() }),
  ]);
});

test('a live (not queued) DM from a sender never seen is still refused (USER_NOT_FOUND): only the offline queue may introduce a key', () => {
  const { inbound, pins } = session();
  expect(warnings(inbound.handle(deliver(server, stranger, alice, 'psst'), Date.now()))).toEqual(['USER_NOT_FOUND']);
  expect(warnings(inbound.handle(queued(deliver(server, stranger, alice, 'no key', { senderPub: 'not a key' })), Date.now()))).toEqual(['BAD_KEY']);
  expect(pins.pinned(stranger.userId)).toBeUndefined();
});

/**
 * Acknowledged offline delivery in the user core (real RSA-4096): a queued DM with a queue_ref
 * is acknowledged (an `ackQueued` effect) once handled — shown or refused for good — and a
 * redelivered one is shown only once, silently. (The batching into signed ACKs is the CLI's:
 * services/client-cli/test/queue-acks.test.ts.)
 */
import { generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type UserEvent, type Verified } from '@socp/protocol';
import { ackedOf, directFrames, makePeers, stepOf, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer;
let server: RsaPrivateKey;

beforeAll(async () => {
  [alice, bob] = await makePeers('alice', 'bob');
  server = await generateKeyPair();
}, 120_000);

const delivered = (f: Frame, extra: Record<string, unknown>): Verified<Frame> =>
  sealFrame({ type: 'USER_DELIVER', from: S1, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, ...extra } as never }, server) as Verified<Frame>;
const kinds = (ev: UserEvent[]) => ev.map((e) => (e.event === 'warning' ? `warning:${e.code}` : e.event));

test('a handled queued DM is acknowledged by its queue_ref; a redelivery is shown once and acknowledged again', async () => {
  const inbound = userState(bob); // alice is offline: not in the roster
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'while you were away');
  const first = stepOf(inbound, delivered(dm!, { queued: true, queue_ref: 'q0' }));
  expect(kinds(first.events)).toEqual(['message']);
  expect(ackedOf(first)).toEqual(['q0']);
  // The same DM again (our ACK was lost): not shown, no warning, acknowledged (by its new ref only).
  const again = stepOf(inbound, delivered(dm!, { queued: true, queue_ref: 'q7' }));
  expect(kinds(again.events)).toEqual([]);
  expect(ackedOf(again)).toEqual(['q7']);
});

test('a queued DM refused for good is acknowledged too; a live DM or an oversized ref is not', async () => {
  const inbound = userState(bob);
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'x');
  const forged = delivered(dm!, { queued: true, queue_ref: 'q1', content_sig: (dm!.payload as { content_sig: string }).content_sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
  const refused = stepOf(inbound, forged);
  expect(kinds(refused.events)).toEqual(['warning:INVALID_SIG']);
  expect(ackedOf(refused)).toEqual(['q1']);
  const live = userState(bob, [alice]);
  const plain = stepOf(live, delivered(dm!, { queue_ref: 'q2' }));
  expect(kinds(plain.events)).toEqual(['message']);
  const oversized = stepOf(live, delivered((await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'y'))[0]!, { queued: true, queue_ref: 'r'.repeat(65) }));
  expect(kinds(oversized.events)).toEqual(['message']);
  expect([...ackedOf(plain), ...ackedOf(oversized)]).toEqual([]);
});

test('a delivery report that waited in our queue (we had left) is shown as a failed delivery and acknowledged; a live one is not acknowledged', () => {
  const inbound = userState(bob);
  const report = (extra: Record<string, unknown>): Verified<Frame> =>
    sealFrame({ type: 'ERROR', from: S1, to: bob.userId, ts: 1_000, payload: { code: 'TIMEOUT', detail: 'delivery to alice not confirmed: the link to its server was lost', msg_ref: 'k', to: alice.userId, ts: 900, ...extra } }, server) as Verified<Frame>;
  const queued = stepOf(inbound, report({ queued: true, queue_ref: 'q3' }));
  expect(kinds(queued.events)).toEqual(['server-error', 'delivery']);
  expect(queued.events[1]).toMatchObject({ event: 'delivery', status: 'unconfirmed', ts: 900, code: 'TIMEOUT' });
  expect(ackedOf(queued)).toEqual(['q3']);
  const live = stepOf(inbound, report({ queue_ref: 'q4' }));
  expect(kinds(live.events)).toEqual(['server-error', 'delivery']);
  expect(ackedOf(live)).toEqual([]);
});

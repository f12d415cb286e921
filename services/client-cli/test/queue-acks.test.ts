/**
 * The client side of acknowledged offline delivery (real RSA-4096): a queued DM with a queue_ref
 * is acknowledged once handled — shown or refused for good — and a redelivered one is shown
 * only once, silently; refs go out in signed ACKs of at most MAX_ACK_REFS.
 */
import { Roster, MAX_ACK_REFS, generateKeyPair, sealFrame, verifyFrame, type Frame, type RsaPrivateKey, type Verified } from '@socp/protocol';
import type { ClientEvent } from '../src/events';
import { Inbound } from '../src/inbound';
import { QueueAcks, queueAckFrame } from '../src/queue-acks';
import { advertise, makePeers, type Peer, directFrames } from '../../../libs/socp/test/user/peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer;
let server: RsaPrivateKey;

beforeAll(async () => {
  [alice, bob] = await makePeers('alice', 'bob');
  server = await generateKeyPair();
}, 120_000);

const delivered = (f: Frame, extra: Record<string, unknown>): Verified<Frame> =>
  sealFrame({ type: 'USER_DELIVER', from: S1, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, ...extra } as never }, server) as Verified<Frame>;
const kinds = (ev: ClientEvent[]) => ev.map((e) => (e.event === 'warning' ? `warning:${e.code}` : e.event));

test('a handled queued DM is acknowledged by its queue_ref; a redelivery is shown once and acknowledged again', async () => {
  const inbound = new Inbound(bob, new Roster()); // alice is offline: not in the roster
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'while you were away');
  expect(kinds(inbound.handle(delivered(dm!, { queued: true, queue_ref: 'q0' }), Date.now()))).toEqual(['message']);
  expect(inbound.takeQueueAcks()).toEqual(['q0']);
  expect(inbound.takeQueueAcks()).toEqual([]);
  // The same DM again (our ACK was lost): not shown, no warning, acknowledged.
  expect(kinds(inbound.handle(delivered(dm!, { queued: true, queue_ref: 'q7' }), Date.now()))).toEqual([]);
  expect(inbound.takeQueueAcks()).toEqual(['q7']);
});

test('a queued DM refused for good is acknowledged too; a live DM or an oversized ref is not', async () => {
  const inbound = new Inbound(bob, new Roster());
  const [dm] = await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'x');
  const forged = delivered(dm!, { queued: true, queue_ref: 'q1', content_sig: (dm!.payload as { content_sig: string }).content_sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
  expect(kinds(inbound.handle(forged, Date.now()))).toEqual(['warning:INVALID_SIG']);
  expect(inbound.takeQueueAcks()).toEqual(['q1']);
  const known = new Roster();
  known.upsert(advertise(alice, S1));
  const live = new Inbound(bob, known);
  expect(kinds(live.handle(delivered(dm!, { queue_ref: 'q2' }), Date.now()))).toEqual(['message']);
  expect(kinds(live.handle(delivered((await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'y'))[0]!, { queued: true, queue_ref: 'r'.repeat(65) }), Date.now()))).toEqual(['message']);
  expect(live.takeQueueAcks()).toEqual([]);
});

test('a delivery report that waited in our queue (we had left) is shown as a failed delivery and acknowledged; a live one is not acknowledged', () => {
  const inbound = new Inbound(bob, new Roster());
  const report = (extra: Record<string, unknown>): Verified<Frame> =>
    sealFrame({ type: 'ERROR', from: S1, to: bob.userId, ts: 1_000, payload: { code: 'TIMEOUT', detail: 'delivery to alice not confirmed: the link to its server was lost', msg_ref: 'k', to: alice.userId, ts: 900, ...extra } }, server) as Verified<Frame>;
  const ev = inbound.handle(report({ queued: true, queue_ref: 'q3' }), Date.now());
  expect(kinds(ev)).toEqual(['server-error', 'delivery']);
  expect(ev[1]).toMatchObject({ event: 'delivery', status: 'unconfirmed', ts: 900, code: 'TIMEOUT' });
  expect(inbound.takeQueueAcks()).toEqual(['q3']);
  expect(kinds(inbound.handle(report({ queue_ref: 'q4' }), Date.now()))).toEqual(['server-error', 'delivery']);
  expect(inbound.takeQueueAcks()).toEqual([]);
});

test('refs gather into signed ACKs in the hop-ACK form, at most MAX_ACK_REFS each', async () => {
  const sent: Frame[] = [];
  const acks = new QueueAcks(async (refs) => void sent.push(await queueAckFrame(bob, S1, refs, Date.now())), (e) => {
    throw e;
  });
  const refs = Array.from({ length: MAX_ACK_REFS + 3 }, (_, i) => `q${i}`);
  acks.add(refs.slice(0, 2));
  acks.add(refs.slice(2));
  await acks.flush();
  expect(sent.map((f) => (f.payload as { msg_refs: string[] }).msg_refs)).toEqual([refs.slice(0, MAX_ACK_REFS), refs.slice(MAX_ACK_REFS)]);
  expect(sent[0]).toMatchObject({ type: 'ACK', from: bob.userId, to: S1, payload: { msg_ref: 'q0' } });
  expect(sent.every((f) => verifyFrame(f, bob.key.publicKey).ok)).toBe(true);
  acks.add([]);
  await acks.flush();
  expect(sent).toHaveLength(2);
});

test('after a lost connection, refs of the old one are dropped (reset) and only the new connection\'s are acknowledged', async () => {
  const sent: string[][] = [];
  const acks = new QueueAcks(async (refs) => void sent.push(refs), (e) => {
    throw e;
  });
  acks.add(['old-1', 'old-2']); // handed over on the connection that died, batch timer pending
  acks.reset();
  acks.add(['new-1']); // the server's new refs for the same DMs, on the new connection
  await acks.flush();
  expect(sent).toEqual([['new-1']]);
});

/**
 * Client-acknowledged offline-queue hand-over in the pure routing core (routing/queue-acks.ts):
 * a hello with `queue_ack: true` gets its queue without deletion, each entry with a queue_ref;
 * only a signed ACK of this connection's refs removes exactly those entries.
 */
import {
  MAX_PENDING_QUEUE_REFS, acceptUnsigned, handleUserFrame, handleUserGone, handleUserHello, hopAckFrame, offerQueued, queueReadMode,
  type Effect, type Frame, type PersistOp, type RoutingState, type Verified,
} from '@socp/protocol';
import { ALICE, BOB, NOW, SELF, ctx, errorCodes, keys, meshState, sealedOf, signedBy } from './routing-fixture';

const persisted = (effects: Effect[]): PersistOp[] => effects.flatMap((e) => (e.kind === 'persist' ? [e.op] : []));

/** ALICE, an account user of ours, logs in on `connId`; `queueAck` = the hello's payload field. */
function aliceLogsIn(s: RoutingState, connId: string, queueAck?: unknown): void {
  s.accounts.add(ALICE);
  const payload: Record<string, unknown> = { pubkey: keys().alice.publicKey.toBase64Url() };
  if (queueAck !== undefined) payload['queue_ack'] = queueAck;
  const hello = acceptUnsigned({ type: 'USER_HELLO', from: ALICE, to: SELF, ts: NOW, payload, sig: '' } as unknown as Frame, 'unsigned-hello');
  if (!handleUserHello(s, hello as Verified<Extract<Frame, { type: 'USER_HELLO' }>>, connId, ctx()).accepted) throw new Error('alice refused');
}

/** A queue entry as the store keeps it (JSON of the final-hop frame). */
const entry = (n: number): string =>
  JSON.stringify({ type: 'USER_DELIVER', from: SELF, to: ALICE, ts: NOW + n, payload: { ciphertext: `c${n}`, sender: BOB, sender_pub: 'PUB', content_sig: `s${n}`, orig_ts: NOW + n, queued: true } });

const refsOf = (effects: Effect[]): string[] => sealedOf(effects, 'sendToUser', 'USER_DELIVER').map((x) => (x.frame.payload as { queue_ref: string }).queue_ref);
const ack = (refs: string[], signed = true): Verified<Frame> => {
  const f = hopAckFrame(ALICE, SELF, refs, NOW);
  return signed ? signedBy(f, keys().alice) : (acceptUnsigned({ ...f, sig: '' } as Frame, 'unsigned-user-content') as Verified<Frame>);
};

test('only an account hello with queue_ack exactly true reads the queue without taking it; a user gone reads nothing', () => {
  const s = meshState();
  aliceLogsIn(s, 'c1', true);
  expect(queueReadMode(s, ALICE, 'c1')).toBe('ack');
  expect(queueReadMode(s, ALICE, 'c0')).toBeUndefined(); // an older connection of hers
  handleUserGone(s, ALICE, 'c1', ctx());
  expect(queueReadMode(s, ALICE, 'c1')).toBeUndefined();
  expect(s.queueAcks.size).toBe(0);
  for (const tolerated of [undefined, 'yes', 1, false]) {
    const t = meshState();
    aliceLogsIn(t, 'c1', tolerated);
    expect(queueReadMode(t, ALICE, 'c1')).toBe('drain');
  }
});

test('each entry goes out as before plus a queue_ref; a signed ACK removes exactly the named entries, once', () => {
  const s = meshState();
  aliceLogsIn(s, 'c1', true);
  const raws = [entry(1), entry(2), entry(3)];
  const offer = offerQueued(s, ALICE, 'c1', raws, ctx());
  expect(offer).toMatchObject({ sent: 3, held: 0 });
  const sent = sealedOf(offer.effects, 'sendToUser', 'USER_DELIVER');
  expect(sent.map((x) => x.frame)).toEqual(raws.map((r) => {
    const f = JSON.parse(r) as { payload: object };
    return expect.objectContaining({ ...f, from: SELF, payload: { ...f.payload, queue_ref: expect.any(String) } });
  }));
  const refs = refsOf(offer.effects);
  expect(new Set(refs).size).toBe(3);
  expect(persisted(offer.effects)).toEqual([]); // nothing deleted on sending

  // msg_ref + msg_refs (hop-ACK form); an unknown ref is ignored.
  const r = handleUserFrame(s, ack([refs[0]!, refs[2]!, 'q-unknown']), ALICE, 'c1', ctx());
  expect(persisted(r.effects)).toEqual([{ op: 'dequeue', userId: ALICE, entries: [raws[0], raws[2]] }]);
  expect(errorCodes(r.effects)).toEqual([]);
  // The same refs again, or refs only unknown: nothing.
  expect(persisted(handleUserFrame(s, ack([refs[0]!]), ALICE, 'c1', ctx()).effects)).toEqual([]);
  expect(handleUserFrame(s, ack(['nope']), ALICE, 'c1', ctx()).effects).toEqual([]);
  expect([...s.queueAcks.get(ALICE)!.pending.values()]).toEqual([raws[1]]);
});

test('an unsigned ACK of pending refs is refused INVALID_SIG and deletes nothing; another connection cannot ACK them', () => {
  const s = meshState();
  aliceLogsIn(s, 'c1', true);
  const refs = refsOf(offerQueued(s, ALICE, 'c1', [entry(1)], ctx()).effects);
  const r = handleUserFrame(s, ack(refs, false), ALICE, 'c1', ctx());
  expect(errorCodes(r.effects)).toEqual(['INVALID_SIG']);
  expect(persisted(r.effects)).toEqual([]);
  expect(persisted(handleUserFrame(s, ack(refs), ALICE, 'c9', ctx()).effects)).toEqual([]);
  expect(s.queueAcks.get(ALICE)!.pending.size).toBe(1);
  // A user ACK with no queue session stays harmless (debug log only), as before.
  const t = meshState();
  aliceLogsIn(t, 'c1');
  expect(handleUserFrame(t, ack(['q0']), ALICE, 'c1', ctx()).effects.map((e) => e.kind)).toEqual(['log']);
});

test('drain mode sends without refs; a corrupt entry is dropped from the queue in ack mode; past the bound entries wait for the next log-in', () => {
  const d = meshState();
  aliceLogsIn(d, 'c1');
  const drained = offerQueued(d, ALICE, 'c1', [entry(1)], ctx());
  expect(sealedOf(drained.effects, 'sendToUser', 'USER_DELIVER')[0]!.frame.payload).not.toHaveProperty('queue_ref');

  const s = meshState();
  aliceLogsIn(s, 'c1', true);
  const bad = offerQueued(s, ALICE, 'c1', ['{not json', entry(1)], ctx());
  expect(bad.sent).toBe(1);
  expect(persisted(bad.effects)).toEqual([{ op: 'dequeue', userId: ALICE, entries: ['{not json'] }]);

  const t = meshState();
  aliceLogsIn(t, 'c1', true);
  const many = offerQueued(t, ALICE, 'c1', Array.from({ length: MAX_PENDING_QUEUE_REFS + 2 }, (_, i) => entry(i)), ctx());
  expect(many).toMatchObject({ sent: MAX_PENDING_QUEUE_REFS, held: 2 });

  // She left (or came back on another connection) while the shell read the queue: nothing is sent.
  const u = meshState();
  aliceLogsIn(u, 'c1', true);
  handleUserGone(u, ALICE, 'c1', ctx());
  expect(offerQueued(u, ALICE, 'c1', [entry(1)], ctx()).effects).toEqual([]);
});

test('a queued delivery report (ERROR, delivery-acks.ts) is handed over like a DM: sealed by us, with a queue_ref, removed by the ACK', () => {
  const s = meshState();
  aliceLogsIn(s, 'c1', true);
  const report = JSON.stringify({ type: 'ERROR', from: SELF, to: ALICE, ts: NOW, payload: { code: 'TIMEOUT', detail: 'not confirmed', msg_ref: 'k', to: BOB, ts: NOW - 5, queued: true } });
  const offer = offerQueued(s, ALICE, 'c1', [report], ctx());
  const [sent] = sealedOf(offer.effects, 'sendToUser', 'ERROR');
  expect(sent!.frame).toMatchObject({ type: 'ERROR', from: SELF, to: ALICE, payload: { code: 'TIMEOUT', msg_ref: 'k', to: BOB, queued: true, queue_ref: expect.any(String) } });
  const ref = (sent!.frame.payload as { queue_ref: string }).queue_ref;
  expect(persisted(handleUserFrame(s, ack([ref]), ALICE, 'c1', ctx()).effects)).toEqual([{ op: 'dequeue', userId: ALICE, entries: [report] }]);
});

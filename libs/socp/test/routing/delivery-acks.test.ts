/**
 * Hop-by-hop delivery confirmation (routing/delivery-acks.ts): a DM our user hands to another
 * server is tracked until that server ACKs it; an ERROR naming it, a lost link or (for a peer
 * that does ACK) a silent peer is reported to the user with the user's own msg_ref; the
 * receiving side acknowledges every accepted SERVER_DELIVER and names refused ones.
 */
import {
  INFLIGHT_TTL_MS, MAX_ACK_REFS, ackedRefs, dedupeKey, signContent, handleLinkDown, handleServerFrame, handleUserFrame, handleUserGone, hopAckFrame,
  type Effect, type UnsignedFrame,
} from '@socp/protocol';
import { ALICE, BOB, CAROL, NOW, S2, SELF, ctx, dm, errorCodes, keys, meshState, sealedOf, signedBy, unsigned, withAlice, withRemoteBob } from './routing-fixture';

const fromS2 = (f: UnsignedFrame) => signedBy(f, keys().bob);
const errorsToUser = (effects: Effect[]) => sealedOf(effects, 'sendToUser', 'ERROR').map((x) => x.frame.payload as Record<string, unknown>);

/** alice (local) sends bob (on S2) a DM; returns the state, the user's frame and the SERVER_DELIVER's key. */
function sendToBob(ts = NOW) {
  const s = withRemoteBob(withAlice(meshState()));
  const d = dm(BOB, ts);
  const effects = handleUserFrame(s, unsigned(d), ALICE, 'c1', ctx(ts)).effects;
  const [hop] = sealedOf(effects, 'sendToServer', 'SERVER_DELIVER');
  return { s, d, hopRef: dedupeKey(hop!.frame), effects };
}

test('a DM forwarded to another server is in flight until that server ACKs it', () => {
  const { s, hopRef } = sendToBob();
  expect([...s.inflight.get(S2)!.keys()]).toEqual([hopRef]);
  const ack = fromS2(hopAckFrame(S2, SELF, [hopRef], NOW + 5));
  expect(handleServerFrame(s, ack, S2, 'c2', ctx(NOW + 5)).effects).toEqual([]);
  expect(s.inflight.has(S2)).toBe(false);
  expect(s.ackingPeers.has(S2)).toBe(true);
  // nothing left to report when the link goes later
  expect(errorsToUser(handleLinkDown(s, S2, ctx(NOW + 10)))).toEqual([]);
});

test('the link goes down with the DM unconfirmed: the sender gets ERROR TIMEOUT naming its own frame', () => {
  const { s, d } = sendToBob();
  const errors = errorsToUser(handleLinkDown(s, S2, ctx(NOW + 9_000)));
  expect(errors).toEqual([{ code: 'TIMEOUT', detail: expect.stringContaining('not confirmed') as unknown, msg_ref: dedupeKey(d), to: BOB, ts: NOW }]);
  expect(s.inflight.has(S2)).toBe(false);
});

test('the sender left before the report: an account user gets it queued for the next log-in, others lose it with the link', () => {
  const { s, d } = sendToBob();
  s.accounts.add(ALICE);
  handleUserGone(s, ALICE, 'c1', ctx(NOW + 1));
  const effects = handleLinkDown(s, S2, ctx(NOW + 9_000));
  expect(errorsToUser(effects)).toEqual([]);
  const queued = effects.flatMap((e) => (e.kind === 'persist' && e.op.op === 'enqueue' ? [e.op] : []));
  expect(queued).toEqual([{ op: 'enqueue', userId: ALICE, frame: expect.objectContaining({ type: 'ERROR', to: ALICE }) as unknown }]);
  expect(queued[0]!.frame.payload).toEqual({ code: 'TIMEOUT', detail: expect.stringContaining('not confirmed') as unknown, msg_ref: dedupeKey(d), to: BOB, ts: NOW, queued: true });

  const other = sendToBob();
  handleUserGone(other.s, ALICE, 'c1', ctx(NOW + 1));
  const lost = handleLinkDown(other.s, S2, ctx(NOW + 9_000));
  expect(lost.some((e) => e.kind === 'persist' && e.op.op === 'enqueue')).toBe(false);
});

test('an ERROR from the next hop naming the DM is passed on to the sender, once', () => {
  const { s, d, hopRef } = sendToBob();
  const err = fromS2({ type: 'ERROR', from: S2, to: SELF, ts: NOW + 3, payload: { code: 'USER_NOT_FOUND', detail: 'user gone', msg_ref: hopRef } });
  const errors = errorsToUser(handleServerFrame(s, err, S2, 'c2', ctx(NOW + 3)).effects);
  expect(errors).toEqual([expect.objectContaining({ code: 'USER_NOT_FOUND', msg_ref: dedupeKey(d), to: BOB, ts: NOW })]);
  expect(errorsToUser(handleServerFrame(s, err, S2, 'c2', ctx(NOW + 4)).effects)).toEqual([]);
  expect(errorsToUser(handleLinkDown(s, S2, ctx(NOW + 5)))).toEqual([]);
});

test('a peer that never ACKs (G43): entries expire silently; a peer that ACKs: expiry is reported', () => {
  const { s } = sendToBob(NOW);
  const later = NOW + INFLIGHT_TTL_MS + 1;
  const silent = handleUserFrame(s, unsigned(dm(BOB, later)), ALICE, 'c1', ctx(later)).effects;
  expect(errorsToUser(silent)).toEqual([]);
  expect(s.inflight.get(S2)!.size).toBe(1); // only the new one

  const acking = sendToBob(NOW);
  acking.s.ackingPeers.add(S2);
  const reported = handleUserFrame(acking.s, unsigned(dm(BOB, later)), ALICE, 'c1', ctx(later)).effects;
  expect(errorsToUser(reported)).toEqual([expect.objectContaining({ code: 'TIMEOUT', msg_ref: dedupeKey(acking.d) })]);
});

test('only DMs of our own users are tracked: files and relayed frames are not', () => {
  const s = withRemoteBob(withAlice(meshState()));
  handleUserFrame(s, unsigned({ type: 'FILE_END', from: ALICE, to: BOB, ts: NOW, payload: { file_id: CAROL } } as UnsignedFrame), ALICE, 'c1', ctx());
  expect(s.inflight.size).toBe(0);
});

test('receiver: an accepted SERVER_DELIVER is acknowledged with its dedupe key; a refused one is named in the ERROR', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const ct = Buffer.alloc(512, 3).toString('base64url');
  const sd = (to: string): UnsignedFrame => ({
    type: 'SERVER_DELIVER', from: S2, to: SELF, ts: NOW,
    payload: { user_id: to, ciphertext: ct, sender: BOB, sender_pub: keys().bob.publicKey.toBase64Url(), content_sig: signContent(keys().bob, { ciphertext: ct, from: BOB, to, ts: NOW }), inner_type: 'MSG_DIRECT', orig_ts: NOW },
  } as UnsignedFrame);
  const ok = fromS2(sd(ALICE));
  const acks = handleServerFrame(s, ok, S2, 'c2', ctx()).effects.filter((e) => e.kind === 'hopAck');
  expect(acks).toEqual([{ kind: 'hopAck', connId: 'c2', from: SELF, to: S2, msgRef: dedupeKey(ok) }]);
  const bad = fromS2(sd(CAROL));
  const refused = handleServerFrame(s, bad, S2, 'c2', ctx()).effects;
  expect(errorCodes(refused)).toEqual(['USER_NOT_FOUND']);
  expect(sealedOf(refused, 'sendToConnection', 'ERROR')[0]!.frame.payload).toMatchObject({ msg_ref: dedupeKey(bad) });
  expect(refused.some((e) => e.kind === 'hopAck')).toBe(false);
});

test('a refused DM of a user names the frame (msg_ref, to, ts) in its ERROR', () => {
  const s = withAlice(meshState());
  const d = dm(CAROL);
  const effects = handleUserFrame(s, unsigned(d), ALICE, 'c1', ctx()).effects;
  expect(sealedOf(effects, 'sendToConnection', 'ERROR')[0]!.frame.payload).toMatchObject({ code: 'USER_NOT_FOUND', msg_ref: dedupeKey(d), to: CAROL, ts: NOW });
});

test('batched ACK: msg_ref is the first key, msg_refs all of them; a peer cannot make us read more than MAX_ACK_REFS', () => {
  const f = hopAckFrame(SELF, S2, ['a', 'b', 'c'], NOW);
  expect(f.payload).toEqual({ msg_ref: 'a', msg_refs: ['a', 'b', 'c'] });
  const many = Array.from({ length: MAX_ACK_REFS * 3 }, (_, i) => `r${i}`);
  expect(ackedRefs({ msg_ref: 'x', msg_refs: many })).toHaveLength(MAX_ACK_REFS + 1);
  expect(ackedRefs({ msg_ref: 'x', msg_refs: [1, {}, 'y'] as unknown as string[] })).toEqual(['x', 'y']);
  expect(ackedRefs({ msg_ref: 'x' })).toEqual(['x']);
});

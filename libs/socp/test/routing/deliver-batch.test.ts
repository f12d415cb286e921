/**
 * Delivery batches in the routing core (routing/deliver-batch.ts): a batch's items are exactly
 * the SERVER_DELIVERs they stand for (same dedupe keys, same final-hop checks, same hop ACKs),
 * a batch must be bound and addressed to us, stale items are refused alone, items are never
 * relayed, and only a peer whose latest hello says so is sent batches.
 */
import {
  authenticateServerFrame, dedupeKey, deliverBatchFrame, handleServerFrame, isBatchItem, sealFrame, signContent, unpackDeliverBatch, withBind, CAP_DELIVER_BATCH,
  type Frame, type FrameOf, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { ALICE, BOB, CAROL, NOW, S2, S3, SELF, ctx, errorCodes, keys, meshState, rejects, sealedOf, withAlice, withRemoteBob } from './routing-fixture';

const CT = Buffer.alloc(512, 9).toString('base64url');
/** A SERVER_DELIVER from S2 of a DM from `sender` (signed by `signer`) to `to`. */
const sd = (o: { to?: string; sender?: string; ts?: number; signer?: 'alice' | 'bob' } = {}): UnsignedFrame<'SERVER_DELIVER'> => {
  const ts = o.ts ?? NOW;
  const sender = o.sender ?? BOB;
  const to = o.to ?? ALICE;
  const k = keys()[o.signer ?? 'bob'];
  return {
    type: 'SERVER_DELIVER', from: S2, to: SELF, ts,
    payload: { user_id: to, inner_type: 'MSG_DIRECT', ciphertext: CT, sender, orig_ts: ts, sender_pub: keys().bob.publicKey.toBase64Url(), content_sig: signContent(k, { ciphertext: CT, from: sender, to, ts }) },
  } as UnsignedFrame<'SERVER_DELIVER'>;
};
/** The batch S2 sends us, bound and signed with S2's key (bob's key in the fixture). */
const batchOf = (frames: Array<UnsignedFrame<'SERVER_DELIVER'>>, o: { to?: string; bind?: boolean } = {}): Verified<FrameOf<'SERVER_DELIVER_BATCH'>> => {
  const f = deliverBatchFrame(S2, o.to ?? SELF, frames, NOW);
  return sealFrame(o.bind === false ? f : withBind(f), keys().bob) as Verified<FrameOf<'SERVER_DELIVER_BATCH'>>;
};
/** What the core does with each item, as a SERVER_DELIVER of its own would have it done. */
const items = (s: ReturnType<typeof meshState>, b: Verified<FrameOf<'SERVER_DELIVER_BATCH'>>) => {
  const u = unpackDeliverBatch(s, b, ctx());
  if (!u.ok) throw u.error;
  return u.value;
};

test('a bound batch verifies once under the sender\'s key; its items are the SERVER_DELIVERs they stand for, with the same dedupe keys', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const frames = [sd({ ts: NOW - 2 }), sd({ ts: NOW - 1 }), sd()];
  const b = batchOf(frames);
  expect(authenticateServerFrame(s, b, ctx()).ok).toBe(true);
  const got = items(s, b);
  expect(got.map((i) => i.ok)).toEqual([true, true, true]);
  expect(got.map((i) => dedupeKey(i.frame))).toEqual(frames.map((f) => dedupeKey(f)));
  expect(got.every((i) => isBatchItem(i.frame))).toBe(true);
  for (const i of got) {
    const r = handleServerFrame(s, i.frame as Verified<Frame>, S2, 'c2', ctx());
    expect(sealedOf(r.effects, 'sendToUser', 'USER_DELIVER')).toHaveLength(1);
    expect(r.effects.filter((e) => e.kind === 'hopAck').map((e) => (e as { msgRef: string }).msgRef)).toEqual([dedupeKey(i.frame)]);
  }
  // the same items again are duplicates: ACKed, not delivered twice
  const again = handleServerFrame(s, items(s, b)[0]!.frame as Verified<Frame>, S2, 'c2', ctx());
  expect(sealedOf(again.effects, 'sendToUser', 'USER_DELIVER')).toEqual([]);
});

test('an item is held to the final-hop checks: a content_sig not made by its sender is refused, the others go through', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const got = items(s, batchOf([sd({ signer: 'alice' }), sd({ ts: NOW - 5 })]));
  const forged = handleServerFrame(s, got[0]!.frame as Verified<Frame>, S2, 'c2', ctx());
  expect(rejects(forged.effects)).toEqual(['INVALID_SIG']);
  expect(sealedOf(forged.effects, 'sendToUser', 'USER_DELIVER')).toEqual([]);
  expect(sealedOf(handleServerFrame(s, got[1]!.frame as Verified<Frame>, S2, 'c2', ctx()).effects, 'sendToUser', 'USER_DELIVER')).toHaveLength(1);
});

test('a batch must be bound to its envelope and addressed to us; a tampered item breaks the batch signature', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const unbound = unpackDeliverBatch(s, batchOf([sd()], { bind: false }), ctx());
  expect(unbound.ok || unbound.error.code).toBe('SOCP_ERR_REPLAY');
  const elsewhere = unpackDeliverBatch(s, batchOf([sd()], { to: S3 }), ctx());
  expect(elsewhere.ok || elsewhere.error.code).toBe('SOCP_ERR_NOT_ALLOWED');
  const b = batchOf([sd(), sd({ ts: NOW - 1 })]);
  const tampered = { ...b, payload: { ...b.payload, deliveries: [b.payload.deliveries[0]!, { ...b.payload.deliveries[1]!, payload: { ...b.payload.deliveries[1]!.payload, user_id: CAROL } }] } } as Frame;
  const r = authenticateServerFrame(s, tampered, ctx());
  expect(r.ok || r.error.code).toBe('INVALID_SIG');
});

test('a stale item is refused alone (replay window), the fresh ones are not', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const got = items(s, batchOf([sd({ ts: NOW - 10 * 60_000 }), sd()]));
  expect(got[0]!.ok || (got[0] as { error: { code: string } }).error.code).toBe('SOCP_ERR_REPLAY');
  expect(got[1]!.ok).toBe(true);
});

test('an item for a user another server hosts is not relayed (it has no signature of its own): USER_NOT_FOUND by its msg_ref', () => {
  const s = withRemoteBob(meshState());
  s.servers.add(S3);
  s.userLocations.set(CAROL, S3);
  const [it] = items(s, batchOf([sd({ to: CAROL })]));
  const r = handleServerFrame(s, it!.frame as Verified<Frame>, S2, 'c2', ctx());
  expect(errorCodes(r.effects)).toEqual(['USER_NOT_FOUND']);
  expect(r.effects.some((e) => e.kind === 'sendToServer')).toBe(false);
  // a signed SERVER_DELIVER of its own is relayed as before
  const single = handleServerFrame(s, sealFrame(sd({ to: CAROL }), keys().bob) as Verified<Frame>, S2, 'c2', ctx());
  expect(single.effects.some((e) => e.kind === 'sendToServer' && 'relay' in e.out)).toBe(true);
});

test('the core never takes a batch whole: the shell hands it in item by item', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const r = handleServerFrame(s, batchOf([sd()]) as Verified<Frame>, S2, 'c2', ctx());
  expect(rejects(r.effects)).toEqual(['SOCP_ERR_INTERNAL']);
  expect(sealedOf(r.effects, 'sendToUser', 'USER_DELIVER')).toEqual([]);
});

test('a peer is sent batches while its latest hello lists the capability', () => {
  const s = meshState();
  const hello = (caps: string[], ts: number) => sealFrame(withBind({ type: 'SERVER_HELLO_LINK', from: S2, to: SELF, ts, payload: { host: 'h', port: 1, pubkey: keys().bob.publicKey.toBase64Url(), caps } }), keys().bob) as Verified<Frame>;
  s.admitted.set(S2, { basis: 'rule', expires: Infinity });
  handleServerFrame(s, hello(['bind', CAP_DELIVER_BATCH], NOW), S2, 'c2', ctx());
  expect(s.batchingServers.has(S2)).toBe(true);
  handleServerFrame(s, hello(['bind'], NOW + 1), S2, 'c2', ctx(NOW + 1));
  expect(s.batchingServers.has(S2)).toBe(false);
});

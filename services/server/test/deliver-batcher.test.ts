/**
 * The sending side of delivery batches (transport/deliver-batcher.ts), with a seal we resolve by
 * hand: at light load every SERVER_DELIVER is signed alone at once; while MAX_LINK_SIGNINGS are
 * in flight for a link the next ones wait and go out as one batch; nothing queued for the link
 * in between is overtaken; peers that do not take batches never get one.
 */
import type { Effect, UnsignedFrame } from '@socp/protocol';
import { DeliverBatcher, MAX_LINK_SIGNINGS } from '../src/transport/deliver-batcher';

const S2 = 'a1b2c3d4-0000-4000-8000-000000000001';
const OLD = 'b1b2c3d4-0000-4000-8000-000000000002';
const SELF = '6b0f3c1e-8d52-4a7e-9f3a-2c4d5e6f7a81';

let n = 0;
const deliver = (to = S2): Effect => ({
  kind: 'sendToServer', serverId: to,
  out: { seal: { type: 'SERVER_DELIVER', from: SELF, to, ts: 1_000 + n, payload: { user_id: `u${n++}`, ciphertext: 'x', sender: 's', orig_ts: 1 } } as unknown as UnsignedFrame },
});
const advert = (to = S2): Effect => ({ kind: 'sendToServer', serverId: to, out: { seal: { type: 'USER_ADVERTISE', from: SELF, to, ts: 1, payload: {} } as unknown as UnsignedFrame } });

function setup() {
  const sealed: Array<{ frame: UnsignedFrame; resolve: () => void }> = [];
  const sizes: number[] = [];
  const b = new DeliverBatcher<UnsignedFrame>({
    batches: (sid) => sid === S2,
    seal: (f) => new Promise((resolve) => sealed.push({ frame: f, resolve: () => resolve(f) })),
    sent: (items) => sizes.push(items),
  });
  const flush = () => new Promise((r) => setImmediate(r));
  return { b, sealed, sizes, flush };
}
const itemsOf = (f: UnsignedFrame): number => (f.type === 'SERVER_DELIVER_BATCH' ? (f.payload as { deliveries: unknown[] }).deliveries.length : 1);

test(`the first ${MAX_LINK_SIGNINGS} go alone at once; the next wait and go out as one batch when a slot frees`, async () => {
  const { b, sealed, sizes, flush } = setup();
  const first = [deliver(), deliver()].map((e) => b.take([e]));
  expect(sealed.map((s) => s.frame.type)).toEqual(['SERVER_DELIVER', 'SERVER_DELIVER']);
  expect(first.every((r) => r.effects.length === 1 && r.deferred.size === 1)).toBe(true);
  const opener = b.take([deliver()]);
  expect(opener.deferred.size).toBe(1); // starts the waiting batch, in its place
  const joined = [deliver(), deliver(), deliver()].map((e) => b.take([e]));
  expect(joined.every((r) => r.effects.length === 0)).toBe(true); // carried by the opener's batch
  expect(sealed).toHaveLength(2); // nothing more signed while both slots are busy
  sealed[0]!.resolve();
  await flush();
  expect(sealed).toHaveLength(3);
  expect(sealed[2]!.frame.type).toBe('SERVER_DELIVER_BATCH');
  expect(itemsOf(sealed[2]!.frame)).toBe(4);
  sealed[2]!.resolve();
  const batch = await opener.deferred.values().next().value!;
  expect(batch).toBe(sealed[2]!.frame);
  expect(sizes).toEqual([1, 1, 4]);
});

test('a frame queued for the link after a waiting batch is not overtaken: the next SERVER_DELIVER starts a new batch', async () => {
  const { b, sealed, flush } = setup();
  b.take([deliver()]);
  b.take([deliver()]);
  const a = b.take([deliver()]);
  expect(b.take([advert()]).effects).toHaveLength(1);
  const c = b.take([deliver()]);
  expect(a.deferred.size).toBe(1);
  expect(c.deferred.size).toBe(1); // not joined to `a`'s batch: the advert sits between
  sealed[0]!.resolve();
  sealed[1]!.resolve();
  await flush();
  expect(sealed.slice(2).map((s) => s.frame.type)).toEqual(['SERVER_DELIVER', 'SERVER_DELIVER']);
  // within one effect list too
  const { b: b2, sealed: s2 } = setup();
  b2.take([deliver()]);
  b2.take([deliver()]);
  const mixed = b2.take([deliver(), advert(), deliver()]);
  expect(mixed.effects).toHaveLength(3);
  expect(mixed.deferred.size).toBe(2);
  expect(s2).toHaveLength(2);
});

test('a broadcast to every server also closes the waiting batch', () => {
  const { b } = setup();
  b.take([deliver()]);
  b.take([deliver()]);
  b.take([deliver()]);
  b.take([{ kind: 'broadcastServers', except: [], out: { seal: { type: 'USER_REMOVE', from: SELF, to: '*', ts: 1, payload: {} } as unknown as UnsignedFrame } }]);
  expect(b.take([deliver()]).deferred.size).toBe(1);
});

test('a peer that does not take batches gets every SERVER_DELIVER as it comes, however busy', () => {
  const { b, sealed } = setup();
  const r = [1, 2, 3, 4, 5].map(() => b.take([deliver(OLD)]));
  expect(r.every((x) => x.effects.length === 1 && x.deferred.size === 0)).toBe(true);
  expect(sealed).toHaveLength(0); // not the batcher's to sign: the runner signs them as usual
});

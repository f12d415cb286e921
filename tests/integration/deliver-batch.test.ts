/**
 * Delivery batches on real processes (docs/contracts.md "Delivery batches"): a burst of DMs from
 * server 0's users to a user of server 1 goes out in fewer signatures than DMs (SERVER_DELIVER
 * _BATCH), and every DM arrives exactly once, intact; a linked peer that did not say it takes
 * batches (another implementation) gets every DM as a SERVER_DELIVER of its own; an admitted
 * server turned hostile cannot use a batch to slip in forged, stale or unbound deliveries.
 */
import { randomUUID } from 'node:crypto';
import {
  deliverBatchFrame, dedupeKey, helloProofOf, sealFrame, signContent, withBind, type Frame, type FrameOf, type RsaPrivateKey, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { HostileServer } from '../harness/hostile-server';
import type { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { metric, useMesh } from './mesh-helpers';

jest.setTimeout(180_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 4);
const DMS = 240;
let senders: RawUser[];
let bob: RawUser;
const figures: Record<string, unknown> = {};
afterAll(() => process.stdout.write(`${JSON.stringify({ test: 'deliver-batch', ...figures })}\n`));

beforeAll(async () => {
  senders = await Promise.all([0, 1, 2].map((i) => fx.connect(0, fx.keys[i]!, `sender-${i}`)));
  bob = await fx.connect(1, fx.keys[3]!, 'bob');
  for (const s of senders) await s.waitForUser(bob.id, 20_000);
});

const admin = (i: number): string => fx.mesh.servers[i]!.adminUrl;

test(`a burst of ${DMS} DMs to another server's user: fewer signed frames than DMs, each DM delivered once and intact`, async () => {
  const frames = Array.from({ length: DMS }, (_, i) => ({ from: senders[i % senders.length]!, text: `burst ${i}` }));
  const built = frames.map((d) => ({ ...d, frame: d.from.dmFrame(bob.id, d.text) }));
  const before = { batchFrames: await metric(admin(0), 'socp_deliver_batch_size_count'), items: await metric(admin(0), 'socp_deliver_batch_size_sum') };
  const m = bob.mark();
  for (const b of built) b.from.sock.send(b.frame);
  await waitFor(`${DMS} USER_DELIVERs at bob`, () => bob.sock.frames().slice(m).filter((f) => f.type === 'USER_DELIVER').length >= DMS, 90_000);
  const got = bob.sock.frames().slice(m).filter((f): f is FrameOf<'USER_DELIVER'> => f.type === 'USER_DELIVER');
  const texts = got.map((f) => bob.key.decrypt(Buffer.from(f.payload.ciphertext, 'base64url')).toString('utf8'));
  expect(texts.sort()).toEqual(frames.map((d) => d.text).sort()); // every one, once
  // each one still checks out end to end (server sig, sender key, content_sig)
  for (const s of senders) await bob.waitMessage(s.id, 5_000, m);
  const batchFrames = (await metric(admin(0), 'socp_deliver_batch_size_count')) - before.batchFrames;
  const items = (await metric(admin(0), 'socp_deliver_batch_size_sum')) - before.items;
  const received = await metric(admin(1), 'socp_batched_deliveries_received_total');
  figures['burst'] = { dms: DMS, signedFrames: batchFrames, items, batchedItemsReceived: received };
  expect(items).toBe(DMS);
  expect(batchFrames).toBeLessThan(DMS);
  expect(received).toBeGreaterThan(0);
  expect(await metric(admin(1), 'socp_frames_rejected_total')).toBe(0);
});

test('a peer that did not say it takes batches gets every DM as a SERVER_DELIVER of its own', async () => {
  const peer = await HostileServer.create(fx.keys[2]!); // an admitted server of another implementation: no caps
  try {
    await peer.admit(fx.mesh.introducers[0]!.wsUrl, fx.mesh.joinSecret);
    const link = await peer.link(fx.mesh.servers[0]!.wsUrl, fx.mesh.servers[0]!.id, {});
    await waitFor('server 0 dials back to the peer', () => peer.inbound.length > 0, 15_000);
    const carol = randomUUID();
    const hello = sealFrame(withBind({ type: 'USER_HELLO', from: carol, to: peer.id, ts: Date.now(), payload: { pubkey: fx.keys[3]!.publicKey.toBase64Url() } }), fx.keys[3]!);
    const proof = { ...helloProofOf(hello as Verified<FrameOf<'USER_HELLO'>>) };
    link.send(peer.frame('USER_ADVERTISE', { user_id: carol, server_id: peer.id, meta: { username: 'carol' }, pubkey: fx.keys[3]!.publicKey.toBase64Url(), proof }));
    for (const s of senders) await s.waitForUser(carol, 15_000);
    const n = 60;
    const start = peer.inbound.length;
    const built = Array.from({ length: n }, (_, i) => senders[i % senders.length]!.dmFrame(carol, `to carol ${i}`));
    for (const [i, f] of built.entries()) senders[i % senders.length]!.sock.send(f);
    const seen = (): Frame[] => peer.inbound.slice(start).map((t) => JSON.parse(t) as Frame);
    await waitFor(`${n} SERVER_DELIVERs at the peer`, () => seen().filter((f) => f.type === 'SERVER_DELIVER').length >= n, 60_000);
    expect(seen().some((f) => f.type === 'SERVER_DELIVER_BATCH')).toBe(false);
  } finally {
    await peer.close();
  }
});

test('a hostile admitted server\'s batch: its genuine item is delivered; a forged, a stale item and an unbound batch are refused by msg_ref, nothing else changes', async () => {
  const mallory = await HostileServer.create(fx.keys[2]!);
  const alice = senders[0]!;
  const s0 = fx.mesh.servers[0]!;
  try {
    await mallory.admit(fx.mesh.introducers[0]!.wsUrl, fx.mesh.joinSecret);
    const link = await mallory.link(s0.wsUrl, s0.id);
    await waitFor('server 0 dials back to mallory', () => mallory.inbound.length > 0, 15_000);
    // mallory's own user, proven with its hello (mallory holds its key)
    const mal = randomUUID();
    const malKey = fx.keys[1]!;
    const hello = sealFrame(withBind({ type: 'USER_HELLO', from: mal, to: mallory.id, ts: Date.now(), payload: { pubkey: malKey.publicKey.toBase64Url() } }), malKey);
    link.send(mallory.frame('USER_ADVERTISE', { user_id: mal, server_id: mallory.id, meta: { username: 'mal' }, pubkey: malKey.publicKey.toBase64Url(), proof: { ...helloProofOf(hello as Verified<FrameOf<'USER_HELLO'>>) } }));
    await alice.waitForUser(mal, 15_000);
    const CT = alice.key.publicKey.encrypt(Buffer.from('from mal')).toString('base64url');
    const item = (sender: string, signer: RsaPrivateKey, ts = Date.now()): UnsignedFrame<'SERVER_DELIVER'> => ({
      type: 'SERVER_DELIVER', from: mallory.id, to: s0.id, ts,
      payload: { user_id: alice.id, ciphertext: CT, sender, sender_pub: signer.publicKey.toBase64Url(), content_sig: signContent(signer, { ciphertext: CT, from: sender, to: alice.id, ts }), orig_ts: ts } as never,
    });
    const genuine = item(mal, malKey);
    const forged = item(bob.id, fx.keys[2]!, Date.now() + 1); // bob is server 1's user; signed with mallory's key
    const stale = item(mal, malKey, Date.now() - 10 * 60_000);
    const m = alice.mark();
    const e0 = link.received.length;
    link.send(sealFrame(withBind(deliverBatchFrame(mallory.id, s0.id, [genuine, forged, stale], Date.now())), mallory.key) as Frame);
    await alice.waitMessage(mal, 10_000, m);
    const refs = async (n: number): Promise<string[]> => {
      await waitFor(`${n} ERRORs at mallory`, () => link.frames().slice(e0).filter((f) => f.type === 'ERROR').length >= n, 10_000);
      return link.frames().slice(e0).filter((f) => f.type === 'ERROR').map((f) => String((f.payload as { msg_ref?: unknown }).msg_ref));
    };
    expect((await refs(2)).sort()).toEqual([dedupeKey(forged), dedupeKey(stale)].sort());
    // an unbound batch: refused whole, nothing delivered
    const unbound = item(mal, malKey, Date.now() + 2);
    const e1 = link.received.length;
    link.send(sealFrame(deliverBatchFrame(mallory.id, s0.id, [unbound], Date.now()), mallory.key) as Frame);
    const err = await link.waitError(undefined, 10_000, e1);
    expect((err.payload as { code: string }).code).toBe('INVALID_SIG');
    await waitFor('server 0 counts the refusals', async () => (await metric(admin(0), 'socp_frames_rejected_total', { reason: 'SOCP_ERR_REPLAY' })) >= 2, 5_000);
    const delivered = alice.sock.frames().slice(m).filter((f) => f.type === 'USER_DELIVER' && (f.payload as { sender: string }).sender !== undefined);
    expect(delivered.map((f) => (f.payload as { sender: string }).sender)).toEqual([mal]);
  } finally {
    await mallory.close();
  }
});

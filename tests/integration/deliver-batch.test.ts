/**
 * Delivery batches on real processes (docs/contracts.md "Delivery batches"): a burst of DMs from
 * server 0's users to a user of server 1 goes out in fewer signatures than DMs (SERVER_DELIVER
 * _BATCH), and every DM arrives exactly once, intact; a linked peer that did not say it takes
 * batches (another implementation) gets every DM as a SERVER_DELIVER of its own.
 */
import { randomUUID } from 'node:crypto';
import { helloProofOf, sealFrame, withBind, type Frame, type FrameOf, type Verified } from '@socp/protocol';
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

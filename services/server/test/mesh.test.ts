/**
 * Two in-process servers, each with its own real Redis, joined through a fake introducer, plus
 * a hostile server that links to one of them: presence gossip, cross-server DMs, files and the
 * public channel, user removal, link loss and re-link, and spoofed gossip / bad signatures
 * refused with the right code and no state change.
 */
import { randomUUID } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { decodeFrame, encodeFrame, generateKeyPair, importPublicKey, sealFrame, signContent, verifyFrame, type Frame, type RsaPrivateKey, type UnsignedFrame } from '@socp/protocol';
import { FakeIntroducer } from './helpers/fake-introducer';
import { RawUser } from './helpers/raw-user';
import { RedisProcess, waitFor } from './helpers/redis-process';
import { metricValue, startTestServer, type TestServer } from './helpers/test-server';

jest.setTimeout(90_000);

const FAST = { SOCP_HEARTBEAT_MS: '200', SOCP_DEAD_AFTER_MS: '1000' };
let redisA: RedisProcess;
let redisB: RedisProcess;
let intro: FakeIntroducer;
let A: TestServer;
let B: TestServer;
let keys: RsaPrivateKey[];
const users: RawUser[] = [];
const alice = randomUUID();
const bob = randomUUID();
const carol = randomUUID();

async function online(srv: TestServer, id: string, key: RsaPrivateKey): Promise<RawUser> {
  const u = await RawUser.connect(srv.node.wsPort, id, key);
  users.push(u);
  u.hello({ username: id.slice(0, 8) });
  await u.next((f) => f.type === 'ACK', 'ACK');
  return u;
}
const sees = (u: RawUser, type: string, userId: string) => u.next((f) => f.type === type && (f.payload as { user_id?: string }).user_id === userId, `${type} ${userId}`);

beforeAll(async () => {
  keys = await Promise.all([0, 1, 2, 3, 4].map(() => generateKeyPair()));
  [redisA, redisB] = await Promise.all([RedisProcess.start(), RedisProcess.start()]);
  intro = await FakeIntroducer.start(keys[4]!);
  A = await startTestServer(redisA.url, intro.bootstrap, FAST);
  await waitFor('A joined', () => intro.joined.has(A.node.serverId));
  B = await startTestServer(redisB.url, intro.bootstrap, FAST);
  await waitFor('A ↔ B linked', () => A.node.state.servers.has(B.node.serverId) && B.node.state.servers.has(A.node.serverId));
});
afterAll(async () => {
  while (users.length) users.pop()!.close();
  await A?.stop();
  await B?.stop();
  await intro?.stop();
  await Promise.all([redisA?.dispose(), redisB?.dispose()]);
});

test('presence, DMs, files and the public channel cross servers; a leaving user is removed', async () => {
  const a = await online(A, alice, keys[0]!);
  const b = await online(B, bob, keys[1]!);
  const adv = await sees(a, 'USER_ADVERTISE', bob);
  expect(adv.payload).toMatchObject({ server_id: B.node.serverId, pubkey: keys[1]!.publicKey.toBase64Url() });
  expect(verifyFrame(adv, importPublicKey(A.node.pubkey)).ok).toBe(true); // re-signed by alice's own server
  await sees(b, 'USER_ADVERTISE', alice);

  const dm = a.dm(bob);
  a.send(dm);
  const got = await b.next((f) => f.type === 'USER_DELIVER' && f.payload.group_id === undefined, 'DM at bob');
  expect(got).toMatchObject({ from: B.node.serverId, to: bob, ts: dm.ts, payload: { sender: alice, ciphertext: dm.payload.ciphertext, content_sig: dm.payload.content_sig, orig_ts: dm.ts } });
  expect(verifyFrame(got, importPublicKey(B.node.pubkey)).ok).toBe(true);

  const fileId = randomUUID();
  const ts = Date.now();
  const ciphertext = Buffer.alloc(512, 3).toString('base64url');
  const chunkSig = signContent(keys[0]!, { ciphertext, from: alice, to: bob, ts: ts + 1 });
  a.send({ type: 'FILE_START', from: alice, to: bob, ts, payload: { file_id: fileId, name: 'a.txt', size: 3, sha256: 'a'.repeat(64), mode: 'dm' } });
  a.send({ type: 'FILE_CHUNK', from: alice, to: bob, ts: ts + 1, payload: { file_id: fileId, index: 0, ciphertext, sender: alice, sender_pub: keys[0]!.publicKey.toBase64Url(), content_sig: chunkSig } });
  a.send({ type: 'FILE_END', from: alice, to: bob, ts: ts + 2, payload: { file_id: fileId } });
  const end = await b.next((f) => f.type === 'FILE_END', 'FILE_END');
  const files = b.frames.filter((f) => f.type.startsWith('FILE_'));
  expect(files.map((f) => f.type)).toEqual(['FILE_START', 'FILE_CHUNK', 'FILE_END']);
  for (const f of files) {
    expect(f).toMatchObject({ from: alice, to: bob, payload: { file_id: fileId, sender: alice } });
    expect(verifyFrame(f, importPublicKey(B.node.pubkey)).ok).toBe(true);
  }
  expect(end.ts).toBe(ts + 2);

  const pts = Date.now();
  const pct = Buffer.alloc(512, 9).toString('base64url');
  const psig = signContent(keys[0]!, { ciphertext: pct, from: alice, ts: pts });
  a.send({ type: 'MSG_PUBLIC_CHANNEL', from: alice, to: bob, ts: pts, payload: { ciphertext: pct, sender_pub: keys[0]!.publicKey.toBase64Url(), content_sig: psig, group_id: 'public' } });
  const pub = await b.next((f) => f.type === 'USER_DELIVER' && f.payload.group_id === 'public', 'public message at bob');
  expect(pub.payload).toMatchObject({ sender: alice, ciphertext: pct, content_sig: psig, orig_ts: pts });
  expect(b.frames.some((f) => f.type === 'PUBLIC_CHANNEL_UPDATED')).toBe(true);

  b.close();
  const rm = await sees(a, 'USER_REMOVE', bob);
  expect((rm.payload as { server_id: string }).server_id).toBe(B.node.serverId);
  await waitFor('bob gone at A', () => !A.node.state.userLocations.has(bob));
});

describe('a hostile linked server', () => {
  let h: WebSocket;
  let hServer: WebSocketServer;
  const dialsIn: WebSocket[] = [];
  const dialCloses: number[] = [];
  const hid = randomUUID();
  const got: Frame[] = [];
  const hsend = (f: UnsignedFrame, key = keys[3]!) => h.send(encodeFrame(sealFrame(f, key)));
  const errorFrom = (n: number) => waitFor(`ERROR #${n + 1} to the hostile server`, () => got.filter((f) => f.type === 'ERROR')[n]);

  beforeAll(async () => {
    // H listens too, accepts A's dial and then stays silent, pings unanswered: A must declare the link dead and re-dial.
    hServer = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    hServer.on('connection', (ws) => {
      dialsIn.push(ws);
      ws.on('close', (code) => dialCloses.push(code));
    });
    await new Promise((r) => hServer.once('listening', r));
    h = new WebSocket(`ws://127.0.0.1:${A.node.wsPort}`);
    h.on('message', (d: Buffer) => {
      const r = decodeFrame(d);
      if (r.ok) got.push(r.value);
    });
    await new Promise((r) => h.once('open', r));
    // H is an admitted server (a ticket of the mesh's introducer) that turned hostile.
    const port = (hServer.address() as AddressInfo).port;
    const ticket = { ...intro.ticketFor(hid, keys[3]!.publicKey, '127.0.0.1', port) };
    hsend({ type: 'SERVER_HELLO_LINK', from: hid, to: A.node.serverId, ts: Date.now(), payload: { host: '127.0.0.1', port, pubkey: keys[3]!.publicKey.toBase64Url(), ticket } });
    await waitFor('hostile pinned', () => A.node.state.serverPubkeys.has(hid));
  });
  afterAll(async () => {
    h?.terminate();
    for (const w of dialsIn) w.terminate();
    await new Promise((r) => hServer?.close(r));
  });

  test('a link that stays silent past SOCP_DEAD_AFTER_MS (pings unanswered) is closed and re-dialled', async () => {
    await waitFor('A dials H', () => dialsIn.length >= 1);
    const dead0 = await metricValue(A.node, 'socp_peer_links_dead_total');
    h.terminate(); // H's inbound socket goes quiet as well
    await waitFor('dead link detected', async () => (await metricValue(A.node, 'socp_peer_links_dead_total')) > dead0, 10_000);
    await waitFor('A re-dials H', () => dialsIn.length >= 2, 10_000);
    // Given up on with a close frame (1001), not cut (1006).
    expect(await waitFor('the dead link closed', () => dialCloses[0], 10_000)).toBe(1001);
    expect(A.node.state.serverPubkeys.has(hid)).toBe(true);
    h = new WebSocket(`ws://127.0.0.1:${A.node.wsPort}`);
    h.on('message', (d: Buffer) => {
      const r = decodeFrame(d);
      if (r.ok) got.push(r.value);
    });
    await new Promise((r) => h.once('open', r));
    hsend({ type: 'HEARTBEAT', from: hid, to: A.node.serverId, ts: Date.now(), payload: {} });
  });

  test('spoofed USER_ADVERTISE / USER_REMOVE, key takeover and bad sigs are refused without state change', async () => {
    const a = users.find((u) => u.id === alice)!;
    const c = await online(B, carol, keys[2]!);
    await sees(a, 'USER_ADVERTISE', carol);
    const before = () => ({ loc: [...A.node.state.userLocations].sort(), keys: [...A.node.state.userKeys].sort(), pins: [...A.node.state.serverPubkeys.keys()].sort() });
    const snap = before();
    const r0 = await metricValue(A.node, 'socp_frames_rejected_total');
    const sum = async () => {
      const res = await fetch(`http://127.0.0.1:${A.node.adminPort}/metrics`);
      return (await res.text()).split('\n').filter((l) => l.startsWith('socp_frames_rejected_total{')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    };
    const total0 = await sum();
    const now = Date.now();
    const fake = keys[3]!.publicKey.toBase64Url();
    // 1. advertise a user as hosted by B, signed by H
    hsend({ type: 'USER_ADVERTISE', from: hid, to: '*', ts: now, payload: { user_id: carol, server_id: B.node.serverId, meta: {}, pubkey: fake } });
    expect((await errorFrom(0)).payload.code).toBe('INVALID_SIG');
    // 2. claim to BE B (from = B) with H's signature
    hsend({ type: 'USER_ADVERTISE', from: B.node.serverId, to: '*', ts: now + 1, payload: { user_id: carol, server_id: B.node.serverId, meta: {}, pubkey: fake } });
    expect((await errorFrom(1)).payload.code).toBe('INVALID_SIG');
    // 3. remove B's user, posing as B
    hsend({ type: 'USER_REMOVE', from: B.node.serverId, to: '*', ts: now + 2, payload: { user_id: carol, server_id: B.node.serverId } });
    expect((await errorFrom(2)).payload.code).toBe('INVALID_SIG');
    // 4. remove B's user in its own name
    hsend({ type: 'USER_REMOVE', from: hid, to: '*', ts: now + 3, payload: { user_id: carol, server_id: B.node.serverId } });
    expect((await errorFrom(3)).payload.code).toBe('INVALID_SIG');
    // 5. take over A's LOCAL user (bound to her key: another key is BAD_KEY)
    hsend({ type: 'USER_ADVERTISE', from: hid, to: '*', ts: now + 4, payload: { user_id: alice, server_id: hid, meta: {}, pubkey: fake } });
    expect((await errorFrom(4)).payload.code).toBe('BAD_KEY');
    // 6. re-key B's id (HELLO_LINK with another key for a pinned id)
    hsend({ type: 'SERVER_HELLO_LINK', from: B.node.serverId, to: A.node.serverId, ts: now + 5, payload: { host: '127.0.0.1', port: 9, pubkey: fake } });
    expect((await errorFrom(5)).payload.code).toBe('BAD_KEY');
    // 7. a SERVER_DELIVER with a broken transport signature
    h.send(JSON.stringify({ type: 'SERVER_DELIVER', from: hid, to: A.node.serverId, ts: now + 6, payload: { user_id: alice, ciphertext: 'AAAA', sender: carol, sender_pub: fake, content_sig: 'AAAA' }, sig: 'AAAA' }));
    expect((await errorFrom(6)).payload.code).toBe('INVALID_SIG');
    // 8. an advertisement rebinding carol's key, in H's own name for a user H claims to host
    hsend({ type: 'USER_ADVERTISE', from: hid, to: '*', ts: now + 7, payload: { user_id: carol, server_id: hid, meta: {}, pubkey: fake } });
    expect((await errorFrom(7)).payload.code).toBe('BAD_KEY');
    // 9. a USER_REMOVE by H in its own name for carol (not hosted by H): ignored, no change
    hsend({ type: 'USER_REMOVE', from: hid, to: '*', ts: now + 8, payload: { user_id: carol, server_id: hid } });
    await A.node.idle();
    expect(before()).toEqual(snap);
    expect(A.node.state.userLocations.get(carol)).toBe(B.node.serverId);
    expect(a.frames.some((f) => f.type === 'USER_REMOVE' && f.payload.user_id === carol)).toBe(false);
    await waitFor('rejections counted', async () => (await sum()) >= total0 + 8);
    expect(r0).toBeGreaterThanOrEqual(0);
    expect(await metricValue(A.node, 'socp_frames_rejected_total', { type: 'SERVER_HELLO_LINK', reason: 'BAD_KEY' })).toBe(1);
    c.close();
  });
});

test('a lost server is dropped with its users and re-linked after it restarts', async () => {
  const a = users.find((u) => u.id === alice)!;
  const d = await online(B, randomUUID(), keys[2]!);
  await sees(a, 'USER_ADVERTISE', d.id);
  const bid = B.node.serverId;
  await B.stop();
  await waitFor('A drops B', () => !A.node.state.servers.has(bid), 10_000);
  await sees(a, 'USER_REMOVE', d.id);
  expect(A.node.state.userLocations.has(d.id)).toBe(false);
  B = await startTestServer(redisB.url, intro.bootstrap, FAST);
  expect(B.node.serverId).toBe(bid);
  await waitFor('A ↔ B re-linked', () => A.node.state.servers.has(bid) && B.node.state.servers.has(A.node.serverId), 15_000);
  a.frames.length = 0;
  const e = await online(B, randomUUID(), keys[1]!);
  await sees(a, 'USER_ADVERTISE', e.id);
  expect(await metricValue(A.node, 'socp_peer_reconnects_total')).toBeGreaterThanOrEqual(1);
});

/**
 * Load and backpressure on one real server (docs/RELIABILITY.md "Load"):
 *  - a connection over its frame rate gets a clear ERROR and a 1008 close, counted;
 *  - 1,000 concurrent user connections (USER_HELLO each, presence to all; a pool of 8 RSA-4096
 *    keys shared across 1,000 distinct user ids keeps setup fast) all accepted, a DM crosses;
 *  - a user that stops reading while asking for large LIST_RESPONSEs is closed as a slow
 *    consumer (socp_slow_consumer_closes_total) and the server's RSS stays bounded.
 * Prints one JSON line of figures (largest server RSS seen).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { encodeFrame, generateKeyPair, sealFrame, sealFrameAsync, type RsaPrivateKey } from '@socp/protocol';
import { startMesh, type Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { rssKb } from '../fuzz/wire-fuzzer';
import { FAST, LOOPBACK_CROWD_ENV, metric } from './mesh-helpers';
import { USER_LIST_BURST, USER_LISTS_PER_SEC } from '../../services/server/src/transport/limits';

jest.setTimeout(300_000);
const USERS = Number(process.env['LOAD_USERS'] ?? 1_000);
const KEY_POOL = 8;
const WAVE = 50;

let mesh: Mesh;
let keys: RsaPrivateKey[];
let maxRss = 0;
let sampler: NodeJS.Timeout | undefined;
const sockets: WebSocket[] = [];
const raws: RawUser[] = [];

beforeAll(async () => {
  [mesh, keys] = await Promise.all([
    startMesh({ servers: 1, introducers: 1, timings: FAST, serverEnv: { ...LOOPBACK_CROWD_ENV } }),
    Promise.all(Array.from({ length: KEY_POOL }, () => generateKeyPair())),
  ]);
  await mesh.waitReady();
  sampler = setInterval(() => void rssKb(mesh.servers[0]!.proc!.pid!).then((r) => (maxRss = Math.max(maxRss, r)), () => undefined), 200);
}, 120_000);
afterAll(async () => {
  clearInterval(sampler);
  for (const s of sockets) s.terminate();
  for (const u of raws) u.sock.terminate();
  await mesh?.stop();
});

const admin = (): string => mesh.servers[0]!.adminUrl;
const url = (): string => mesh.servers[0]!.wsUrl;

test('a connection over its frame rate gets ERROR (TIMEOUT, "too many frames") and a 1008 close, counted', async () => {
  const u = await RawUser.connect(url(), { key: keys[0]! });
  raws.push(u);
  const before = await metric(admin(), 'socp_frames_rejected_total', { reason: 'SOCP_ERR_RATE_LIMITED' });
  const m = u.mark();
  // ACKs naming nothing pending: cheap (ignored), and outside the LIST_REQUEST budget, so the frame budget is what runs out.
  for (let i = 0; i < 1_000; i++) u.sendRaw(`{"type":"ACK","from":"${u.id}","to":"*","ts":${i},"payload":{"msg_ref":"x${i}"},"sig":""}`);
  const err = await u.waitFrame((f) => f.type === 'ERROR' && /too many frames/.test(String((f.payload as { detail?: string }).detail)), 20_000, m);
  expect((err.payload as { code: string }).code).toBe('TIMEOUT');
  expect(await u.sock.waitClosed(10_000)).toBe(1008);
  await waitFor('rate-limit metric', async () => (await metric(admin(), 'socp_frames_rejected_total', { reason: 'SOCP_ERR_RATE_LIMITED' })) >= before + 1, 5_000);
});

/** A minimal user socket: counts messages without decoding them (the test process has 1,000 of these). */
function lightUser(hello: string): Promise<{ ws: WebSocket; messages: () => number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(), { handshakeTimeout: 30_000 });
    sockets.push(ws);
    let n = 0;
    let acked = false;
    ws.on('message', (d: Buffer) => {
      n++;
      if (!acked && d.includes('"msg_ref":"USER_HELLO"')) {
        acked = true;
        resolve({ ws, messages: () => n });
      } else if (!acked && d.includes('"type":"ERROR"')) reject(new Error(`hello refused: ${d.toString().slice(0, 200)}`));
    });
    ws.once('open', () => ws.send(hello));
    ws.once('error', reject);
    ws.once('close', (c) => (acked ? undefined : reject(new Error(`closed ${c} before ACK`))));
  });
}

test(`${USERS} concurrent user connections; a user that stops reading is closed as a slow consumer`, async () => {
  const t0 = Date.now();
  const hellos = await Promise.all(Array.from({ length: USERS }, async (_, i) => {
    const key = keys[i % KEY_POOL]!;
    const pub = key.publicKey.toBase64Url();
    return encodeFrame(await sealFrameAsync({ type: 'USER_HELLO', from: randomUUID(), to: '*', ts: Date.now(), payload: { client: 'load', pubkey: pub, enc_pubkey: pub } }, key));
  }));
  const users: Array<{ ws: WebSocket; messages: () => number }> = [];
  for (let i = 0; i < USERS; i += WAVE) users.push(...(await Promise.all(hellos.slice(i, i + WAVE).map((h) => lightUser(h)))));
  const connectSeconds = (Date.now() - t0) / 1000;
  await waitFor(`${USERS} users online`, async () => (await metric(admin(), 'socp_connections', { role: 'user' })) >= USERS, 60_000, 250);
  expect(users.every((u) => u.ws.readyState === WebSocket.OPEN)).toBe(true);

  // a DM between two full clients still crosses under this load
  const [a, b] = await Promise.all([RawUser.connect(url(), { key: keys[1]!, name: 'load-a' }), RawUser.connect(url(), { key: keys[2]!, name: 'load-b' })]);
  raws.push(a, b);
  await a.waitForUser(b.id, 60_000);
  const m = b.mark();
  const tDm = Date.now();
  a.sendDm(b.id, 'under load');
  expect((await b.waitMessage(a.id, 30_000, m)).text).toBe('under load');
  const dmMs = Date.now() - tDm;

  // slow consumer: stop reading, keep asking for ~USERS-entry LIST_RESPONSEs (a burst, then
  // within the LIST_REQUEST budget) until the server closes it for its full outbound buffer
  const slow = await RawUser.connect(url(), { key: keys[3]! });
  raws.push(slow);
  const slowBefore = await metric(admin(), 'socp_slow_consumer_closes_total');
  const rssBefore = await rssKb(mesh.servers[0]!.proc!.pid!);
  (slow.sock.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const list = sealFrame({ type: 'LIST_REQUEST', from: slow.id, to: '*', ts: Date.now(), payload: {} }, slow.key);
  let asked = 0;
  const ask = (): void => {
    if (slow.sock.ws.readyState === WebSocket.OPEN) slow.send({ ...list, ts: list.ts + asked++ }); // envelope ts is outside the sig: each is a new frame
  };
  for (let i = 0; i < USER_LIST_BURST; i++) ask();
  const asking = setInterval(ask, Math.ceil(1_000 / USER_LISTS_PER_SEC) + 10);
  // ~1 s of asking per 100 users' worth of 8 MiB (about 100 answers at 1,000 users); fewer users, smaller answers, longer.
  const closeWithinMs = Math.max(60_000, (60_000 * 1_000) / USERS);
  await waitFor('slow consumer closed', async () => (await metric(admin(), 'socp_slow_consumer_closes_total')) >= slowBefore + 1, closeWithinMs, 250).finally(() => clearInterval(asking));
  const rssAfter = await rssKb(mesh.servers[0]!.proc!.pid!);
  expect(users.filter((u) => u.ws.readyState === WebSocket.OPEN).length).toBe(USERS); // nobody else was cut
  expect(mesh.servers[0]!.proc!.running).toBe(true);

  process.stdout.write(`${JSON.stringify({
    load: 'server', users: USERS, keyPool: KEY_POOL, connectSeconds, framesToLightUsers: users.reduce((s, u) => s + u.messages(), 0), dmUnderLoadMs: dmMs,
    slowConsumerCloses: (await metric(admin(), 'socp_slow_consumer_closes_total')) - slowBefore, listRequestsBeforeClose: asked,
    rssBeforeSlowMb: Math.round(rssBefore / 1024), rssAfterSlowMb: Math.round(rssAfter / 1024), rssMaxMb: Math.round(maxRss / 1024),
  })}\n`);
  expect(maxRss).toBeLessThan(1024 * 1024);
});

/**
 * The fault matrix (docs/RELIABILITY.md) on the compose mesh of our real images (2 introducers,
 * 3 servers each with its own Redis; heartbeat 2 s, dead after 8 s), driven from the host by raw
 * SOCP users. Each fault prints one JSON line of figures (sent, delivered, duplicated, errored,
 * lost, time to recover). Everything is removed in afterAll, also when a step fails.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dedupeKey, generateKeyPair, MAX_FILE_CHUNK_BYTES, type RsaPrivateKey } from '@socp/protocol';
import { RawUser } from '../harness/raw-user';
import { httpGet, metricValue, waitFor } from '../harness/wait';
import { ComposeMesh, TIMINGS, buildImages } from './compose-mesh';
import { ClientReceiver, dockerPause, partition } from './fault-tools';

jest.setTimeout(180_000);
const SETUP_MS = 20 * 60_000;
const DEAD_WINDOW = TIMINGS.deadAfterMs + 3 * TIMINGS.heartbeatMs + 5_000;

const mesh = new ComposeMesh();
const dirs: string[] = [];
let keys: RsaPrivateKey[] = [];
let alice: RawUser; // server-1
let bob: RawUser; // server-2
let carol: RawUser; // server-3

const connect = (server: number, key: RsaPrivateKey, name: string, userId?: string): Promise<RawUser> => mesh.connectUser(server, key, name, userId);
/** A user back on its server after a fault: same id, same key (retried while the server comes back). */
const reconnect = async (u: RawUser, server: number): Promise<RawUser> => {
  u.sock.terminate();
  return waitFor(`${u.name} back on server-${server}`, () => connect(server, u.key, u.name!, u.id), 90_000, 1_000);
};
const admin = async (service: string): Promise<string> => mesh.adminUrl(service);
const serverMetric = async (server: number, name: string, labels: Record<string, string> = {}): Promise<number> =>
  metricValue((await httpGet(`${await admin(`server-${server}`)}/metrics`)).text, name, labels);
const identity = async (service: string): Promise<string> => ((await httpGet(`${await admin(service)}/identity`)).body as { id: string }).id;
const linksUp = (server: number, n: number, ms = 90_000): Promise<unknown> =>
  waitFor(`server-${server} has ${n} links`, async () => (await serverMetric(server, 'socp_peer_links_up')) === n, ms, 500);
const report = (fault: string, figures: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ fault, ...figures })}\n`);

beforeAll(async () => {
  try {
    [keys] = await Promise.all([Promise.all(Array.from({ length: 4 }, () => generateKeyPair())), buildImages()]);
    await mesh.prepare();
    await mesh.up();
    alice = await connect(1, keys[0]!, 'alice');
    bob = await connect(2, keys[1]!, 'bob');
    carol = await connect(3, keys[2]!, 'carol');
    for (const s of [1, 2, 3]) await linksUp(s, 2);
    for (const u of [alice, bob, carol]) for (const o of [alice, bob, carol]) if (o !== u) await u.waitForUser(o.id, 60_000);
  } catch (e) {
    process.stderr.write(`compose mesh failed to start:\n${await mesh.logs()}\n`);
    throw e;
  }
}, SETUP_MS);

afterAll(async () => {
  if (process.env['SOCP_KEEP_LOGS']) require('node:fs').writeFileSync(process.env['SOCP_KEEP_LOGS'], await mesh.logs(400));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await mesh.down();
}, 120_000);

test('kill -9 of the receiver\'s server during a file transfer: the client reports it incomplete and keeps no partial file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'socp-faults-dl-'));
  dirs.push(dir);
  const receiver = new ClientReceiver(bob, dir);
  receiver.pump();
  // FILE_START and the first half of the chunks only: the transfer is in flight when the server dies.
  const bytes = randomBytes(40 * MAX_FILE_CHUNK_BYTES);
  const fileId = randomUUID();
  const frames = alice.fileFrames(bob.id, 'big.bin', bytes, fileId);
  const half = frames.slice(0, 1 + 20);
  for (const f of half) alice.send(f);
  await waitFor('bob received 20 chunks', () => {
    receiver.pump();
    return receiver.events.filter((e) => e.event === 'file-data').length >= 20;
  }, 60_000, 50);
  expect(readdirSync(dir).some((n) => n.endsWith('.part'))).toBe(true); // the partial file exists, as a temp file
  const t0 = Date.now();
  await mesh.compose('kill', '-s', 'SIGKILL', 'server-2');
  await bob.sock.waitClosed(30_000);
  const failed = receiver.disconnected();
  expect(failed.map((e) => e.event)).toEqual(['file-failed']);
  expect(readdirSync(dir)).toEqual([]); // no partial file, no final file
  expect(receiver.events.some((e) => e.event === 'file-received')).toBe(false);
  await mesh.compose('start', 'server-2');
  bob = await reconnect(bob, 2);
  await linksUp(1, 2);
  await alice.waitForUser(bob.id, 60_000);
  report('kill-9-during-file', { chunksSent: 20, chunksTotal: frames.length - 2, fileFailedEvents: failed.length, partialFilesKept: readdirSync(dir).length, recoverMs: Date.now() - t0 });
});

test('Redis of a server killed and restarted: /readyz reports it, the server stays up, bindings and identity survive', async () => {
  const a2 = await admin('server-2');
  const idBefore = await identity('server-2');
  const started = await mesh.startedAt('server-2');
  await mesh.compose('kill', '-s', 'SIGKILL', 'redis-2');
  const t0 = Date.now();
  const down = await waitFor('server-2 /readyz 503', async () => {
    const r = await httpGet(a2 + '/readyz');
    return r.status === 503 ? (r.body as { checks: Record<string, boolean> }) : undefined;
  }, 60_000, 250);
  expect(down.checks['redis']).toBe(false);
  const detectMs = Date.now() - t0;
  expect((await httpGet(a2 + '/livez')).status).toBe(200);
  await mesh.compose('start', 'redis-2');
  const t1 = Date.now();
  await waitFor('server-2 /readyz 200', async () => (await httpGet(a2 + '/readyz')).status === 200, 90_000, 250);
  const recoverMs = Date.now() - t1;
  expect(await mesh.startedAt('server-2')).toBe(started); // never crashed or restarted
  expect(await identity('server-2')).toBe(idBefore);
  // bob's binding (user_id → key) survived: with bob offline, another key for his id is refused,
  // so is a hello that does not prove his key; his own key is accepted
  bob.sock.terminate();
  await alice.waitForUserGone(bob.id, 30_000);
  const { user: thief, answer } = await RawUser.hello(await mesh.wsUrl(2), { key: keys[3]!, userId: bob.id });
  thief.sock.terminate();
  expect(answer.type).toBe('ERROR');
  expect((answer.payload as { code: string }).code).toBe('BAD_KEY');
  const { user: unproven, answer: a2nd } = await RawUser.hello(await mesh.wsUrl(2), { key: keys[1]!, userId: bob.id, unproven: true });
  unproven.sock.terminate();
  expect((a2nd.payload as { code: string }).code).toBe('INVALID_SIG');
  bob = await reconnect(bob, 2);
  await alice.waitForUser(bob.id, 60_000);
  const m = bob.mark();
  alice.sendDm(bob.id, 'after redis restart');
  expect((await bob.waitMessage(alice.id, 30_000, m)).text).toBe('after redis restart');
  report('redis-kill-restart', { readyz503AfterMs: detectMs, readyz200AfterMs: recoverMs, serverRestarted: false, bindingKept: true, unprovenRefused: true });
});

test('docker pause of a server past the dead window: the others declare it dead, drop its users, re-link after unpause', async () => {
  const deadBefore = await serverMetric(1, 'socp_peer_links_dead_total');
  const unpause = await dockerPause(mesh, 'server-3');
  const t0 = Date.now();
  try {
    await alice.waitForUserGone(carol.id, DEAD_WINDOW);
    await bob.waitForUserGone(carol.id, DEAD_WINDOW);
  } finally {
    await unpause();
  }
  const goneMs = Date.now() - t0;
  expect(await serverMetric(1, 'socp_peer_links_dead_total')).toBeGreaterThan(deadBefore);
  const t1 = Date.now();
  for (const s of [1, 2, 3]) await linksUp(s, 2);
  if (!carol.sock.isOpen) carol = await reconnect(carol, 3);
  await waitFor('carol back in alice\'s and bob\'s rosters', () => alice.refreshRoster().has(carol.id) && bob.refreshRoster().has(carol.id), 60_000, 200);
  const relinkMs = Date.now() - t1;
  const m = carol.mark();
  alice.sendDm(carol.id, 'after pause');
  expect((await carol.waitMessage(alice.id, 30_000, m)).text).toBe('after pause');
  report('docker-pause', { pausedMs: goneMs, usersDroppedAfterMs: goneMs, relinkAndPresenceMs: relinkMs, carolSocketSurvived: mesh.users.includes(carol) });
});

test('network partition of a server and heal: links and presence come back; every DM sent meanwhile is delivered or reported, none lost or doubled', async () => {
  const bobEntry = await alice.waitForUser(bob.id, 60_000);
  const heal = await partition(mesh, 'server-2');
  const t0 = Date.now();
  const sent: Array<{ text: string; ref: string }> = [];
  const am = alice.mark();
  const send = (): void => {
    alice.refreshRoster(); // fold a USER_REMOVE first, then put bob back: alice keeps sending to him
    alice.roster.set(bob.id, bobEntry);
    const text = `partition-${sent.length}`;
    sent.push({ text, ref: dedupeKey(alice.sendDm(bob.id, text)) });
  };
  try {
    // A burst into the cut link before server-1 can notice (the case hop acks exist for), then
    // 5 DMs a second for the rest of the dead window.
    for (let i = 0; i < 100; i++) send();
    const until = Date.now() + DEAD_WINDOW;
    while (Date.now() < until) {
      const at = Date.now();
      send();
      const pace = 200 - (Date.now() - at);
      if (pace > 0) await new Promise((r) => setTimeout(r, pace)); // a send rate (5 DMs/s), not a synchronisation
    }
    await linksUp(1, 1, DEAD_WINDOW); // server-1 has given up on server-2
    alice.roster.delete(bob.id);
  } finally {
    await heal();
  }
  const partitionMs = Date.now() - t0;
  const t1 = Date.now();
  for (const s of [1, 2, 3]) await linksUp(s, 2);
  bob = await reconnect(bob, 2);
  await waitFor('presence converges', () => alice.refreshRoster().has(bob.id) && carol.refreshRoster().has(bob.id) && bob.refreshRoster().has(alice.id), 60_000, 200);
  const recoverMs = Date.now() - t1;
  // a marker DM after the heal: everything sent before it has had its chance to arrive
  const bm = bob.mark();
  alice.sendDm(bob.id, 'after heal');
  await bob.waitMessage(alice.id, 30_000, bm);
  const texts: string[] = [];
  for (const u of mesh.users.filter((x) => x.id === bob.id)) {
    for (const f of u.sock.frames()) {
      if (f.type !== 'USER_DELIVER') continue;
      try {
        texts.push(u.key.decrypt(Buffer.from((f.payload as { ciphertext: string }).ciphertext, 'base64url')).toString('utf8'));
      } catch {
        // not for this key
      }
    }
  }
  // Every answer server-1 gave alice names the DM it is about (msg_ref = its dedupe key).
  const answers = new Map<string, string>(); // msg_ref → ERROR code, or "queued"
  for (const r of alice.sock.received.slice(am)) {
    const p = r.frame?.payload as { msg_ref?: unknown; code?: unknown; status?: unknown } | undefined;
    if (typeof p?.msg_ref !== 'string') continue;
    if (r.frame!.type === 'ERROR') answers.set(p.msg_ref, String(p.code));
    else if (r.frame!.type === 'ACK' && p.status === 'queued') answers.set(p.msg_ref, 'queued');
  }
  const delivered = sent.filter((m) => texts.includes(m.text));
  const duplicated = sent.filter((m) => texts.filter((x) => x === m.text).length > 1);
  const reported = sent.filter((m) => answers.has(m.ref) && answers.get(m.ref) !== 'queued');
  const queued = sent.filter((m) => answers.get(m.ref) === 'queued');
  const lost = sent.filter((m) => !texts.includes(m.text) && !answers.has(m.ref));
  const byCode: Record<string, number> = {};
  for (const m of reported) byCode[answers.get(m.ref)!] = (byCode[answers.get(m.ref)!] ?? 0) + 1;
  report('network-partition', {
    sent: sent.length, delivered: delivered.length, duplicated: duplicated.length, reported: reported.length, reportedByCode: byCode,
    reportedButDelivered: reported.filter((m) => texts.includes(m.text)).length, queuedAcks: queued.length, lost: lost.length, partitionMs, recoverMs,
  });
  expect(duplicated).toEqual([]);
  expect(lost).toEqual([]);
  expect(reported.length).toBeGreaterThan(0);
});

test('introducer restart: the running mesh is unaffected, and a new server joins through the other introducer meanwhile', async () => {
  const before = await Promise.all([1, 2, 3].map((s) => mesh.startedAt(`server-${s}`)));
  await mesh.compose('kill', '-s', 'SIGKILL', 'introducer-1');
  const t0 = Date.now();
  const m = carol.mark();
  alice.sendDm(carol.id, 'introducer down');
  expect((await carol.waitMessage(alice.id, 30_000, m)).text).toBe('introducer down');
  for (const s of [1, 2, 3]) expect(await serverMetric(s, 'socp_peer_links_up')).toBe(2);
  await mesh.scale(4);
  for (const s of [1, 2, 3, 4]) await linksUp(s, 3);
  const joinMs = Date.now() - t0;
  const dave = await connect(4, keys[3]!, 'dave');
  await alice.waitForUser(dave.id, 60_000);
  await mesh.compose('start', 'introducer-1');
  await waitFor('introducer-1 /readyz', async () => (await httpGet(`${await admin('introducer-1')}/readyz`)).status === 200, 90_000, 500);
  const backMs = Date.now() - t0;
  expect(await Promise.all([1, 2, 3].map((s) => mesh.startedAt(`server-${s}`)))).toEqual(before);
  const k = dave.mark();
  alice.sendDm(dave.id, 'hello dave');
  expect((await dave.waitMessage(alice.id, 30_000, k)).text).toBe('hello dave');
  report('introducer-restart', { meshUnaffected: true, newServerJoinedMs: joinMs, introducerBackMs: backMs });
});

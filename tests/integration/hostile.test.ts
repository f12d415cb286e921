/**
 * Hostile servers and clients against a 2-server mesh of real processes: each attack gets the
 * right ERROR code, changes no state (directory via LIST_RESPONSE and the users' rosters), and
 * is counted in /metrics. Then /readyz follows Redis going away and coming back.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, sealFrame, withBind, type Frame, type FrameOf, type RsaPrivateKey } from '@socp/protocol';
import { FrameSocket } from '../harness/frame-socket';
import { HostileServer } from '../harness/hostile-server';
import { startMesh, type Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { rawRsaKey } from '../harness/weak-keys';
import { FAST, metric, readyz } from './mesh-helpers';

jest.setTimeout(120_000);

let mesh: Mesh;
let keys: RsaPrivateKey[];
let alice: RawUser; // on server 0
let bob: RawUser; // on server 1
let mallory: HostileServer;
let link: FrameSocket; // mallory → server 0
const sockets: FrameSocket[] = [];

beforeAll(async () => {
  [mesh, keys] = await Promise.all([
    startMesh({ servers: 2, introducers: 1, timings: FAST }),
    Promise.all(Array.from({ length: 4 }, () => generateKeyPair())),
  ]);
  await mesh.waitReady();
  alice = await RawUser.connect(mesh.servers[0]!.wsUrl, { key: keys[0]!, name: 'alice' });
  bob = await RawUser.connect(mesh.servers[1]!.wsUrl, { key: keys[1]!, name: 'bob' });
  await alice.waitForUser(bob.id, 20_000);
  // mallory is an admitted server (it joined with the mesh's join secret) that turned hostile
  mallory = await HostileServer.create(keys[2]!);
  await mallory.admit(mesh.introducers[0]!.wsUrl, mesh.joinSecret);
  link = await mallory.link(mesh.servers[0]!.wsUrl, mesh.servers[0]!.id);
  sockets.push(link);
  // accepted: server 0 dials back to mallory's advertised port
  await waitFor('server 0 dials back to the hostile server', () => mallory.inbound.length > 0, 15_000);
});
afterAll(async () => {
  for (const s of [...sockets, alice?.sock, bob?.sock]) s?.terminate();
  await mallory?.close();
  await mesh?.stop();
});

const s0 = (): string => mesh.servers[0]!.adminUrl;

/** What server 0 and alice believe: directory (LIST_RESPONSE) and alice's roster. */
async function snapshot(): Promise<unknown> {
  const m = alice.mark();
  alice.send(sealFrame({ type: 'LIST_REQUEST', from: alice.id, to: alice.serverId, ts: Date.now(), payload: {} }, alice.key));
  const list = await alice.waitFrame<FrameOf<'LIST_RESPONSE'>>((f) => f.type === 'LIST_RESPONSE', 10_000, m);
  const roster = [...alice.refreshRoster().values()].map((e) => [e.userId, e.serverId, e.pubkey]).sort();
  return { users: list.payload.users.map((u) => [u.user_id, u.server_id]).sort(), roster };
}

/** Send a hostile frame on `sock`, expect ERROR `code` and rejected-metric `reason` +1, and no state change. */
async function expectRejected(sock: FrameSocket, send: () => void, code: string, reason: string): Promise<Frame> {
  const before = await snapshot();
  const rejected = await metric(s0(), 'socp_frames_rejected_total', { reason });
  const m = sock.received.length;
  send();
  const err = await sock.waitError(undefined, 10_000, m);
  expect((err.payload as { code: string }).code).toBe(code);
  await waitFor(`socp_frames_rejected_total{reason="${reason}"} +1`, async () => (await metric(s0(), 'socp_frames_rejected_total', { reason })) >= rejected + 1, 5_000);
  expect(await snapshot()).toEqual(before);
  return err;
}

const evilAdvert = (userId: string, serverId: string, pubkey: string): FrameOf<'USER_ADVERTISE'>['payload'] =>
  ({ user_id: userId, server_id: serverId, meta: { display_name: 'evil', pubkey }, pubkey });

describe('hostile server link', () => {
  test('bad transport signature → INVALID_SIG', async () => {
    const f = mallory.frame('USER_ADVERTISE', evilAdvert(randomUUID(), mallory.id, keys[3]!.publicKey.toBase64Url()), { signWith: keys[3]! });
    await expectRejected(link, () => link.send(f), 'INVALID_SIG', 'INVALID_SIG');
  });

  test('a frame claiming another (pinned) server as sender, signed by us → INVALID_SIG', async () => {
    const f = mallory.frame('USER_REMOVE', { user_id: bob.id, server_id: mesh.servers[1]!.id }, { from: mesh.servers[1]!.id });
    await expectRejected(link, () => link.send(f), 'INVALID_SIG', 'INVALID_SIG');
    expect(alice.refreshRoster().has(bob.id)).toBe(true);
  });

  test('spoofed USER_ADVERTISE for a user hosted on another server → INVALID_SIG', async () => {
    const f = mallory.frame('USER_ADVERTISE', evilAdvert(bob.id, mesh.servers[1]!.id, keys[3]!.publicKey.toBase64Url()));
    await expectRejected(link, () => link.send(f), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
  });

  test('spoofed USER_REMOVE for a user hosted on another server → INVALID_SIG', async () => {
    const f = mallory.frame('USER_REMOVE', { user_id: bob.id, server_id: mesh.servers[1]!.id });
    await expectRejected(link, () => link.send(f), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
    expect(alice.refreshRoster().get(bob.id)?.serverId).toBe(mesh.servers[1]!.id);
  });

  test('key swap for a bound user_id via gossip → BAD_KEY', async () => {
    const f = mallory.frame('USER_ADVERTISE', evilAdvert(bob.id, mallory.id, keys[3]!.publicKey.toBase64Url()));
    await expectRejected(link, () => link.send(f), 'BAD_KEY', 'BAD_KEY');
  });

  test('a replayed gossip frame changes nothing', async () => {
    const uid = randomUUID();
    const ad = mallory.frame('USER_ADVERTISE', evilAdvert(uid, mallory.id, keys[3]!.publicKey.toBase64Url()));
    link.send(ad);
    await alice.waitForUser(uid, 10_000);
    const rm = mallory.frame('USER_REMOVE', { user_id: uid, server_id: mallory.id });
    link.send(rm);
    await alice.waitForUserGone(uid, 10_000);
    const before = await snapshot();
    link.send(ad); // the old advertisement again: deduped, the user must not come back
    const m = alice.mark();
    const probe = mallory.frame('USER_ADVERTISE', evilAdvert(randomUUID(), mallory.id, keys[3]!.publicKey.toBase64Url()));
    link.send(probe); // processed after the replay on the same link
    await alice.waitForUser(probe.payload.user_id, 10_000);
    expect(alice.sock.received.slice(m).some((r) => r.frame?.type === 'USER_ADVERTISE' && (r.frame.payload as { user_id: string }).user_id === uid)).toBe(false);
    expect(alice.refreshRoster().has(uid)).toBe(false);
    link.send(mallory.frame('USER_REMOVE', { user_id: probe.payload.user_id, server_id: mallory.id }));
    await alice.waitForUserGone(probe.payload.user_id, 10_000);
    expect(await snapshot()).toEqual(before);
  });
});

describe('hostile client', () => {
  async function userSocket(): Promise<FrameSocket> {
    const s = await FrameSocket.connect(mesh.servers[0]!.wsUrl);
    sockets.push(s);
    return s;
  }
  const weakHello = async (modulus: number, e: number): Promise<string> => {
    const k = await rawRsaKey(modulus, e);
    const payload = { client: 'hostile', pubkey: k.pubkey, enc_pubkey: k.pubkey };
    return JSON.stringify({ type: 'USER_HELLO', from: randomUUID(), to: '*', ts: Date.now(), payload, sig: k.sign(payload) });
  };

  test('USER_HELLO with a 1024-bit key → BAD_KEY', async () => {
    const hello = await weakHello(1024, 65537);
    const s = await userSocket();
    await expectRejected(s, () => s.sendRaw(hello), 'BAD_KEY', 'BAD_KEY');
  });

  test('USER_HELLO with e = 3 → BAD_KEY', async () => {
    const hello = await weakHello(4096, 3);
    const s = await userSocket();
    await expectRejected(s, () => s.sendRaw(hello), 'BAD_KEY', 'BAD_KEY');
  });

  test('USER_HELLO for a user online at another server, another key → NAME_IN_USE', async () => {
    const s = await userSocket();
    const pub = keys[3]!.publicKey.toBase64Url();
    const f = sealFrame(withBind({ type: 'USER_HELLO', from: bob.id, to: '*', ts: Date.now(), payload: { client: 'hostile', pubkey: pub, enc_pubkey: pub } }), keys[3]!);
    await expectRejected(s, () => s.send(f), 'NAME_IN_USE', 'NAME_IN_USE');
  });

  test('unknown type → UNKNOWN_TYPE', async () => {
    await expectRejected(alice.sock, () => alice.sendRaw(JSON.stringify({ type: 'MSG_TELEPORT', from: alice.id, to: bob.id, ts: Date.now(), payload: {}, sig: '' })), 'UNKNOWN_TYPE', 'UNKNOWN_TYPE');
  });

  test('malformed JSON → UNKNOWN_TYPE', async () => {
    await expectRejected(alice.sock, () => alice.sendRaw('{"type":"MSG_DIRECT","from":'), 'UNKNOWN_TYPE', 'SOCP_ERR_MALFORMED_JSON');
  });

  test('a replayed MSG_DIRECT → INVALID_SIG, delivered once', async () => {
    const m = bob.mark();
    const dm = alice.dmFrame(bob.id, 'only once');
    alice.send(dm);
    await bob.waitMessage(alice.id, 10_000, m);
    await expectRejected(alice.sock, () => alice.send(dm), 'INVALID_SIG', 'SOCP_ERR_REPLAY');
    const n = bob.mark();
    alice.sendDm(bob.id, 'marker');
    expect((await bob.waitMessage(alice.id, 10_000, n)).text).toBe('marker');
    const copies = bob.sock.received.slice(m).filter((r) => r.frame?.type === 'USER_DELIVER' && (r.frame.payload as { content_sig: string }).content_sig === dm.payload.content_sig);
    expect(copies).toHaveLength(1);
  });

  test('an oversize frame closes that socket (1009); the server and its state are unaffected', async () => {
    const before = await snapshot();
    const counted = await metric(s0(), 'socp_frames_rejected_total', { reason: 'SOCP_ERR_FRAME_TOO_LARGE' });
    const s = await userSocket();
    s.sendRaw('x'.repeat(1024 * 1024 + 1));
    expect(await s.waitClosed(10_000)).toBe(1009);
    await waitFor('oversize frame counted', async () => (await metric(s0(), 'socp_frames_rejected_total', { reason: 'SOCP_ERR_FRAME_TOO_LARGE' })) >= counted + 1, 5_000);
    expect(await snapshot()).toEqual(before);
    expect((await readyz(s0())).status).toBe(200);
  });
});

test('/readyz is 503 while the server\'s Redis is stopped and 200 again when it is back', async () => {
  const admin = mesh.servers[1]!.adminUrl;
  expect((await readyz(admin)).status).toBe(200);
  await mesh.stopRedis(1);
  const down = await waitFor('readyz 503', async () => {
    const r = await readyz(admin);
    return r.status === 503 ? r : undefined;
  }, 20_000);
  expect(down.checks['redis']).toBe(false);
  expect(await metric(admin, 'socp_redis_up')).toBe(0);
  await mesh.startRedis(1);
  await waitFor('readyz 200 again', async () => (await readyz(admin)).status === 200, 30_000);
  expect(await metric(admin, 'socp_redis_up')).toBe(1);
});

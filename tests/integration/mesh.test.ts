/**
 * A 3-server mesh of real processes (one Redis each) with two introducers: joining and full
 * linking, presence, E2E DMs / public messages / files across servers, leaving, dead-link
 * detection, restart with the same id, and introducer fail-over.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { FAST, metric, readyz, useMesh } from './mesh-helpers';

jest.setTimeout(120_000);

const fx = useMesh({ servers: 3, introducers: 2 }, 4);
const { connect } = fx;
let alice: RawUser;
let bob: RawUser;
let carol: RawUser;
const ids = (): string[] => fx.mesh.servers.map((s) => s.id);

test('servers join through the introducer and link to every other server', async () => {
  expect(new Set(ids()).size).toBe(3);
  for (const s of fx.mesh.servers) {
    expect(await readyz(s.adminUrl)).toMatchObject({ status: 200, checks: { redis: true, keys: true, mesh: true } });
    await waitFor(`server ${s.index} links up to both peers`, async () => (await metric(s.adminUrl, 'socp_peer_links_up')) >= 2, 20_000);
  }
  for (const i of fx.mesh.introducers) {
    await waitFor(`introducer ${i.index} knows all 3 servers`, async () => (await metric(i.adminUrl, 'socp_introducer_servers_registered')) === 3, 20_000);
  }
});

test('users on different servers see each other\'s presence', async () => {
  alice = await connect(0, fx.keys[0]!, 'alice');
  bob = await connect(1, fx.keys[1]!, 'bob');
  carol = await connect(2, fx.keys[2]!, 'carol');
  expect([alice.serverId, bob.serverId, carol.serverId]).toEqual(ids());
  for (const [u, others] of [[alice, [bob, carol]], [bob, [alice, carol]], [carol, [alice, bob]]] as const) {
    for (const o of others) {
      const seen = await u.waitForUser(o.id, 15_000);
      expect(seen).toMatchObject({ serverId: o.serverId, pubkey: o.pubkey, name: o.name });
    }
  }
});

test('DMs cross servers end to end (OAEP under the recipient key, content sig verified)', async () => {
  const m = bob.mark();
  alice.sendDm(bob.id, 'hello bob, from server 0');
  expect((await bob.waitMessage(alice.id, 10_000, m)).text).toBe('hello bob, from server 0');
  const n = alice.mark();
  bob.sendDm(alice.id, 'hi alice — é ✓');
  expect((await alice.waitMessage(bob.id, 10_000, n)).text).toBe('hi alice — é ✓');
  const k = carol.mark();
  alice.sendPublic(carol.id, 'public hello');
  const pub = await carol.waitMessage(alice.id, 10_000, k, 'public');
  expect(pub.text).toBe('public hello');
});

test('a file crosses servers in ≤446-byte OAEP chunks and arrives intact', async () => {
  const bytes = randomBytes(2_000);
  const fileId = alice.sendFile(carol.id, 'report.bin', bytes);
  const got = await carol.waitFile(fileId, alice.id, 20_000);
  expect(got.name).toBe('report.bin');
  expect(got.bytes.equals(bytes)).toBe(true);
});

test('a DM to an unknown user gets USER_NOT_FOUND', async () => {
  const nobody = randomUUID();
  alice.roster.set(nobody, { userId: nobody, serverId: ids()[1]!, pubkey: bob.pubkey, name: undefined });
  const m = alice.mark();
  alice.sendDm(nobody, 'anyone?');
  await alice.waitError('USER_NOT_FOUND', 10_000, m);
  alice.roster.delete(nobody);
});

test('a user leaving is removed everywhere', async () => {
  bob.close();
  await alice.waitForUserGone(bob.id, 10_000);
  await carol.waitForUserGone(bob.id, 10_000);
});

test('a silent (frozen) server is declared dead within the dead window; on resume it re-links and re-advertises its users', async () => {
  const deadBefore = await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_dead_total');
  const t0 = Date.now();
  fx.mesh.pause(2);
  try {
    await alice.waitForUserGone(carol.id, FAST.deadAfterMs + 3 * FAST.heartbeatMs + 2_000);
    const detectedMs = Date.now() - t0;
    expect(detectedMs).toBeLessThanOrEqual(FAST.deadAfterMs + 3 * FAST.heartbeatMs + 2_000);
    expect(await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_dead_total')).toBeGreaterThan(deadBefore);
  } finally {
    fx.mesh.resume(2);
  }
  await alice.waitForUser(carol.id, 20_000);
  await waitFor('server 0 re-linked to both peers', async () => (await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_up')) >= 2, 20_000);
  const m = carol.mark();
  alice.sendDm(carol.id, 'welcome back');
  expect((await carol.waitMessage(alice.id, 10_000, m)).text).toBe('welcome back');
});

test('a killed server is re-linked after restart, keeps its id, and its users are advertised again', async () => {
  const id2 = fx.mesh.servers[2]!.id;
  const intro = fx.mesh.introducers[1]!.adminUrl;
  await fx.mesh.kill(2);
  await alice.waitForUserGone(carol.id, FAST.deadAfterMs + 5_000);
  await waitFor('introducer sees the killed server disconnected', async () => (await metric(intro, 'socp_introducer_servers_connected')) === 2, 10_000);
  expect(await metric(intro, 'socp_introducer_servers_registered')).toBe(3);
  await fx.mesh.restart(2);
  expect(await fx.mesh.waitServerReady(2)).toBe(id2);
  await waitFor('introducer sees it back under the same id', async () => (await metric(intro, 'socp_introducer_servers_connected')) === 3, 20_000);
  expect(await metric(intro, 'socp_introducer_servers_registered')).toBe(3);
  await waitFor('server 0 re-linked to server 2', async () => (await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_up')) >= 2, 20_000);
  carol = await connect(2, fx.keys[2]!, 'carol', carol.id);
  expect(carol.serverId).toBe(id2);
  await alice.waitForUser(carol.id, 15_000);
  await carol.waitForUser(alice.id, 15_000);
  const m = alice.mark();
  carol.sendDm(alice.id, 'back after a crash');
  expect((await alice.waitMessage(carol.id, 10_000, m)).text).toBe('back after a crash');
});

test('with the first introducer down, a new server joins through the second and links to everyone', async () => {
  await fx.mesh.killIntroducer(0);
  const i = await fx.mesh.addServer();
  const id3 = await fx.mesh.waitServerReady(i);
  expect(ids().slice(0, 3)).not.toContain(id3);
  await waitFor('new server links to all three', async () => (await metric(fx.mesh.servers[i]!.adminUrl, 'socp_peer_links_up')) >= 3, 20_000);
  await waitFor('server 0 links to the new server', async () => (await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_up')) >= 3, 20_000);
  const dave = await connect(i, fx.keys[3]!, 'dave');
  await dave.waitForUser(alice.id, 15_000);
  await alice.waitForUser(dave.id, 15_000);
  const m = dave.mark();
  alice.sendDm(dave.id, 'hi dave');
  expect((await dave.waitMessage(alice.id, 10_000, m)).text).toBe('hi dave');
});

test('SIGTERM: a server with users and links, and an introducer, exit 0 by draining their event loop (no forced exit)', async () => {
  const server = fx.mesh.servers[1]!.proc!;
  const intro = fx.mesh.introducers[1]!.proc!;
  const t0 = Date.now();
  await fx.mesh.stopServer(1);
  const serverMs = Date.now() - t0;
  intro.signal('SIGTERM');
  await waitFor('introducer 1 exits', () => (intro.running ? undefined : true), 10_000);
  for (const p of [server, intro]) {
    expect({ name: p.name, code: p.exitCode, forced: /exit forced/.test(p.tail(200)) }).toEqual({ name: p.name, code: 0, forced: false });
  }
  expect(serverMs).toBeLessThan(3_000); // under EXIT_GRACE_MS: the loop drained, the fallback did not fire
});

/**
 * The compose mesh of our real images (docker-compose.yml: 2 introducers, 3 servers each with
 * its own Redis, Prometheus), driven from the host on mapped ports by raw SOCP users:
 * DMs across servers, a public message and a file; a server container killed → its users
 * leave the others' rosters within the heartbeat window; restarted → same server id, rejoins;
 * scaled to 4 servers with scripts/scale.sh; Prometheus (healthy) reports every target up, by
 * name, with socp_* series, its alert rules loaded and the console page rendering; shrunk back
 * to 3, the stopped server's user is removed, the introducers prune it, Prometheus drops it.
 * Everything is removed in afterAll, also when a step fails.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { RawUser } from '../harness/raw-user';
import { httpGet, metricValue, waitFor } from '../harness/wait';
import { ComposeMesh, TIMINGS, buildImages } from './compose-mesh';

jest.setTimeout(120_000);
const SETUP_MS = 20 * 60_000; // includes a cold image build on a loaded machine

const mesh = new ComposeMesh();
let keys: RsaPrivateKey[] = [];
let alice: RawUser; // server-1
let bob: RawUser; // server-2
let carol: RawUser; // server-3

const connect = (server: number, key: RsaPrivateKey, name: string, userId?: string): Promise<RawUser> => mesh.connectUser(server, key, name, userId);
const identity = async (service: string): Promise<string> => {
  const r = await httpGet(`${await mesh.adminUrl(service)}/identity`);
  return (r.body as { id: string }).id;
};
const serverMetric = async (server: number, name: string): Promise<number> =>
  metricValue((await httpGet(`${await mesh.adminUrl(`server-${server}`)}/metrics`)).text, name);

beforeAll(async () => {
  try {
    [keys] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => generateKeyPair())),
      buildImages(),
    ]);
    await mesh.prepare();
    await mesh.up();
    alice = await connect(1, keys[0]!, 'alice');
    bob = await connect(2, keys[1]!, 'bob');
    carol = await connect(3, keys[2]!, 'carol');
  } catch (e) {
    process.stderr.write(`compose mesh failed to start:\n${await mesh.logs()}\n`);
    throw e;
  }
}, SETUP_MS);

afterAll(async () => {
  await mesh.down();
}, 120_000);

test('every server links to the other two and every user sees every other', async () => {
  for (const s of [1, 2, 3]) await waitFor(`server-${s} links`, async () => (await serverMetric(s, 'socp_peer_links_up')) === 2, 60_000, 500);
  for (const u of [alice, bob, carol]) {
    for (const o of [alice, bob, carol]) if (o !== u) await u.waitForUser(o.id, 30_000);
  }
});

test('DMs cross servers end to end, both ways', async () => {
  const kb = bob.mark();
  alice.sendDm(bob.id, 'hi bob, from server-1');
  expect((await bob.waitMessage(alice.id, 20_000, kb)).text).toBe('hi bob, from server-1');
  const ka = alice.mark();
  bob.sendDm(alice.id, 'hi alice, from server-2');
  expect((await alice.waitMessage(bob.id, 20_000, ka)).text).toBe('hi alice, from server-2');
});

test('a public message reaches users on the other servers', async () => {
  const [kb, kc] = [bob.mark(), carol.mark()];
  alice.sendPublic(bob.id, 'hello everyone');
  alice.sendPublic(carol.id, 'hello everyone');
  expect((await bob.waitMessage(alice.id, 20_000, kb, 'public')).text).toBe('hello everyone');
  expect((await carol.waitMessage(alice.id, 20_000, kc, 'public')).text).toBe('hello everyone');
});

test('a file crosses servers intact', async () => {
  const bytes = randomBytes(3000);
  const fileId = alice.sendFile(carol.id, 'notes.bin', bytes);
  const got = await carol.waitFile(fileId, alice.id, 30_000);
  expect(got.name).toBe('notes.bin');
  expect(got.bytes.equals(bytes)).toBe(true);
});

let server3Id = '';
test('a killed server container: its users disappear from the others within the heartbeat window', async () => {
  server3Id = await identity('server-3');
  await mesh.compose('kill', 'server-3');
  const window = TIMINGS.deadAfterMs + 3 * TIMINGS.heartbeatMs + 5_000;
  await alice.waitForUserGone(carol.id, window);
  await bob.waitForUserGone(carol.id, window);
});

test('restarted, it rejoins with the same server id and its users come back', async () => {
  await mesh.compose('start', 'server-3');
  await waitFor('server-3 /readyz', async () => (await httpGet(`${await mesh.adminUrl('server-3')}/readyz`)).status === 200, 90_000, 500);
  expect(await identity('server-3')).toBe(server3Id);
  await waitFor('server-1 relinked', async () => (await serverMetric(1, 'socp_peer_links_up')) === 2, 60_000, 500);
  carol.close();
  carol = await connect(3, keys[2]!, 'carol', carol.id);
  await alice.waitForUser(carol.id, 30_000);
  const kc = carol.mark();
  alice.sendDm(carol.id, 'welcome back');
  expect((await carol.waitMessage(alice.id, 20_000, kc)).text).toBe('welcome back');
});

let dave: RawUser; // server-4
test('scaled to 4 servers without restarting the others: the new one joins and links to all', async () => {
  const before = await Promise.all([1, 2, 3].map((s) => mesh.startedAt(`server-${s}`)));
  await mesh.scale(4);
  expect(await Promise.all([1, 2, 3].map((s) => mesh.startedAt(`server-${s}`)))).toEqual(before);
  for (const s of [1, 2, 3, 4]) await waitFor(`server-${s} has 3 links`, async () => (await serverMetric(s, 'socp_peer_links_up')) === 3, 60_000, 500);
  dave = await connect(4, keys[3]!, 'dave');
  await alice.waitForUser(dave.id, 30_000);
  await bob.waitForUser(dave.id, 30_000);
  await dave.waitForUser(bob.id, 30_000);
  const kd = dave.mark();
  bob.sendDm(dave.id, 'hi dave on server-4');
  expect((await dave.waitMessage(bob.id, 20_000, kd)).text).toBe('hi dave on server-4');
});

test('Prometheus (healthy) scrapes every server and introducer by name, all up, socp_* series present, alert rules and console loaded', async () => {
  const prom = `http://127.0.0.1:${await mesh.port('prometheus', 9090)}`;
  expect(await mesh.compose('ps', '--format', '{{.Health}}', 'prometheus')).toBe('healthy');
  type Target = { labels: { job: string; instance: string; server?: string; introducer?: string }; health: string };
  const targets = await waitFor('every target up', async () => {
    const r = await httpGet(`${prom}/api/v1/targets?state=active`);
    const active = (r.body as { data: { activeTargets: Target[] } }).data.activeTargets;
    const count = (job: string): number => active.filter((t) => t.labels.job === job && t.health === 'up').length;
    return count('socp-server') === 4 && count('socp-introducer') === 2 && active.every((t) => t.health === 'up') ? active : undefined;
  }, 90_000, 1_000);
  expect(targets.length).toBe(7);
  // Named, not container IPs: scale.sh's server-4 was added to the targets file init rewrote.
  const names = targets.filter((t) => t.labels.job !== 'prometheus').map((t) => `${t.labels.server ?? t.labels.introducer} ${t.labels.instance}`).sort();
  expect(names).toEqual(['introducer-1 introducer-1:9180', 'introducer-2 introducer-2:9180',
    ...[1, 2, 3, 4].map((n) => `server-${n} server-${n}:9180`)]);
  const rules = (await httpGet(`${prom}/api/v1/rules`)).body as { data: { groups: { rules: { name: string; health: string }[] }[] } };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  expect(loaded.map((r) => r.name)).toEqual(expect.arrayContaining(['SocpServerDown', 'SocpPeerLinkMissing', 'SocpRedisDown', 'SocpSigningBacklog', 'SocpSlowConsumerCloses']));
  expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  const console = await httpGet(`${prom}/consoles/socp.html`, 10_000);
  expect(console.status).toBe(200);
  for (const n of [1, 2, 3, 4]) expect(console.text).toContain(`<td>server-${n}</td>`);
  expect(console.text).not.toMatch(/error executing template|template: /);
  const q = encodeURIComponent('count by (job) ({__name__=~"socp_.+"})');
  const series = await waitFor('socp_* series', async () => {
    const r = await httpGet(`${prom}/api/v1/query?query=${q}`);
    const res = (r.body as { data: { result: { metric: { job: string }; value: [number, string] }[] } }).data.result;
    return res.length === 2 ? res : undefined;
  }, 60_000, 1_000);
  for (const s of series) expect(Number(s.value[1])).toBeGreaterThan(0);
});

test('shrunk back to 3: the stopped server\'s user is removed everywhere and the introducers prune it', async () => {
  await mesh.scale(3);
  await alice.waitForUserGone(dave.id, 30_000);
  await bob.waitForUserGone(dave.id, 30_000);
  for (const intro of ['introducer-1', 'introducer-2']) {
    await waitFor(`${intro} registry back to 3`, async () => metricValue((await httpGet(`${await mesh.adminUrl(intro)}/metrics`)).text, 'socp_introducer_servers_registered') === 3, 30_000, 500);
  }
  await waitFor('server-1 back to 2 links', async () => (await serverMetric(1, 'socp_peer_links_up')) === 2, 30_000, 500);
  expect(await mesh.compose('ps', '-q', 'server-4')).toBe('');
  // Prometheus stops scraping it (the targets file is rewritten), rather than reporting it down.
  const prom = `http://127.0.0.1:${await mesh.port('prometheus', 9090)}`;
  await waitFor('server-4 no longer a Prometheus target', async () => {
    const r = await httpGet(`${prom}/api/v1/targets?state=active`);
    const servers = (r.body as { data: { activeTargets: { labels: { job: string; server?: string } }[] } }).data.activeTargets.filter((t) => t.labels.job === 'socp-server');
    return servers.map((t) => t.labels.server).sort().join() === 'server-1,server-2,server-3';
  }, 90_000, 1_000);
});

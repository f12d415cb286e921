/**
 * Admission on the compose mesh (issue 12): a container on the mesh network that was NOT given
 * the mesh join secret (a) runs our server image with a Redis of its own and tries to join
 * through the introducers, and (b) opens a link straight to a real server with a self-signed
 * SERVER_HELLO_LINK (probes/hello-link.cjs). Both must be refused, counted in a metric, and
 * change nothing: the introducers still register 3 servers, every server keeps its 2 links,
 * and no server dials back to the intruder. Meanwhile scripts/scale.sh still adds a server
 * that joins and links, because init hands it the secret (SOCP_JOIN_SECRET_FILE).
 * The refusals need the admission code of issue 12: without it they fail, by design.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomSecret } from '../harness/secrets';
import { httpGet, metricValue, waitFor } from '../harness/wait';
import { ComposeMesh, IMAGE_TAG, ROOT, TIMINGS, buildImages } from './compose-mesh';

const run = promisify(execFile);
jest.setTimeout(180_000);
const SETUP_MS = 20 * 60_000; // includes a cold image build on a loaded machine
/** How long an intruder gets to be admitted or refused: several join retries at its backoff. */
const DECIDE_MS = 90_000;
const PROBE_MS = 20_000;

const mesh = new ComposeMesh();
const rogue = { redis: `${mesh.project}-rogue-redis`, server: `${mesh.project}-rogue-server`, probe: `${mesh.project}-rogue-probe` };

const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { timeout: 120_000, maxBuffer: 16 << 20 })).stdout.trim();
const metrics = async (service: string): Promise<string> => (await httpGet(`${await mesh.adminUrl(service)}/metrics`)).text;
const introducerSum = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
  metricValue(await metrics('introducer-1'), name, labels) + metricValue(await metrics('introducer-2'), name, labels);
const links = async (n: number): Promise<number> => metricValue(await metrics(`server-${n}`), 'socp_peer_links_up');
const linksUp = (servers: number[], n: number): Promise<unknown> =>
  Promise.all(servers.map((s) => waitFor(`server-${s} has ${n} links`, async () => (await links(s)) === n, 90_000, 500)));

beforeAll(async () => {
  try {
    await buildImages();
    await mesh.prepare();
    await mesh.up();
    await linksUp([1, 2, 3], 2);
  } catch (e) {
    process.stderr.write(`compose mesh failed to start:\n${await mesh.logs()}\n`);
    throw e;
  }
}, SETUP_MS);

afterAll(async () => {
  await docker('rm', '-f', '-v', rogue.server, rogue.redis, rogue.probe).catch(() => '');
  await mesh.down();
}, 120_000);

test('a server container without the join secret is refused by the introducers and never linked', async () => {
  const refusedBefore = await introducerSum('socp_introducer_joins_total', { result: 'not_admitted' });
  const bootstrap = await mesh.compose('exec', '-T', 'server-1', 'cat', '/run/secrets/bootstrap.json'); // public keys only
  const net = `${mesh.project}_mesh`;
  await docker('run', '-d', '--name', rogue.redis, '--network', net, 'redis:7-bookworm');
  await docker('run', '-d', '--name', rogue.server, '--network', net,
    '-e', `SOCP_REDIS_URL=redis://${rogue.redis}:6379`, '-e', `SOCP_BOOTSTRAP=${bootstrap}`, '-e', `SOCP_KEY_PASSPHRASE=${randomSecret()}`,
    '-e', `SOCP_ADVERTISE_HOST=${rogue.server}`, '-e', `SOCP_HEARTBEAT_MS=${TIMINGS.heartbeatMs}`, '-e', `SOCP_DEAD_AFTER_MS=${TIMINGS.deadAfterMs}`,
    `socp/server:${IMAGE_TAG}`);
  try {
    // Either outcome decides: the introducers refuse it, or they register a fourth server.
    await waitFor('the intruder refused or admitted', async () =>
      (await introducerSum('socp_introducer_joins_total', { result: 'not_admitted' })) > refusedBefore
      || metricValue(await metrics('introducer-1'), 'socp_introducer_servers_registered') > 3, DECIDE_MS, 1_000).catch(() => undefined);
    const readyz = await docker('exec', rogue.server, 'node', '-e',
      "require('http').get('http://127.0.0.1:9180/readyz',r=>console.log(r.statusCode)).on('error',e=>console.log(e.code))");
    const seen = {
      refusedByIntroducers: (await introducerSum('socp_introducer_joins_total', { result: 'not_admitted' })) - refusedBefore,
      registered: [metricValue(await metrics('introducer-1'), 'socp_introducer_servers_registered'), metricValue(await metrics('introducer-2'), 'socp_introducer_servers_registered')],
      links: [await links(1), await links(2), await links(3)],
      intruderReadyz: readyz,
    };
    process.stdout.write(`${JSON.stringify({ intruder: 'server image without SOCP_JOIN_SECRET_FILE', ...seen })}\n`);
    expect(seen).toEqual({ refusedByIntroducers: expect.any(Number), registered: [3, 3], links: [2, 2, 2], intruderReadyz: expect.not.stringMatching(/^200$/) });
    expect(seen.refusedByIntroducers).toBeGreaterThan(0);
  } finally {
    await docker('rm', '-f', '-v', rogue.server, rogue.redis); // whatever the outcome: later steps must not meet it
  }
}, DECIDE_MS + 120_000);

test('a direct SERVER_HELLO_LINK from a container without the join secret is refused and no server dials back', async () => {
  const refusedBefore = metricValue(await metrics('server-1'), 'socp_frames_rejected_total', { type: 'SERVER_HELLO_LINK' });
  const out = await docker('run', '--rm', '--name', rogue.probe, '--network', `${mesh.project}_mesh`,
    '-v', `${join(ROOT, 'tests/containers/probes/hello-link.cjs')}:/app/hello-link.cjs:ro`,
    `socp/server:${IMAGE_TAG}`, 'node', '/app/hello-link.cjs', 'server-1', String(PROBE_MS), rogue.probe);
  const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; type?: string; code?: string });
  const refused = metricValue(await metrics('server-1'), 'socp_frames_rejected_total', { type: 'SERVER_HELLO_LINK' }) - refusedBefore;
  process.stdout.write(`${JSON.stringify({ intruder: 'direct SERVER_HELLO_LINK', events, refusedByServer1: refused })}\n`);
  expect(events.some((e) => e.event === 'sent')).toBe(true);
  expect(events.filter((e) => e.event === 'dial-back')).toEqual([]);
  expect(refused).toBeGreaterThan(0);
  expect([await links(1), await links(2), await links(3)]).toEqual([2, 2, 2]);
}, PROBE_MS + 120_000);

test('scripts/scale.sh still adds a server that joins and links to all (it is given the join secret)', async () => {
  await mesh.scale(4);
  await linksUp([1, 2, 3, 4], 3).catch(async (e: Error) => {
    throw new Error(`${e.message}; links ${JSON.stringify(await Promise.all([1, 2, 3, 4].map(links)))}\n${await mesh.logs(15)}`);
  });
  expect(metricValue(await metrics('introducer-1'), 'socp_introducer_servers_registered')).toBe(4);
  expect(await mesh.compose('exec', '-T', 'server-4', 'cat', '/run/secrets/mesh-join'))
    .toBe(await mesh.compose('exec', '-T', 'introducer-1', 'cat', '/run/secrets/mesh-join'));
}, 300_000);

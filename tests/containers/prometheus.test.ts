/**
 * The Prometheus files of deploy/prometheus, checked by the promtool of the very image the
 * compose mesh and the Swarm stack run (prom/prometheus:v2.42.0): the alert rules parse, their
 * unit tests (alerts.test.yml: each alert fires on the series that should trigger it and stays
 * silent on a healthy mesh) pass, and prometheus.yml with its rule file and the targets files
 * deploy/compose/init.sh writes is a valid configuration; every query of the Grafana dashboard
 * (deploy/grafana/socp-mesh.json, for users who run Grafana: it cannot be pulled here) is valid
 * PromQL. The live side (named targets, rules loaded, the console page rendering every server)
 * is checked on the running compose mesh in mesh.test.ts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, dockerSh } from './compose-mesh';

const run = promisify(execFile);
const SETUP_MS = 10 * 60_000; // base images from nothing (debootstrap) on a loaded host
const PROMTOOL_MS = 120_000;
const IMAGE = 'prom/prometheus:v2.42.0';
const dir = mkdtempSync(join(tmpdir(), 'socp-promtool-'));

beforeAll(async () => {
  await dockerSh('ensure_docker_stack', {}, SETUP_MS);
  // The targets files as the deployment writes them: init.sh itself, on a throw-away folder.
  await dockerSh(`build_project_images introducer && docker run --rm --network none --user 0:0 -e SOCP_INIT_SERVERS=4 \
    -v "$ROOT/deploy/compose/init.sh:/socp/init.sh:ro" -v "${dir}:/v" socp/introducer:$SOCP_IMAGE_TAG \
    sh -c 'mkdir -p /v/introducer-1 /v/introducer-2 /v/server-1 /v/server-2 /v/server-3 /v/server-4 /v/prometheus-sd && sh /socp/init.sh'`, {}, SETUP_MS);
}, SETUP_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** promtool in the prometheus image, with deploy/prometheus mounted where the deployments mount it. */
async function promtool(...args: string[]): Promise<string> {
  const p = join(ROOT, 'deploy/prometheus');
  const { stdout, stderr } = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'promtool', '-v', `${dir}:/tmp/work:ro`,
    '-v', `${p}/prometheus.yml:/etc/prometheus/prometheus.yml:ro`, '-v', `${p}/alerts.yml:/etc/prometheus/alerts.yml:ro`,
    '-v', `${p}/alerts.test.yml:/etc/prometheus/alerts.test.yml:ro`, '-v', `${dir}/prometheus-sd:/etc/prometheus/targets:ro`,
    '-w', '/etc/prometheus', IMAGE, ...args], { timeout: PROMTOOL_MS });
  return `${stdout}${stderr}`;
}

test('promtool check rules: every alert rule parses', async () => {
  const out = await promtool('check', 'rules', 'alerts.yml');
  expect(out).toMatch(/SUCCESS: 10 rules found/);
}, PROMTOOL_MS);

test('promtool test rules: each alert fires on its trigger and not on a healthy mesh', async () => {
  expect(await promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
}, PROMTOOL_MS);

test('promtool check config: prometheus.yml, its rule file and the targets init writes are valid', async () => {
  expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: 1 rule files found/);
  const servers = JSON.parse(readFileSync(join(dir, 'prometheus-sd/servers.json'), 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
  expect(servers).toEqual([1, 2, 3, 4].map((n) => ({ targets: [`server-${n}:9180`], labels: { server: `server-${n}` } })));
  const introducers = JSON.parse(readFileSync(join(dir, 'prometheus-sd/introducers.json'), 'utf8')) as unknown;
  expect(introducers).toEqual([1, 2].map((n) => ({ targets: [`introducer-${n}:9180`], labels: { introducer: `introducer-${n}` } })));
}, PROMTOOL_MS);

test('the Grafana dashboard: every panel query is valid PromQL, against the mesh\'s Prometheus datasource', async () => {
  type Panel = { title: string; datasource: { uid: string }; targets: { expr: string }[] };
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/socp-mesh.json'), 'utf8')) as { uid: string; panels: Panel[] };
  expect(dash.uid).toBe('socp-mesh');
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  expect(exprs.length).toBeGreaterThanOrEqual(dash.panels.length);
  for (const p of dash.panels) expect(p.datasource.uid).toBe('${DS_PROMETHEUS}');
  // Each query as a recording rule: promtool parses every expression.
  const rules = { groups: [{ name: 'grafana-panels', rules: exprs.map((expr, i) => ({ record: `socp:grafana_panel_query:${i}`, expr })) }] };
  chmodSync(dir, 0o755); // promtool runs as nobody
  writeFileSync(join(dir, 'grafana-queries.yml'), JSON.stringify(rules), { mode: 0o644 }); // JSON is YAML
  expect(await promtool('check', 'rules', '/tmp/work/grafana-queries.yml')).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
}, PROMTOOL_MS);

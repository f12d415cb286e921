/**
 * The Swarm stack (deploy/swarm/stack.yml) through its own script: deploy.sh makes the secrets
 * with deploy/compose/init.sh, initialises a single-node swarm if needed, deploys our images and
 * waits until every server is ready and linked to the other two (checked inside the task
 * containers). With the stack up: only the server WebSockets are published; each Redis is on
 * its own server's internal network only and refuses commands without its password; Prometheus
 * is healthy. Then `deploy.sh --rm` removes the stack, its volumes, the swarm it created and the
 * docker_gwbridge network that swarm made.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../harness/wait';
import { ROOT } from './compose-mesh';

const run = promisify(execFile);
jest.setTimeout(120_000);
const DEPLOY_MS = 12 * 60_000; // image build check + swarm init + three servers joining, loaded host
const CMD_MS = 60_000;
const REMOVE_MS = 200_000;
const localDir = mkdtempSync(join(tmpdir(), 'socp-swarm-'));
const STACK = `socp-ct-swarm-${process.pid}`;
const env = { ...process.env, SOCP_SWARM_LOCAL_DIR: localDir, SOCP_STACK: STACK };

const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { timeout: CMD_MS })).stdout.trim();
const task = (service: string): Promise<string> => docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_${service}`);
const swarmState = (): Promise<string> => docker('info', '-f', '{{.Swarm.LocalNodeState}}');
const hasGwbridge = async (): Promise<boolean> => (await docker('network', 'ls', '-q', '--filter', 'name=^docker_gwbridge$')) !== '';

let before: { swarm: string; gwbridge: boolean };

beforeAll(async () => {
  before = { swarm: await swarmState(), gwbridge: await hasGwbridge() };
}, CMD_MS);

afterAll(async () => {
  // Covers a failed step or a deploy.sh killed by the timeout.
  try {
    await run('bash', ['deploy/swarm/deploy.sh', '--rm'], { cwd: ROOT, env, timeout: REMOVE_MS });
  } finally {
    rmSync(localDir, { recursive: true, force: true });
  }
}, REMOVE_MS + 10_000);

test('the swarm stack deploys and every server becomes ready and links to the other two', async () => {
  const { stderr } = await run('bash', ['deploy/swarm/deploy.sh', '--keep'], { cwd: ROOT, env, timeout: DEPLOY_MS, maxBuffer: 16 << 20 });
  const formed = /swarm mesh formed in \d+ s: ((?:[0-9a-f-]{36} ?){3})/.exec(stderr);
  expect(formed).not.toBeNull();
  expect(new Set(formed![1]!.trim().split(' ')).size).toBe(3);
}, DEPLOY_MS + 60_000);

test('only the server WebSockets are published: no admin port, no Prometheus', async () => {
  const services = (await docker('stack', 'services', '--format', '{{.Name}}', STACK)).split('\n').sort();
  const published: string[] = [];
  for (const s of services) {
    const ports = await docker('service', 'inspect', '-f', '{{range .Endpoint.Ports}}{{.PublishedPort}}->{{.TargetPort}} {{end}}', s);
    for (const p of ports.split(' ').filter(Boolean)) published.push(`${s.slice(STACK.length + 1)} ${p}`);
  }
  expect(published.sort()).toEqual(['server-1 19101->9101', 'server-2 19102->9101', 'server-3 19103->9101']);
});

test('each Redis is on its own server\'s internal network only and refuses commands without its password', async () => {
  for (const n of [1, 2, 3]) {
    const redis = await task(`redis-${n}`);
    expect(await docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', redis)).toBe(`${STACK}_redis-${n}`);
    expect(await docker('network', 'inspect', '-f', '{{.Internal}}', `${STACK}_redis-${n}`)).toBe('true');
    expect(await docker('exec', redis, 'redis-cli', 'ping')).toMatch(/NOAUTH/);
    await docker('exec', redis, 'sh', '/socp/redis.sh', '--health'); // an authenticated PING
  }
  const probe = "require('net').connect(6379,'redis-2').on('connect',()=>console.log('reached')).on('error',e=>console.log(e.code))";
  expect(await docker('exec', await task('server-1'), 'node', '-e', probe)).toMatch(/ENOTFOUND|EAI_AGAIN/);
  expect(await docker('exec', await task('server-2'), 'node', '-e', probe)).toBe('reached');
}, 300_000); // docker exec and a DNS miss on the overlay take long on a loaded host

test('Prometheus is healthy on the overlay network', async () => {
  await waitFor('prometheus healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', await task('prometheus'))) === 'healthy', 120_000, 1_000);
});

test('deploy.sh --rm removes the stack, its volumes, and the swarm and docker_gwbridge it created', async () => {
  await run('bash', ['deploy/swarm/deploy.sh', '--rm'], { cwd: ROOT, env, timeout: REMOVE_MS });
  for (const kind of ['ps -aq', 'network ls -q', 'volume ls -q']) {
    expect(await docker(...kind.split(' '), '--filter', `label=com.docker.stack.namespace=${STACK}`)).toBe('');
  }
  expect(await swarmState()).toBe(before.swarm);
  if (before.swarm !== 'active') expect(await hasGwbridge()).toBe(before.gwbridge);
}, REMOVE_MS);

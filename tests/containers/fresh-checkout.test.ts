/**
 * `docker compose up -d --wait` alone on a fresh checkout (issue 17 item 5): no script has run
 * there, no .env, no deploy/local — the compose file's own `init` service makes every key,
 * secret and pin; every server and introducer becomes healthy (their healthcheck is /readyz).
 * On that mesh, the deployment's hardening (issue 13.6) and the join secret (issue 12):
 * each Redis is on no network and answers only with its password, capped with noeviction; no
 * secret is visible in `docker inspect`; every introducer and server holds the same join
 * secret; the client container reads and writes the host's transfer folder and knows every
 * server. The images must exist (built as the rest of the lane builds them).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpGet } from '../harness/wait';
import { buildImages, copyCheckout, dockerSh, randomPorts } from './compose-mesh';

const run = promisify(execFile);
jest.setTimeout(120_000);
const SETUP_MS = 20 * 60_000; // includes a cold image build on a loaded machine
const UP_MS = 6 * 60_000; // compose up --wait: init (two RSA-4096 keys) + every healthcheck, loaded host
const CMD_MS = 120_000;
const SERVICE_UID = 1000; // user `node` of the images
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

const dir = mkdtempSync(join(tmpdir(), 'socp-fresh-'));
const project = `socp-ct-fresh-${process.pid}`;
const env = { ...process.env, COMPOSE_PROJECT_NAME: project, ...randomPorts() };
let upOutput = '';
let upMs = 0;

/** `docker compose ARGS` in the fresh checkout, as a user would type it. */
async function compose(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['compose', ...args], { cwd: dir, env, timeout: CMD_MS, maxBuffer: 16 << 20 });
  return stdout.trim();
}
const containerOf = async (service: string): Promise<string> => compose('ps', '-a', '-q', service);
const inspect = async (service: string, format: string): Promise<string> =>
  (await run('docker', ['inspect', '-f', format, await containerOf(service)])).stdout.trim();

beforeAll(async () => {
  await Promise.all([buildImages().then(() => dockerSh('build_project_images client-cli', {}, SETUP_MS)), copyCheckout(dir)]);
  const t0 = Date.now();
  try {
    const r = await run('docker', ['compose', 'up', '-d', '--wait'], { cwd: dir, env, timeout: UP_MS, maxBuffer: 16 << 20 });
    upOutput = `${r.stdout}${r.stderr}`;
  } catch (e) {
    const logs = await compose('logs', '--no-color', '--tail', '30').catch(() => '');
    throw new Error(`docker compose up -d --wait failed: ${(e as Error).message}\n${logs}`);
  }
  upMs = Date.now() - t0;
}, SETUP_MS);

afterAll(async () => {
  try {
    await compose('--profile', 'client', 'down', '--volumes', '--remove-orphans', '--timeout', '5');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, CMD_MS);

test('docker compose up -d --wait on a fresh checkout: init made the secrets, every server and introducer is ready', async () => {
  process.stdout.write(`${JSON.stringify({ composeUpWaitMs: upMs })}\n`);
  expect(existsSync(join(dir, '.env'))).toBe(false);
  expect(existsSync(join(dir, 'deploy/local'))).toBe(false);
  expect(await inspect('init', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 0');
  for (const s of ['introducer-1', 'introducer-2', 'server-1', 'server-2', 'server-3']) {
    const port = (await compose('port', s, '9180')).split(':').pop();
    expect((await httpGet(`http://127.0.0.1:${port}/readyz`, 5_000)).status).toBe(200);
  }
  expect(await inspect('prometheus', '{{.State.Health.Status}}')).toBe('healthy');
  expect(upOutput).not.toMatch(/error/i);
});

test('each Redis: on no network, refuses commands without its password, capped with noeviction', async () => {
  for (const n of [1, 2, 3]) {
    expect(await inspect(`redis-${n}`, '{{.HostConfig.NetworkMode}} {{len .NetworkSettings.Networks}}')).toMatch(/^none 1$/);
    const sock = ['-s', '/run/redis/sock/redis.sock'];
    expect(await compose('exec', '-T', `redis-${n}`, 'redis-cli', ...sock, 'ping')).toMatch(/NOAUTH/);
    const authed = (cmd: string): Promise<string> => compose('exec', '-T', `redis-${n}`, 'sh', '-c', `REDISCLI_AUTH="$(cat /run/redis/redis.pass)" redis-cli -s /run/redis/sock/redis.sock ${cmd}`);
    expect(await authed('ping')).toBe('PONG');
    expect((await authed('config get maxmemory')).split('\n')).toEqual(['maxmemory', String(256 * 1024 * 1024)]);
    expect((await authed('config get maxmemory-policy')).split('\n')).toEqual(['maxmemory-policy', 'noeviction']);
  }
  // A server cannot reach another pair's Redis: not by name, and its socket is not mounted.
  expect(await compose('exec', '-T', 'server-1', 'node', '-e', "require('net').connect(6379,'redis-2').on('connect',()=>console.log('reached')).on('error',e=>console.log(e.code))")).toMatch(/ENOTFOUND|EAI_AGAIN/);
});

test('every introducer and server holds the same mesh join secret; no secret shows in docker inspect', async () => {
  const read = (service: string, file: string): Promise<string> => compose('exec', '-T', service, 'cat', file);
  const joinSecret = await read('introducer-1', '/run/secrets/mesh-join');
  expect(joinSecret).toMatch(BASE64URL_32_BYTES);
  const secrets = [joinSecret, await read('introducer-1', '/run/secrets/introducer.pass'), await read('introducer-2', '/run/secrets/introducer.pass')];
  for (const s of ['introducer-2', 'server-1', 'server-2', 'server-3']) expect(await read(s, '/run/secrets/mesh-join')).toBe(joinSecret);
  for (const n of [1, 2, 3]) {
    expect(await inspect(`server-${n}`, '{{range .Config.Env}}{{println .}}{{end}}')).toMatch(/^SOCP_JOIN_SECRET_FILE=\/run\/secrets\/mesh-join$/m);
    secrets.push(await read(`server-${n}`, '/run/secrets/server.pass'), await read(`server-${n}`, '/run/redis/redis.pass'));
  }
  for (const s of secrets) expect(s).toMatch(BASE64URL_32_BYTES);
  const everything = (await run('bash', ['-c', `docker inspect $(docker ps -aq --filter label=com.docker.compose.project=${project})`], { maxBuffer: 16 << 20 })).stdout;
  for (const s of secrets) expect(everything).not.toContain(s);
});

test('the client container sends from and receives into the host transfer folder, and knows every server', async () => {
  writeFileSync(join(dir, 'transfer', 'note.txt'), 'from the host\n');
  const out = await compose('run', '--rm', '-T', '--entrypoint', 'sh', 'client', '-c',
    'cat /transfer/note.txt && echo "from the container" > /transfer/received/back.txt && echo "$SOCP_SERVER_URL|$SOCP_SERVER_URLS|$SOCP_SEND_DIR|$SOCP_DOWNLOADS"');
  expect(out.split('\n')).toEqual([
    'from the host',
    'ws://server-1:9101|ws://server-1:9101,ws://server-2:9101,ws://server-3:9101|/transfer|/transfer/received',
  ]);
  const back = join(dir, 'transfer', 'received', 'back.txt');
  expect(readFileSync(back, 'utf8')).toBe('from the container\n');
  expect(statSync(back).uid).toBe(SERVICE_UID);
});

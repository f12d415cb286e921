/**
 * A local SOCP mesh of REAL processes on 127.0.0.1 (docs/local-mesh.md):
 * one redis-server per server (own temp dir, appendonly yes), M introducers (keys made with the
 * key tool), N servers (`node services/server/dist/main.js`, env per docs/contracts.md).
 * Every port is picked free up front and kept across restarts, so URLs stay valid.
 * The keys at rest are sealed under a random passphrase made for this mesh (256 bits), kept in
 * `<dir>/passphrase` (0600) and handed to every process as SOCP_KEY_PASSPHRASE_FILE; a random
 * mesh join secret in `<dir>/join-secret` (0600, SOCP_JOIN_SECRET_FILE) admits the servers.
 *
 *   const mesh = await startMesh({ servers: 3, introducers: 1, timings: { heartbeatMs: 500, deadAfterMs: 2000 } });
 *   await mesh.waitReady();
 *   mesh.servers[0].wsUrl; mesh.servers[0].id; await mesh.kill(1); await mesh.restart(1);
 *   await mesh.stop();
 *
 * Needs `npm run build` (the servers and introducers run from dist/).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '@socp/server/dist/runtime-flags';
import { freePorts, ManagedProcess, repoRoot } from './processes';
import { randomSecret } from './secrets';
import { httpGet, waitFor } from './wait';

export interface MeshTimings {
  /** SOCP_HEARTBEAT_MS of servers and introducers. */
  heartbeatMs?: number;
  /** SOCP_DEAD_AFTER_MS of servers and introducers. */
  deadAfterMs?: number;
  /** SOCP_BACKOFF_MS of servers. */
  backoffMs?: readonly number[];
  /** SOCP_PRUNE_AFTER_MS of introducers. */
  pruneAfterMs?: number;
}

export interface MeshOptions {
  servers: number;
  introducers?: number;
  timings?: MeshTimings;
  /** SOCP_LOG_LEVEL of every process (default info). */
  logLevel?: string;
  /** Where temp dirs and logs go (default a fresh dir under the OS temp dir). */
  dir?: string;
  /** Keep the directory (logs, Redis AOF) after stop(). Default: keep only when SOCP_KEEP_MESH is set. */
  keepDir?: boolean;
  /** Extra environment for every server. */
  serverEnv?: Record<string, string>;
  /** Extra environment for every introducer (e.g. SOCP_ADMIT for another implementation's server). */
  introducerEnv?: Record<string, string>;
}

export interface IntroducerHandle {
  readonly index: number;
  readonly wsPort: number;
  readonly adminPort: number;
  readonly wsUrl: string;
  readonly adminUrl: string;
  /** Pinned in every server's SOCP_BOOTSTRAP. */
  readonly pubkey: string;
  id: string;
  proc: ManagedProcess | undefined;
}

export interface ServerHandle {
  readonly index: number;
  readonly wsPort: number;
  readonly adminPort: number;
  readonly redisPort: number;
  readonly wsUrl: string;
  readonly adminUrl: string;
  readonly redisUrl: string;
  /** From /identity once ready. */
  id: string;
  pubkey: string;
  proc: ManagedProcess | undefined;
  redis: ManagedProcess | undefined;
}

export interface Mesh {
  readonly dir: string;
  /** This mesh's random join secret (SOCP_JOIN_SECRET_FILE of every introducer and server): admission by operator consent. */
  readonly joinSecret: string;
  /** This mesh's random SOCP_KEY_PASSPHRASE (every server and introducer key is sealed under it). */
  readonly passphrase: string;
  /** `<dir>/passphrase` (mode 0600): where the processes read it from (SOCP_KEY_PASSPHRASE_FILE). */
  readonly passphraseFile: string;
  readonly servers: ServerHandle[];
  readonly introducers: IntroducerHandle[];
  /** Wait until every running introducer and server answers /readyz 200; fills in ids. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Wait until server i answers /readyz 200 and return its /identity id. */
  waitServerReady(i: number, timeoutMs?: number): Promise<string>;
  /** SIGKILL server i (a crash). */
  kill(i: number): Promise<void>;
  /** SIGSTOP server i: its sockets stay open but go silent (tests dead-link detection). */
  pause(i: number): void;
  /** SIGCONT a paused server. */
  resume(i: number): void;
  /** SIGTERM server i (a clean stop). */
  stopServer(i: number): Promise<void>;
  /** Start server i again on the same ports and Redis. */
  restart(i: number): Promise<void>;
  /** Add one more server (own Redis, same bootstrap list); `env` overrides its environment (e.g. `SOCP_JOIN_SECRET_FILE: ''`: not admitted). Returns its index. */
  addServer(env?: Record<string, string>): Promise<number>;
  stopRedis(i: number): Promise<void>;
  startRedis(i: number): Promise<void>;
  killIntroducer(j: number): Promise<void>;
  startIntroducer(j: number): Promise<void>;
  /** Last lines of every process's output (for failure messages). */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const PASSPHRASE_FILE = 'passphrase';
const JOIN_SECRET_FILE = 'join-secret';

/**
 * A secret file of the mesh: a fresh random 256-bit value (base64url), or the one a kept
 * directory already holds (its keys and Redis data are sealed under the passphrase).
 */
function ensureSecretFile(dir: string, name: string): { value: string; file: string } {
  const file = join(dir, name);
  if (!existsSync(file)) writeFileSync(file, `${randomSecret(32)}\n`, { mode: 0o600, flag: 'wx' });
  const value = readFileSync(file, 'utf8').split('\n')[0]!;
  if (value.length === 0) throw new Error(`${file} is empty`);
  return { value, file };
}

function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

/** Run the key tool; resolves with the printed public key. */
function runKeygen(root: string, out: string, passphraseFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'services/introducer/dist/keygen.js'), '--out', out], {
      env: { ...baseEnv(), SOCP_KEY_PASSPHRASE_FILE: passphraseFile }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`keygen exited ${code}: ${stderr}`))));
  });
}

export async function startMesh(opts: MeshOptions): Promise<Mesh> {
  const root = repoRoot();
  for (const f of ['services/introducer/dist/main.js', 'services/introducer/dist/keygen.js', 'services/server/dist/main.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'socp-mesh-'));
  mkdirSync(dir, { recursive: true });
  const pass = ensureSecretFile(dir, PASSPHRASE_FILE);
  const secret = { passphrase: pass.value, file: pass.file };
  const join_ = ensureSecretFile(dir, JOIN_SECRET_FILE);
  const t = opts.timings ?? {};
  const logLevel = opts.logLevel ?? 'info';
  const nIntro = opts.introducers ?? 1;
  const introducers: IntroducerHandle[] = [];
  const servers: ServerHandle[] = [];
  let stopped = false;

  // ---- introducers ------------------------------------------------------------------
  const introPorts = await freePorts(2 * nIntro);
  const keys = await Promise.all(
    Array.from({ length: nIntro }, (_, j) => {
      mkdirSync(join(dir, `introducer-${j}`), { recursive: true, mode: 0o700 });
      return runKeygen(root, join(dir, `introducer-${j}`, 'introducer.key.pem'), secret.file);
    }),
  );
  for (let j = 0; j < nIntro; j++) {
    const wsPort = introPorts[2 * j]!;
    const adminPort = introPorts[2 * j + 1]!;
    introducers.push({
      index: j, wsPort, adminPort, wsUrl: `ws://127.0.0.1:${wsPort}`, adminUrl: `http://127.0.0.1:${adminPort}`,
      pubkey: keys[j]!, id: '', proc: undefined,
    });
  }
  const bootstrap = JSON.stringify(introducers.map((i) => ({ host: '127.0.0.1', port: i.wsPort, pubkey: i.pubkey })));

  const startIntroducer = async (j: number): Promise<void> => {
    const h = introducers[j]!;
    if (h.proc?.running) return;
    const env: Record<string, string> = {
      ...baseEnv(),
      SOCP_HOST: '127.0.0.1', SOCP_PORT: String(h.wsPort), SOCP_ADMIN_HOST: '127.0.0.1', SOCP_ADMIN_PORT: String(h.adminPort),
      SOCP_DATA_DIR: join(dir, `introducer-${j}`), SOCP_KEY_PASSPHRASE_FILE: secret.file, SOCP_JOIN_SECRET_FILE: join_.file, SOCP_LOG_LEVEL: logLevel,
      ...opts.introducerEnv,
    };
    if (t.heartbeatMs !== undefined) env['SOCP_HEARTBEAT_MS'] = String(t.heartbeatMs);
    if (t.deadAfterMs !== undefined) env['SOCP_DEAD_AFTER_MS'] = String(t.deadAfterMs);
    if (t.pruneAfterMs !== undefined) env['SOCP_PRUNE_AFTER_MS'] = String(t.pruneAfterMs);
    h.proc = new ManagedProcess(`introducer-${j}`, process.execPath, [join(root, 'services/introducer/dist/main.js')], {
      env, cwd: root, logFile: join(dir, `introducer-${j}.log`),
    });
    await h.proc.waitForLine(/"msg":"listening"/, READY_TIMEOUT_MS);
    const idn = await httpGet(`${h.adminUrl}/identity`);
    h.id = (idn.body as { id: string }).id;
  };

  // ---- redis + servers ------------------------------------------------------------------
  const startRedis = async (i: number): Promise<void> => {
    const h = servers[i]!;
    if (h.redis?.running) return;
    const rdir = join(dir, `redis-${i}`);
    mkdirSync(rdir, { recursive: true });
    h.redis = new ManagedProcess(`redis-${i}`, 'redis-server', [
      '--port', String(h.redisPort), '--bind', '127.0.0.1', '--dir', rdir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--protected-mode', 'yes',
      // Bounded and never evicting (docs/redis.md "When Redis is full"); tests lower it with CONFIG SET.
      '--maxmemory', '256mb', '--maxmemory-policy', 'noeviction',
    ], { env: baseEnv(), cwd: rdir, logFile: join(dir, `redis-${i}.log`) });
    await h.redis.waitForLine(/Ready to accept connections/, READY_TIMEOUT_MS);
  };

  /** Per-server environment overrides (addServer's `env`). */
  const extraEnv: Array<Record<string, string> | undefined> = [];
  const startServer = async (i: number): Promise<void> => {
    const h = servers[i]!;
    if (h.proc?.running) return;
    const env: Record<string, string> = {
      ...baseEnv(),
      SOCP_REDIS_URL: h.redisUrl,
      SOCP_HOST: '127.0.0.1', SOCP_PORT: String(h.wsPort),
      SOCP_ADMIN_HOST: '127.0.0.1', SOCP_ADMIN_PORT: String(h.adminPort),
      SOCP_ADVERTISE_HOST: '127.0.0.1', SOCP_ADVERTISE_PORT: String(h.wsPort),
      SOCP_BOOTSTRAP: bootstrap, SOCP_KEY_PASSPHRASE_FILE: secret.file, SOCP_JOIN_SECRET_FILE: join_.file, SOCP_LOG_LEVEL: logLevel,
      ...opts.serverEnv,
      ...extraEnv[i],
    };
    if (t.heartbeatMs !== undefined) env['SOCP_HEARTBEAT_MS'] = String(t.heartbeatMs);
    if (t.deadAfterMs !== undefined) env['SOCP_DEAD_AFTER_MS'] = String(t.deadAfterMs);
    if (t.backoffMs !== undefined) env['SOCP_BACKOFF_MS'] = t.backoffMs.join(',');
    h.proc = new ManagedProcess(`server-${i}`, process.execPath, [...SERVER_NODE_FLAGS, join(root, 'services/server/dist/main.js')], {
      env, cwd: root, logFile: join(dir, `server-${i}.log`),
    });
    await h.proc.waitForLine(/"msg":"listening"/, READY_TIMEOUT_MS);
  };

  const newServer = (wsPort: number, adminPort: number, redisPort: number): number => {
    const index = servers.length;
    servers.push({
      index, wsPort, adminPort, redisPort,
      wsUrl: `ws://127.0.0.1:${wsPort}`, adminUrl: `http://127.0.0.1:${adminPort}`, redisUrl: `redis://127.0.0.1:${redisPort}`,
      id: '', pubkey: '', proc: undefined, redis: undefined,
    });
    return index;
  };

  const addServer = async (env?: Record<string, string>): Promise<number> => {
    const [wsPort, adminPort, redisPort] = await freePorts(3);
    const i = newServer(wsPort!, adminPort!, redisPort!);
    if (env) extraEnv[i] = env;
    await startRedis(i);
    await startServer(i);
    return i;
  };

  const waitServerReady = async (i: number, timeoutMs = READY_TIMEOUT_MS): Promise<string> => {
    const h = servers[i]!;
    await waitFor(`server-${i} /readyz 200`, async () => {
      if (!h.proc?.running) throw new Error(`server-${i} is not running:\n${h.proc?.tail() ?? ''}`);
      return (await httpGet(`${h.adminUrl}/readyz`)).status === 200;
    }, timeoutMs, 100);
    const idn = (await httpGet(`${h.adminUrl}/identity`)).body as { id: string; pubkey: string };
    h.id = idn.id;
    h.pubkey = idn.pubkey;
    return h.id;
  };

  const procs = (): ManagedProcess[] => [
    ...servers.flatMap((s) => [s.proc, s.redis]),
    ...introducers.map((i) => i.proc),
  ].filter((p): p is ManagedProcess => p !== undefined);

  const mesh: Mesh = {
    dir, passphrase: secret.passphrase, passphraseFile: secret.file, joinSecret: join_.value, servers, introducers,
    async waitReady(timeoutMs = READY_TIMEOUT_MS) {
      await Promise.all(introducers.filter((h) => h.proc?.running).map((h) =>
        waitFor(`introducer-${h.index} /readyz 200`, async () => (await httpGet(`${h.adminUrl}/readyz`)).status === 200, timeoutMs, 100)));
      await Promise.all(servers.filter((s) => s.proc?.running).map((s) => waitServerReady(s.index, timeoutMs)));
    },
    waitServerReady,
    async kill(i) {
      await servers[i]!.proc?.stop('SIGKILL');
    },
    pause(i) {
      servers[i]!.proc?.signal('SIGSTOP');
    },
    resume(i) {
      servers[i]!.proc?.signal('SIGCONT');
    },
    async stopServer(i) {
      await servers[i]!.proc?.stop('SIGTERM');
    },
    async restart(i) {
      await servers[i]!.proc?.stop('SIGTERM');
      await startServer(i);
    },
    addServer,
    async stopRedis(i) {
      await servers[i]!.redis?.stop('SIGTERM');
    },
    startRedis,
    async killIntroducer(j) {
      await introducers[j]!.proc?.stop('SIGKILL');
    },
    startIntroducer,
    logs(lines = 30) {
      return procs().map((p) => `----- ${p.name} (pid ${p.pid}, ${p.running ? 'running' : `exited ${p.exitCode}`})\n${p.tail(lines)}`).join('\n');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map((s) => s.proc?.stop('SIGTERM', 3_000)));
      await Promise.all([...servers.map((s) => s.redis?.stop('SIGTERM', 3_000)), ...introducers.map((i) => i.proc?.stop('SIGTERM', 3_000))]);
      if (!(opts.keepDir ?? process.env['SOCP_KEEP_MESH'] !== undefined)) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const ports = await freePorts(3 * opts.servers);
    for (let i = 0; i < opts.servers; i++) newServer(ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!);
    await Promise.all([...introducers.map((h) => startIntroducer(h.index)), ...servers.map((s) => startRedis(s.index))]);
    await Promise.all(servers.map((s) => startServer(s.index)));
  } catch (e) {
    const logs = mesh.logs();
    await mesh.stop();
    throw new Error(`mesh failed to start: ${(e as Error).message}\n${logs}`);
  }
  return mesh;
}

/**
 * The project's compose mesh (docker-compose.yml) under a throw-away project name, for the
 * containers lane: images built by scripts/docker.sh (layer cache: quick when unchanged),
 * secrets and pinned introducer keys generated into a temp dir by the same shell functions
 * `npm run up` uses, every host port random ("" in the port variables), heartbeats shortened.
 * `down()` removes containers, the network and volumes whatever state the test left, and
 * drops the raw users connected through `connectUser`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerComposeEnvironment, Wait } from 'testcontainers';
import type { RsaPrivateKey } from '@socp/protocol';
import { RawUser } from '../harness/raw-user';

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../..');
/** Shortened liveness so a killed server's users vanish within seconds (defaults 15 s / 45 s). */
export const TIMINGS = { heartbeatMs: 2_000, deadAfterMs: 8_000, pruneAfterMs: 8_000 } as const;
const MAX_SERVERS = 4;
const BUILD_MS = 15 * 60_000; // cold build of two images on a loaded 2-core host
const CMD_MS = 3 * 60_000;

/** Runs bash with scripts/lib.sh + scripts/docker.sh sourced; resolves to stdout. */
export async function dockerSh(script: string, env: NodeJS.ProcessEnv = {}, timeout = CMD_MS): Promise<string> {
  const { stdout } = await run('bash', ['-c', `source scripts/lib.sh; source scripts/docker.sh; ${script}`], {
    cwd: ROOT, env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20,
  });
  return stdout.trim();
}

/** Engine, compose plugin, base images and socp/introducer + socp/server images. */
export async function buildImages(): Promise<void> {
  await dockerSh('ensure_docker_stack && build_project_images introducer server', {}, BUILD_MS);
}

export class ComposeMesh {
  readonly project = `socp-ct-${process.pid}-${Date.now().toString(36)}`;
  readonly localDir = mkdtempSync(join(tmpdir(), 'socp-ct-'));
  private env: Record<string, string> = {};
  /** Raw SOCP users connected through connectUser, in order (dropped by down()). */
  readonly users: RawUser[] = [];

  /** Secrets + SOCP_BOOTSTRAP (introducer keys made by the introducer image's key tool). */
  async prepare(): Promise<void> {
    const base: Record<string, string> = {
      SOCP_LOCAL_DIR: this.localDir,
      SOCP_SECRETS_DIR: join(this.localDir, 'secrets'),
      COMPOSE_PROJECT_NAME: this.project,
      SOCP_HEARTBEAT_MS: String(TIMINGS.heartbeatMs),
      SOCP_DEAD_AFTER_MS: String(TIMINGS.deadAfterMs),
      SOCP_PRUNE_AFTER_MS: String(TIMINGS.pruneAfterMs),
      SOCP_PROMETHEUS_PORT: '',
      SOCP_INTRODUCER_1_ADMIN_PORT: '',
      SOCP_INTRODUCER_2_ADMIN_PORT: '',
    };
    for (let i = 1; i <= MAX_SERVERS; i++) Object.assign(base, { [`SOCP_SERVER_${i}_PORT`]: '', [`SOCP_SERVER_${i}_ADMIN_PORT`]: '' });
    const bootstrap = await dockerSh('ensure_secrets_dir; for n in 1 2 3; do ensure_passphrase server-$n; done; bootstrap_json', base);
    this.env = { ...base, SOCP_BOOTSTRAP: bootstrap };
  }

  async up(): Promise<void> {
    const healthy = Wait.forHealthCheck().withStartupTimeout(CMD_MS);
    await new DockerComposeEnvironment(ROOT, 'docker-compose.yml')
      .withProjectName(this.project)
      .withEnvironment(this.env)
      .withDefaultWaitStrategy(healthy)
      // Inside the container, not over a mapped port: testcontainers would probe the bridge
      // gateway when it runs in a container (/.dockerenv), and our ports bind 127.0.0.1 only.
      .withWaitStrategy('prometheus-1', Wait.forLogMessage(/Server is ready to receive web requests/).withStartupTimeout(CMD_MS))
      .up();
  }

  /** `docker compose` on this project (base file + the scale file scale.sh may have written). */
  async compose(...args: string[]): Promise<string> {
    return dockerSh(`compose ${args.map((a) => `'${a}'`).join(' ')}`, this.env);
  }

  async scale(n: number): Promise<void> {
    await dockerSh(`bash scripts/scale.sh ${n}`, this.env, CMD_MS);
  }

  /** Host port currently mapped to a service's container port (changes across restarts). */
  async port(service: string, containerPort: number): Promise<number> {
    const out = await this.compose('port', service, String(containerPort));
    const port = Number(out.split(':').pop());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`no host port for ${service}:${containerPort} (${out})`);
    return port;
  }
  async wsUrl(server: number): Promise<string> {
    return `ws://127.0.0.1:${await this.port(`server-${server}`, 9101)}`;
  }
  async adminUrl(service: string): Promise<string> {
    return `http://127.0.0.1:${await this.port(service, 9180)}`;
  }

  /** Container id + start time of a service: unchanged means not restarted or recreated. */
  async startedAt(service: string): Promise<string> {
    return dockerSh(`docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$(compose ps -q ${service})"`, this.env);
  }

  /** A raw user on server-N's mapped WebSocket port (optionally with a known id: a reconnect). */
  async connectUser(server: number, key: RsaPrivateKey, name: string, userId?: string): Promise<RawUser> {
    const u = await RawUser.connect(await this.wsUrl(server), { key, name, ...(userId ? { userId } : {}), timeoutMs: 20_000 });
    this.users.push(u);
    return u;
  }

  async logs(tail = 40): Promise<string> {
    return this.compose('logs', '--no-color', '--tail', String(tail)).catch((e: Error) => `(no logs: ${e.message})`);
  }

  /** Containers, network, volumes (scaled ones too), temp secrets: removed in every case. */
  async down(): Promise<void> {
    for (const u of this.users) u.sock.terminate();
    try {
      // SOCP_BOOTSTRAP is only interpolated, not used, by `down` (it may be unset if prepare failed).
      const env = { COMPOSE_PROJECT_NAME: this.project, SOCP_LOCAL_DIR: this.localDir, SOCP_BOOTSTRAP: '[]', ...this.env };
      // Volumes of servers scaled away are no longer in the compose files: remove by label too.
      await dockerSh(`compose --profile client down --volumes --remove-orphans --timeout 5; remove_project_volumes`, env);
    } finally {
      rmSync(this.localDir, { recursive: true, force: true });
    }
  }
}

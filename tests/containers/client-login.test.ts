/**
 * Password accounts through the real images (issue 6): on the compose mesh, `socp signup` in one
 * client container (socp/client-cli:local on the project's network, like `docker compose run
 * --rm client`), then `socp login` from a FRESH client container (no volume: an empty keystore)
 * with the password only — it gets its key back from the server, sees a user of another server
 * online and DMs them end to end. A wrong password, again from a fresh container, fails with
 * the clear message and exit code 1. The password is random per run and goes in on stdin
 * (--password-stdin), so it is in no command line and no environment.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPair } from '@socp/protocol';
import { RawUser } from '../harness/raw-user';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { ComposeMesh, buildImages, dockerSh } from './compose-mesh';

jest.setTimeout(120_000);
const SETUP_MS = 20 * 60_000; // includes a cold image build on a loaded machine
const STEP_MS = 60_000; // a container start + Argon2id (OPAQUE) + RSA-4096 work on a loaded 2-core host
const OUTPUT_LIMIT = 1 << 20; // bytes of stdout/stderr kept per client container

const mesh = new ComposeMesh();
const PASSWORD = randomSecret();
const clients: ClientContainer[] = [];
let bob: RawUser | undefined; // a raw user on server-2, connected from the host

type Event = Record<string, unknown> & { event: string };

/** One `socp --json --password-stdin` run in a throw-away client container on the mesh network. */
class ClientContainer {
  readonly events: Event[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  private stdout = '';
  private readonly child: ChildProcessWithoutNullStreams;
  readonly name = `${mesh.project}-client-${clients.length + 1}`;

  constructor(server: string, args: string[], password: string) {
    this.child = spawn('docker', ['run', '--rm', '-i', '--name', this.name, '--network', `${mesh.project}_mesh`,
      'socp/client-cli:local', '--json', '--password-stdin', '--server', `ws://${server}:9101`, ...args], { stdio: 'pipe' });
    this.child.stdout.on('data', (b: Buffer) => {
      this.stdout = (this.stdout + b.toString('utf8')).slice(-OUTPUT_LIMIT);
      for (let i = this.stdout.indexOf('\n'); i >= 0; i = this.stdout.indexOf('\n')) {
        this.events.push(JSON.parse(this.stdout.slice(0, i)) as Event); // --json prints only JSON lines
        this.stdout = this.stdout.slice(i + 1);
      }
    });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr = (this.stderr + b.toString('utf8')).slice(-OUTPUT_LIMIT)));
    this.child.on('exit', (code) => (this.exitCode = code));
    this.send(password);
    clients.push(this);
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  private get trace(): string {
    return `events: ${JSON.stringify(this.events).slice(0, 4000)}\nstderr: ${this.stderr.slice(-4000)}`;
  }

  event(pred: (e: Event) => boolean, what: string): Promise<Event> {
    return waitFor(what, () => this.events.find(pred), STEP_MS)
      .catch((e: Error) => Promise.reject(new Error(`${e.message}\n${this.trace}`)));
  }

  exit(): Promise<number> {
    return waitFor(`${this.name} to exit`, () => (this.exitCode === undefined ? undefined : (this.exitCode ?? -1)), STEP_MS)
      .catch((e: Error) => Promise.reject(new Error(`${e.message}\n${this.trace}`)));
  }

  /** The container (not only the docker CLI) is removed, whatever state it is in. */
  remove(): void {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    try {
      execFileSync('docker', ['rm', '-f', this.name], { stdio: 'ignore' });
    } catch {
      // already removed by --rm
    }
  }
}

beforeAll(async () => {
  try {
    const [bobKey] = await Promise.all([
      generateKeyPair(),
      buildImages().then(() => dockerSh('build_project_images client-cli', {}, SETUP_MS)),
    ]);
    await mesh.prepare();
    await mesh.up();
    bob = await RawUser.connect(await mesh.wsUrl(2), { key: bobKey, name: 'bob', timeoutMs: 20_000 });
  } catch (e) {
    process.stderr.write(`compose mesh failed to start:\n${await mesh.logs()}\n`);
    throw e;
  }
}, SETUP_MS);

afterAll(async () => {
  bob?.close();
  for (const c of clients) c.remove();
  await mesh.down();
}, 120_000);

let aliceId = '';

test('sign up in one client container, then log in from a fresh one with the password only: the key comes back and a DM reaches bob', async () => {
  const signup = new ClientContainer('server-1', ['signup', '--name', 'alice'], PASSWORD);
  aliceId = (await signup.event((e) => e.event === 'ready', 'signup ready'))['user_id'] as string;
  signup.send('/quit');
  expect(await signup.exit()).toBe(0);

  const t0 = Date.now();
  const login = new ClientContainer('server-1', ['login', '--name', 'alice'], PASSWORD);
  const ready = await login.event((e) => e.event === 'ready', 'login ready');
  const loginMs = Date.now() - t0;
  expect(ready['user_id']).toBe(aliceId);
  expect(ready['name']).toBe('alice');
  expect(login.stderr).toMatch(/logged in from a new device/);

  await login.event((e) => e.event === 'presence' && e['action'] === 'online' && e['user_id'] === bob!.id, 'bob online (server-2)');
  login.send('/list');
  const list = await login.event((e) => e.event === 'list', '/list');
  const users = list['users'] as { user_id: string; self: boolean }[];
  expect(users.find((u) => u.self)?.user_id).toBe(aliceId);
  expect(users.some((u) => u.user_id === bob!.id)).toBe(true);

  await bob!.waitForUser(aliceId, STEP_MS);
  const since = bob!.mark();
  const text = `hello bob, from a fresh container ${randomSecret(6)}`;
  login.send(`/tell bob ${text}`);
  await login.event((e) => e.event === 'sent' && (e['to'] as string[]).includes('bob'), 'DM sent');
  expect((await bob!.waitMessage(aliceId, STEP_MS, since)).text).toBe(text);

  login.send('/quit');
  expect(await login.exit()).toBe(0);
  process.stdout.write(`log-in from a fresh client container (docker run → ready): ${loginMs} ms\n`);
});

test('a wrong password from a fresh client container fails with a clear message and exit code 1', async () => {
  const wrong = new ClientContainer('server-1', ['login', '--name', 'alice'], randomSecret());
  const fatal = await wrong.event((e) => e.event === 'fatal', 'fatal event');
  expect(fatal['detail']).toMatch(/^login failed: wrong user name or password/);
  expect(await wrong.exit()).toBe(1);
  expect(wrong.stderr).toContain('socp: login failed: wrong user name or password');
  expect(wrong.events.some((e) => e.event === 'ready')).toBe(false);
});

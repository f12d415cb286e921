/**
 * The fixture of the single-server service tests: a real Redis, a fake introducer and one
 * in-process server, started before the file's tests and stopped after them; raw users opened
 * through it are closed after each test. Call at the top level of a test file.
 */
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { FakeIntroducer } from './fake-introducer';
import { RawUser } from './raw-user';
import { RedisProcess } from './redis-process';
import { startTestServer, type TestServer } from './test-server';

export class OneServer {
  redis!: RedisProcess;
  intro!: FakeIntroducer;
  /** The running server; a test that restarts it assigns the new one (see startServer). */
  srv!: TestServer;
  /** RSA-4096 keys for the test's users (the introducer has its own). */
  keys: RsaPrivateKey[] = [];
  private readonly open: RawUser[] = [];
  /** Extra server environment (SOCP_* settings). */
  env: Record<string, string> = {};

  /** A new server on the same Redis and introducer. */
  startServer(): Promise<TestServer> {
    return startTestServer(this.redis.url, this.intro.bootstrap, this.env);
  }

  /** Opens a WebSocket to the server as `id` (no hello sent), from `localAddress` if given; closed after the test. */
  async connect(id: string, key: RsaPrivateKey, localAddress?: string): Promise<RawUser> {
    return this.track(await RawUser.connect(this.srv.node.wsPort, id, key, localAddress));
  }

  /** Closes `u` after the test. */
  track(u: RawUser): RawUser {
    this.open.push(u);
    return u;
  }

  closeUsers(): void {
    while (this.open.length) this.open.pop()!.close();
  }
}

export function useOneServer(userKeys: number, env: Record<string, string> = {}): OneServer {
  const fx = new OneServer();
  fx.env = env;
  beforeAll(async () => {
    const [introKey, ...keys] = await Promise.all(Array.from({ length: userKeys + 1 }, () => generateKeyPair()));
    fx.keys = keys;
    fx.redis = await RedisProcess.start();
    fx.intro = await FakeIntroducer.start(introKey!);
    fx.srv = await fx.startServer();
  });
  afterEach(() => fx.closeUsers());
  afterAll(async () => {
    await fx.srv?.stop();
    await fx.intro?.stop();
    await fx.redis?.dispose();
  });
  return fx;
}

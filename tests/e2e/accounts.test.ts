/**
 * Password accounts (docs/accounts.md) on a real one-server mesh with the real `socp` binary:
 * sign up, log in from a fresh keystore directory with the password only, a wrong password is
 * a clear failure and the name is rate-limited after a few tries, and a dump of the server's
 * Redis holds neither the password, nor the clear private key, nor anything that logs in
 * without the password.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import * as opaque from '@serenity-kit/opaque';
import { randomSecret } from '../harness/secrets';
import { openAccount } from '../../services/client-cli/src/keystore';
import { openSetup } from '../../services/server/src/accounts/setup-secret';
import { CliProcess, type CliEvent } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(300_000);

const PASSWORD = randomSecret();
const WRONG_PASSWORD = randomSecret();

let cli: CliProcess | undefined;
let aliceId = '';
const fx = useE2eMesh('accounts', { servers: 1 }, () => cli?.kill());

const home = (n: string): string => join(fx.dir, n);
function socp(h: string, cmd: 'signup' | 'login', password: string): CliProcess {
  cli = CliProcess.start(['--server', fx.mesh.servers[0]!.wsUrl, '--home', home(h), cmd, '--name', 'alice'], { SOCP_PASSWORD: password });
  return cli;
}
async function fatal(c: CliProcess): Promise<CliEvent> {
  const code = await c.waitExit(60_000).catch((e: Error) => {
    throw new Error(`${e.message}\nevents: ${JSON.stringify(c.events)}\nstderr: ${c.stderr}\n${fx.mesh.logs(15)}`);
  });
  expect(code).toBe(1);
  return c.events.find((e) => e.event === 'fatal')!;
}

afterEach(() => cli?.kill());

test('sign up on the server, then log in from a fresh keystore directory with the password only', async () => {
  const a = socp('signup-home', 'signup', PASSWORD);
  const ready = await a.waitEvent((e) => e.event === 'ready', 'signup ready', 60_000);
  aliceId = ready['user_id'] as string;
  a.send('/quit');
  expect(await a.waitExit()).toBe(0);

  const t0 = Date.now();
  const b = socp('fresh-home', 'login', PASSWORD);
  const again = await b.waitEvent((e) => e.event === 'ready', 'login ready', 60_000);
  const loginMs = Date.now() - t0;
  expect(again['user_id']).toBe(aliceId);
  expect(existsSync(join(home('fresh-home'), 'accounts', 'alice.json'))).toBe(true);
  b.send('/quit');
  expect(await b.waitExit()).toBe(0);
  // The key saved on the new device is the account's key.
  const k1 = await openAccount(home('signup-home'), 'alice', PASSWORD);
  const k2 = await openAccount(home('fresh-home'), 'alice', PASSWORD);
  expect(k2.key.publicKey.equals(k1.key.publicKey)).toBe(true);
  process.stdout.write(`login from a fresh directory (process start → ready): ${loginMs} ms\n`);
});

test('a wrong password fails with a clear message; after a few tries the name is rate-limited, even for the right password', async () => {
  const first = await fatal(socp('wrong-1', 'login', WRONG_PASSWORD));
  expect(first['detail']).toMatch(/wrong user name or password/);
  expect(existsSync(join(home('wrong-1'), 'accounts', 'alice.json'))).toBe(false);
  let limited: CliEvent | undefined;
  for (let i = 2; i <= 8 && !limited; i++) {
    const f = await fatal(socp(`wrong-${i}`, 'login', WRONG_PASSWORD));
    if (/too many login attempts/.test(String(f['detail']))) limited = f;
    else expect(f['detail']).toMatch(/wrong user name or password/);
  }
  expect(limited).toBeDefined();
  const right = await fatal(socp('right-but-limited', 'login', PASSWORD));
  expect(right['detail']).toMatch(/too many login attempts/);
  // An unknown name looks exactly like a wrong password (no existence oracle).
  cli = CliProcess.start(['--server', fx.mesh.servers[0]!.wsUrl, '--home', home('nobody'), 'login', '--name', 'nobody'], { SOCP_PASSWORD: PASSWORD });
  expect((await fatal(cli))['detail']).toMatch(/wrong user name or password/);
});

test('a dump of the server Redis holds no password, no clear private key, and its record does not log in without the password', async () => {
  const redis = new Redis(fx.mesh.servers[0]!.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const parts: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) {
        parts.push(Buffer.from(k));
        const d = await redis.dumpBuffer(k);
        if (d) parts.push(d);
        const t = await redis.type(k);
        if (t === 'hash') for (const [f, v] of Object.entries(await redis.hgetall(k))) parts.push(Buffer.from(`${f}=${v}`));
        if (t === 'string') parts.push(Buffer.from((await redis.get(k)) ?? ''));
      }
    } while (cursor !== '0');
    const dump = Buffer.concat(parts);
    const row = await redis.hgetall(`socp:user:${aliceId}`);
    expect(row['pake_password']!.length).toBeGreaterThan(100);
    expect(row['privkey_store']!.length).toBeGreaterThan(1000);

    const { key } = await openAccount(home('signup-home'), 'alice', PASSWORD);
    const der = key.toPkcs8Der();
    for (const needle of [Buffer.from(PASSWORD), der, Buffer.from(der.toString('base64')), Buffer.from(der.toString('base64url')), der.subarray(100, 164)]) {
      expect(dump.includes(needle)).toBe(false);
    }

    // Even with the record AND the server's OPAQUE setup (which needs SOCP_KEY_PASSPHRASE too),
    // a wrong password does not complete a login.
    await opaque.ready;
    const setup = openSetup((await redis.hget('socp:identity', 'opaque_setup'))!, fx.mesh.passphrase);
    const tryLogin = (password: string): boolean => {
      const c = opaque.client.startLogin({ password });
      const s = opaque.server.startLogin({ serverSetup: setup, registrationRecord: row['pake_password']!, startLoginRequest: c.startLoginRequest, userIdentifier: 'alice' });
      const fin = opaque.client.finishLogin({ clientLoginState: c.clientLoginState, loginResponse: s.loginResponse, password });
      if (!fin) return false;
      opaque.server.finishLogin({ serverLoginState: s.serverLoginState, finishLoginRequest: fin.finishLoginRequest });
      return true;
    };
    expect(tryLogin(WRONG_PASSWORD)).toBe(false);
    expect(tryLogin(row['pake_password']!)).toBe(false); // the record itself is not a password
    expect(tryLogin(PASSWORD)).toBe(true); // the same check passes with the real one
    const sealed = (await redis.hget('socp:identity', 'opaque_setup'))!;
    expect(() => openSetup(sealed, randomSecret())).toThrow(/SOCP_KEY_PASSPHRASE/);
  } finally {
    redis.disconnect();
  }
});

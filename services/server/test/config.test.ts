/** loadConfig: defaults per docs/contracts.md, every problem listed at once, frozen result. */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { loadConfig } from '../src/config';

jest.setTimeout(30_000); // RSA-4096 keygen under a loaded 2-core machine

let key: RsaPrivateKey;
let dir: string;
beforeAll(async () => {
  key = await generateKeyPair();
  dir = mkdtempSync(join(tmpdir(), 'socp-cfg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const boot = () => JSON.stringify([{ host: '127.0.0.1', port: 9100, pubkey: key.publicKey.toBase64Url() }]);

test('defaults follow the contract and the result is deeply frozen', () => {
  const c = loadConfig({ SOCP_BOOTSTRAP: boot(), SOCP_KEY_PASSPHRASE: 'x' });
  expect(c).toMatchObject({
    redisUrl: 'redis://127.0.0.1:6379', host: '0.0.0.0', port: 9101, adminHost: '0.0.0.0', adminPort: 9180, advertisePort: 9101,
    serverKeyFormat: 'der', rsaPrimes: 4, heartbeatMs: 15000, deadAfterMs: 45000, backoffMs: [1000, 2000, 5000, 10000, 30000], dedupeTtlMs: 300000, logLevel: 'info',
  });
  expect(Object.isFrozen(c) && Object.isFrozen(c.bootstrap) && Object.isFrozen(c.bootstrap[0])).toBe(true);
});

test('_FILE variants are read', () => {
  writeFileSync(join(dir, 'pass'), 'secret\n');
  writeFileSync(join(dir, 'boot.json'), boot());
  const c = loadConfig({ SOCP_BOOTSTRAP_FILE: join(dir, 'boot.json'), SOCP_KEY_PASSPHRASE_FILE: join(dir, 'pass'), SOCP_PORT: '7000' });
  expect(c.keyPassphrase).toBe('secret');
  expect(c.bootstrap[0]!.port).toBe(9100);
  expect(c.advertisePort).toBe(7000);
});

test('SOCP_REDIS_PASSWORD_FILE is read, checked, and none means no AUTH; a unix socket path is a valid SOCP_REDIS_URL', () => {
  writeFileSync(join(dir, 'redis.pass'), 'r3dis-pass\n');
  writeFileSync(join(dir, 'empty.pass'), '\n');
  const base = { SOCP_BOOTSTRAP: boot(), SOCP_KEY_PASSPHRASE: 'x' };
  expect(loadConfig(base).redisPassword).toBeUndefined();
  const c = loadConfig({ ...base, SOCP_REDIS_PASSWORD_FILE: join(dir, 'redis.pass'), SOCP_REDIS_URL: '/run/redis/sock/redis.sock' });
  expect(c.redisPassword).toBe('r3dis-pass');
  expect(c.redisUrl).toBe('/run/redis/sock/redis.sock');
  for (const file of [join(dir, 'empty.pass'), join(dir, 'missing.pass')]) {
    expect(() => loadConfig({ ...base, SOCP_REDIS_PASSWORD_FILE: file })).toThrow(/SOCP_REDIS_PASSWORD_FILE/);
  }
});

test('every problem is listed in one SOCP_ERR_CONFIG error', () => {
  let err: { code?: string; message?: string } = {};
  try {
    loadConfig({
      SOCP_PORT: 'abc', SOCP_HEARTBEAT_MS: '50000', SOCP_DEAD_AFTER_MS: '100', SOCP_SERVER_KEY_FORMAT: 'jwk', SOCP_LOG_LEVEL: 'loud', SOCP_RSA_PRIMES: '1',
      SOCP_BACKOFF_MS: '1,x', SOCP_REDIS_URL: 'http://x', SOCP_BOOTSTRAP: JSON.stringify([{ host: '', port: 0, pubkey: 'AAAA' }]),
    });
  } catch (e) {
    err = e as typeof err;
  }
  expect(err.code).toBe('SOCP_ERR_CONFIG');
  for (const k of ['SOCP_PORT', 'SOCP_DEAD_AFTER_MS', 'SOCP_SERVER_KEY_FORMAT', 'SOCP_RSA_PRIMES', 'SOCP_LOG_LEVEL', 'SOCP_BACKOFF_MS', 'SOCP_REDIS_URL', 'SOCP_KEY_PASSPHRASE', 'SOCP_BOOTSTRAP[0].host', 'SOCP_BOOTSTRAP[0].port', 'SOCP_BOOTSTRAP[0].pubkey']) {
    expect(err.message).toContain(k);
  }
});

/**
 * The server's identity key (identity.ts): made on first start with the configured prime count
 * (SOCP_RSA_PRIMES), kept in Redis as encrypted PKCS#8, and read back as it is on every later
 * start — whatever the setting says then (stored keys are only read, never regenerated).
 */
import { Redis } from 'ioredis';
import { RedisStore } from '../src/adapters/redis-store';
import { loadOrCreateIdentity } from '../src/identity';
import { RedisProcess } from './helpers/redis-process';

jest.setTimeout(60_000); // RSA-4096 keygen and a redis-server on a loaded 2-core machine

let redisProc: RedisProcess;
let redis: Redis;
beforeAll(async () => {
  redisProc = await RedisProcess.start();
  redis = new Redis(redisProc.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await redisProc.dispose();
});
beforeEach(() => redis.flushall());

test.each([2, 3, 4] as const)('first start makes a %i-prime RSA-4096 key; later starts read it back unchanged, whatever SOCP_RSA_PRIMES says', async (primes) => {
  const store = new RedisStore(redis);
  const first = await loadOrCreateIdentity(store, 'test-only passphrase', primes);
  expect(first.created).toBe(true);
  expect(first.key.primeCount).toBe(primes);
  expect(first.key.publicKey.keyObject.asymmetricKeyDetails).toMatchObject({ modulusLength: 4096, publicExponent: 65537n });
  const again = await loadOrCreateIdentity(store, 'test-only passphrase', primes === 2 ? 4 : 2);
  expect(again.created).toBe(false);
  expect(again.serverId).toBe(first.serverId);
  expect(again.key.primeCount).toBe(primes);
  expect(again.key.publicKey.equals(first.key.publicKey)).toBe(true);
  const msg = Buffer.from('signed after a restart');
  expect(first.key.publicKey.verify(msg, again.key.sign(msg))).toBe(true);
});

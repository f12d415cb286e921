/**
 * The server's identity: server_id (UUIDv4) and RSA-4096 key (`rsaPrimes` primes, SOCP_RSA_PRIMES),
 * created on first start and kept
 * in Redis with the private key as encrypted PKCS#8 PEM (docs/contracts.md). A restart on the
 * same Redis reuses both; a wrong passphrase is SOCP_ERR_KEYSTORE (the process exits 1).
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, importPrivateKey, type RsaPrimeCount, type RsaPrivateKey } from '@socp/protocol';
import type { RedisStore } from './adapters/redis-store';

export interface Identity { serverId: string; key: RsaPrivateKey; created: boolean }

export async function loadOrCreateIdentity(store: RedisStore, passphrase: string, rsaPrimes: RsaPrimeCount): Promise<Identity> {
  const stored = await store.loadIdentity();
  if (stored) return { serverId: stored.serverId, key: importPrivateKey(stored.keyPem, passphrase), created: false };
  const key = await generateKeyPair(rsaPrimes);
  const serverId = randomUUID();
  await store.saveIdentity({ serverId, keyPem: key.toEncryptedPem(passphrase) });
  return { serverId, key, created: true };
}

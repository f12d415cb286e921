/**
 * Durable files of the introducer's data dir: atomic writes (temp file + fsync + rename + dir
 * fsync), the encrypted key file, and the introducer's own persisted UUID.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, importPrivateKey, SocpError, UUID_RE, type RsaPrimeCount, type RsaPrivateKey } from '@socp/protocol';

/** Write `data` so a crash leaves either the old or the new file, never a torn one. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Open the encrypted PKCS#8 key at `path`, or create (mode 0600) and return a fresh RSA-4096 key of `rsaPrimes` primes. */
export async function loadOrCreateKey(path: string, passphrase: string, rsaPrimes: RsaPrimeCount): Promise<{ key: RsaPrivateKey; created: boolean }> {
  if (existsSync(path)) return { key: importPrivateKey(readFileSync(path), passphrase), created: false };
  const key = await generateKeyPair(rsaPrimes);
  writeFileAtomic(path, key.toEncryptedPem(passphrase), 0o600);
  return { key, created: true };
}

/** The introducer's own UUIDv4, created once and kept in `<dataDir>/id`. */
export function loadOrCreateId(path: string): string {
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim();
    if (!UUID_RE.test(id)) throw new SocpError('SOCP_ERR_CONFIG', `${path} does not hold a UUIDv4; refusing to change identity`);
    return id;
  }
  const id = randomUUID();
  writeFileAtomic(path, `${id}\n`, 0o600);
  return id;
}

/** The introducer's key file (data-files.ts loadOrCreateKey, also behind the key tool): made with the configured prime count, read back as stored. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateKey } from '../src/data-files';
import { removeDir, tempDir } from './helpers';

jest.setTimeout(60_000); // RSA-4096 keygen on a loaded 2-core machine

test.each([2, 3, 4] as const)('a missing key file gets a fresh %i-prime RSA-4096 key (0600); an existing one is read, not replaced', async (primes) => {
  const dir = tempDir();
  try {
    const path = join(dir, 'introducer.key.pem');
    const made = await loadOrCreateKey(path, 'test-only passphrase', primes);
    expect(made.created).toBe(true);
    expect(made.key.primeCount).toBe(primes);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const read = await loadOrCreateKey(path, 'test-only passphrase', primes === 4 ? 2 : 4);
    expect(read.created).toBe(false);
    expect(read.key.primeCount).toBe(primes);
    expect(read.key.publicKey.equals(made.key.publicKey)).toBe(true);
  } finally {
    removeDir(dir);
  }
});

/**
 * Shared fixtures for the unit lane: the committed TEST-ONLY RSA-4096 keys of
 * tests/vectors/keys.json (so most files need no key generation) and a JSON loader for the
 * vector files that tests/vectors/generate.py writes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPrivateKey, type RsaPrivateKey } from '@socp/protocol';

export const VECTORS_DIR = join(__dirname, '..', '..', '..', '..', 'tests', 'vectors');

export function loadVectors<T>(file: string): T & { _generated: string } {
  return JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as T & { _generated: string };
}

interface KeyEntry { private_pkcs8_pem: string; public_spki_b64url: string; user_id?: string }
interface KeysFile { alice: KeyEntry; bob: KeyEntry; bad: Record<string, KeyEntry> }

let cached: { alice: RsaPrivateKey; bob: RsaPrivateKey; aliceId: string; bobId: string; file: KeysFile } | undefined;
/** alice and bob: RSA-4096 private keys from the committed vector keys (parsed once per file). */
export function testKeys(): NonNullable<typeof cached> {
  if (!cached) {
    const file = loadVectors<KeysFile>('keys.json');
    cached = {
      alice: importPrivateKey(file.alice.private_pkcs8_pem),
      bob: importPrivateKey(file.bob.private_pkcs8_pem),
      aliceId: file.alice.user_id!,
      bobId: file.bob.user_id!,
      file,
    };
  }
  return cached;
}

export const SERVER_ID = '6b0f3c1e-8d52-4a7e-9f3a-2c4d5e6f7a81';
export const PEER_ID = 'a1b2c3d4-0000-4000-8000-000000000001';

/** The SocpError code of what `f` throws (undefined when it does not throw). */
export function thrownCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `non-coded: ${String(e)}`;
  }
  return undefined;
}

#!/usr/bin/env node
/**
 * Key tool (docs/contracts.md): `node services/introducer/dist/keygen.js --out FILE`.
 * Writes a fresh RSA-4096 key as encrypted PKCS#8 PEM (mode 0600) and prints its public key,
 * base64url(DER SPKI), on stdout. If FILE already exists it is opened, not replaced, and its
 * public key is printed (so the command is idempotent in deploy scripts).
 * Passphrase: SOCP_KEY_PASSPHRASE, or the first line of SOCP_KEY_PASSPHRASE_FILE. Primes of a new
 * key: SOCP_RSA_PRIMES (2, 3 or 4; default 4, as for the introducer itself).
 */
import { isSocpError } from '@socp/protocol';
import { endProcess } from '@socp/node';
import { loadKeyToolConfig } from './config';
import { loadOrCreateKey } from './data-files';

const USAGE = 'usage: keygen --out FILE   (passphrase from SOCP_KEY_PASSPHRASE or SOCP_KEY_PASSPHRASE_FILE)';

async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf('--out');
  const out = i >= 0 ? argv[i + 1] : undefined;
  if (!out || argv.includes('--help')) {
    process.stderr.write(`${USAGE}\n`);
    return out ? 0 : 2;
  }
  const { passphrase, rsaPrimes } = loadKeyToolConfig(process.env);
  if (passphrase === '') {
    process.stderr.write(`keygen: no passphrase\n${USAGE}\n`);
    return 2;
  }
  const { key, created } = await loadOrCreateKey(out, passphrase, rsaPrimes);
  process.stderr.write(created ? `keygen: wrote ${out}\n` : `keygen: ${out} exists, kept it\n`);
  process.stdout.write(`${key.publicKey.toBase64Url()}\n`);
  return 0;
}

const end = (code: number): void => endProcess(code, { onForced: (open) => process.stderr.write(`keygen: exit forced; still open: ${open.join(', ')}\n`) });
main(process.argv.slice(2)).then(end, (e: unknown) => {
  process.stderr.write(`keygen: ${isSocpError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
  end(1);
});

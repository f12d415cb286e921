/**
 * Last step of the reverse-direction vectors (tests/vectors/check-ours.sh): Python
 * `cryptography` encrypted to OUR fresh keys of 2, 3 and 4 primes (verify_ours.py --theirs);
 * here our library decrypts each block with the matching TEST-ONLY private key from
 * emit-vectors' output and compares the plaintext. A tampered block (`expect: false`) must be
 * refused with SOCP_ERR_DECRYPT. Prints a one-line summary; exits 1 on any mismatch.
 *
 *   node libs/socp/dist/tools/decrypt-theirs.js --ours OURS.json --theirs THEIRS.json
 */
import { readFileSync } from 'node:fs';
import { importPrivateKeyDer, isSocpError, b64urlDecode } from '@socp/protocol';

interface OursKey { name: string; primes: number; private_pkcs8_der_b64url: string }
interface TheirBlock { key: string; name: string; plaintext_hex: string; ciphertext: string; expect: boolean }

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`usage: decrypt-theirs --ours <ours.json> --theirs <theirs.json>  (missing ${name})`);
  return v;
}

function main(): number {
  const ours = JSON.parse(readFileSync(arg('--ours'), 'utf8')) as { multi_prime: OursKey[] };
  const theirs = JSON.parse(readFileSync(arg('--theirs'), 'utf8')) as { oaep_to_ours: TheirBlock[] };
  const keys = new Map(ours.multi_prime.map((k) => [k.name, importPrivateKeyDer(b64urlDecode(k.private_pkcs8_der_b64url)!)]));
  const failed: string[] = [];
  for (const b of theirs.oaep_to_ours) {
    const key = keys.get(b.key);
    let got: boolean;
    try {
      got = !!key && key.decrypt(b64urlDecode(b.ciphertext)!).toString('hex') === b.plaintext_hex;
    } catch (e) {
      if (!isSocpError(e) || e.code !== 'SOCP_ERR_DECRYPT') throw e;
      got = false;
    }
    if (got !== b.expect) failed.push(`${b.key}: ${b.name}`);
  }
  for (const f of failed) process.stderr.write(`decrypt-theirs: FAIL ${f}\n`);
  const tampered = theirs.oaep_to_ours.filter((b) => !b.expect);
  const refused = tampered.filter((b) => !failed.includes(`${b.key}: ${b.name}`)).length;
  process.stdout.write(`decrypt-theirs: ${theirs.oaep_to_ours.length - failed.length}/${theirs.oaep_to_ours.length} blocks Python encrypted to our ${[...keys.keys()].join(', ')} keys as expected (${refused}/${tampered.length} tampered refused)\n`);
  return failed.length > 0 || theirs.oaep_to_ours.length === 0 ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e: unknown) {
  process.stderr.write(`decrypt-theirs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}

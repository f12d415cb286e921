/**
 * The OPAQUE server setup (its long-term OPRF seed and AKE key pair) is part of the server's
 * identity: kept in `socp:identity` field `opaque_setup`, encrypted under SOCP_KEY_PASSPHRASE
 * (scrypt N=2^15, r=8, p=1 → AES-256-GCM with additional data "socp-opaque-setup/1", by the one
 * at-rest sealer: @socp/protocol crypto/at-rest.ts). Envelope: "v1.<salt>.<iv>.<tag>.<ciphertext>",
 * base64url parts. Without the passphrase a Redis copy cannot run the server side of a login.
 */
import { atRestSalt, joinDotted, openAtRest, scryptKeySync, sealAtRest, splitDotted, SocpError } from '@socp/protocol';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const AAD = Buffer.from('socp-opaque-setup/1');

export function sealSetup(setup: string, passphrase: string): string {
  const salt = atRestSalt();
  const s = sealAtRest(scryptKeySync(passphrase, salt, SCRYPT), Buffer.from(setup, 'utf8'), AAD);
  return joinDotted('v1', [salt, s.iv, s.tag, s.ciphertext]);
}

export function openSetup(sealed: string, passphrase: string): string {
  const [salt, iv, tag, ciphertext] = splitDotted(sealed, 'v1', 4) ?? [];
  if (!salt || !iv || !tag || !ciphertext) throw new SocpError('SOCP_ERR_KEYSTORE', 'stored OPAQUE setup is corrupt');
  try {
    return openAtRest(scryptKeySync(passphrase, salt, SCRYPT), { iv, tag, ciphertext }, AAD).toString('utf8');
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'cannot decrypt the OPAQUE setup: wrong SOCP_KEY_PASSPHRASE');
  }
}

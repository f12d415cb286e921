/**
 * The OPAQUE server setup (its long-term OPRF seed and AKE key pair) is part of the server's
 * identity: kept in `socp:identity` field `opaque_setup`, encrypted under SOCP_KEY_PASSPHRASE
 * (scrypt N=2^15 → AES-256-GCM, like a keystore). Without the passphrase a Redis copy cannot
 * run the server side of a login.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { SocpError } from '@socp/protocol';

const N = 2 ** 15;
const AAD = Buffer.from('socp-opaque-setup/1');

export function sealSetup(setup: string, passphrase: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32, { N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), iv);
  c.setAAD(AAD);
  const ct = Buffer.concat([c.update(setup, 'utf8'), c.final()]);
  return ['v1', salt, iv, c.getAuthTag(), ct].map((x) => (typeof x === 'string' ? x : x.toString('base64url'))).join('.');
}

export function openSetup(sealed: string, passphrase: string): string {
  const [v, salt, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !salt || !iv || !tag || !ct) throw new SocpError('SOCP_ERR_KEYSTORE', 'stored OPAQUE setup is corrupt');
  try {
    const d = createDecipheriv('aes-256-gcm', scryptSync(passphrase, Buffer.from(salt, 'base64url'), 32, { N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), Buffer.from(iv, 'base64url'));
    d.setAAD(AAD);
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'cannot decrypt the OPAQUE setup: wrong SOCP_KEY_PASSPHRASE');
  }
}

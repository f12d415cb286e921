/**
 * `privkey_store` (docs/accounts.md): the user's RSA private key as the home server keeps it,
 * encrypted here, on the client, under a key derived from the OPAQUE export key (which only a
 * client that knows the password can compute): HKDF-SHA256(export_key, salt = user_id,
 * info = "socp-privkey-store/1") → AES-256-GCM over the PKCS#8 DER, with user_id and the
 * public key as additional data. At rest only; the server never sees the clear key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { importPrivateKeyDer, SocpError, type RsaPrivateKey } from '@socp/protocol';

const INFO = 'socp-privkey-store/1';

function keyOf(exportKey: string, userId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(exportKey, 'base64url'), Buffer.from(userId, 'utf8'), INFO, 32));
}

export function sealPrivkeyStore(key: RsaPrivateKey, userId: string, exportKey: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyOf(exportKey, userId), iv);
  c.setAAD(Buffer.from(`${userId}|${key.publicKey.b64url}`, 'utf8'));
  const der = key.toPkcs8Der();
  const ct = Buffer.concat([c.update(der), c.final()]);
  der.fill(0);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function openPrivkeyStore(store: string, userId: string, pubkey: string, exportKey: string): RsaPrivateKey {
  const [v, iv, tag, ct] = store.split('.');
  if (v !== 'v1' || !iv || !tag || !ct) throw new SocpError('SOCP_ERR_KEYSTORE', 'the server sent an unreadable privkey_store');
  let der: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', keyOf(exportKey, userId), Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(`${userId}|${pubkey}`, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    der = Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]);
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'privkey_store does not decrypt (tampered by the server?)');
  }
  const key = importPrivateKeyDer(der);
  der.fill(0);
  if (key.publicKey.b64url !== pubkey) throw new SocpError('SOCP_ERR_KEYSTORE', 'privkey_store holds another key than the account pubkey');
  return key;
}

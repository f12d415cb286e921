/**
 * `privkey_store` (docs/accounts.md): the user's RSA private key as the home server keeps it,
 * encrypted here, on the client, under a key derived from the OPAQUE export key (which only a
 * client that knows the password can compute): HKDF-SHA256(export_key, salt = user_id,
 * info = "socp-privkey-store/1") → AES-256-GCM over the PKCS#8 DER, with user_id and the
 * public key as additional data, sealed by the one at-rest sealer (@socp/protocol
 * crypto/at-rest.ts). Envelope: "v1.<iv>.<tag>.<ciphertext>", base64url parts. At rest only;
 * the server never sees the clear key.
 */
import { hkdfKey, importPrivateKeyDer, joinDotted, openAtRest, sealAtRest, splitDotted, SocpError, type RsaPrivateKey } from '@socp/protocol';

const INFO = 'socp-privkey-store/1';

const keyOf = (exportKey: string, userId: string): Buffer => hkdfKey(Buffer.from(exportKey, 'base64url'), Buffer.from(userId, 'utf8'), INFO);
const aadOf = (userId: string, pubkey: string): Buffer => Buffer.from(`${userId}|${pubkey}`, 'utf8');

export function sealPrivkeyStore(key: RsaPrivateKey, userId: string, exportKey: string): string {
  const der = key.toPkcs8Der();
  const s = sealAtRest(keyOf(exportKey, userId), der, aadOf(userId, key.publicKey.b64url));
  der.fill(0);
  return joinDotted('v1', [s.iv, s.tag, s.ciphertext]);
}

export function openPrivkeyStore(store: string, userId: string, pubkey: string, exportKey: string): RsaPrivateKey {
  const [iv, tag, ciphertext] = splitDotted(store, 'v1', 3) ?? [];
  if (!iv || !tag || !ciphertext) throw new SocpError('SOCP_ERR_KEYSTORE', 'the server sent an unreadable privkey_store');
  let der: Buffer;
  try {
    der = openAtRest(keyOf(exportKey, userId), { iv, tag, ciphertext }, aadOf(userId, pubkey));
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'privkey_store does not decrypt (tampered by the server?)');
  }
  const key = importPrivateKeyDer(der);
  der.fill(0);
  if (key.publicKey.b64url !== pubkey) throw new SocpError('SOCP_ERR_KEYSTORE', 'privkey_store holds another key than the account pubkey');
  return key;
}

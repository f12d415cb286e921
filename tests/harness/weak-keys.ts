/**
 * Keys the protocol must REJECT (1024-bit modulus, e = 3), for hostile tests. The library's
 * key objects refuse to even hold them, so these use node:crypto directly and sign a payload
 * exactly like `sealFrame` would (PSS-SHA256, max salt, over the canonical payload).
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { b64urlEncode, signingBytes } from '@socp/protocol';

export interface RawKey { pubkey: string; private: KeyObject; sign(payload: unknown): string }

export function rawRsaKey(modulusLength: number, publicExponent: number): RawKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength, publicExponent });
  return {
    pubkey: b64urlEncode(publicKey.export({ type: 'spki', format: 'der' })),
    private: privateKey,
    sign: (payload) => b64urlEncode(sign('sha256', signingBytes(payload), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN })),
  };
}

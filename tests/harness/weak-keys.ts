/**
 * Keys the protocol must REJECT (1024-bit modulus, e = 3), for hostile tests. The library's
 * key objects refuse to even hold them, so these use node:crypto directly and sign a payload
 * exactly like `sealFrame` would (PSS-SHA256, max salt, over the canonical payload).
 */
import { constants, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { b64urlEncode, signingBytes } from '@socp/protocol';

export interface RawKey { pubkey: string; private: KeyObject; sign(payload: unknown): string }

/** Generate (on the threadpool: a 4096-bit e = 3 key takes seconds) a raw RSA key of any shape. */
export function rawRsaKey(modulusLength: number, publicExponent: number): Promise<RawKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength, publicExponent }, (e, publicKey, privateKey) => {
      if (e) return reject(e);
      resolve({
        pubkey: b64urlEncode(publicKey.export({ type: 'spki', format: 'der' })),
        private: privateKey,
        sign: (payload) => b64urlEncode(sign('sha256', signingBytes(payload), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN })),
      });
    });
  });
}

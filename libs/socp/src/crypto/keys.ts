/**
 * RSA-4096 key objects — the only module family that imports node:crypto (S5).
 *
 * Algorithms are fixed here, never chosen by callers (SPEC.md §5 + [profile]):
 *  - signatures: RSASSA-PSS, SHA-256, MGF1-SHA-256; SIGN with the maximum salt length
 *    (478 bytes), VERIFY with automatic salt detection (accepts 32-byte-salt signers too);
 *  - encryption: RSA-OAEP, SHA-256, MGF1-SHA-256, empty label; plaintext ≤ 446 bytes;
 *  - keys: modulus exactly 4096 bits, public exponent 65537; anything else is BAD_KEY.
 *
 * Public keys are emitted as base64url(DER SubjectPublicKeyInfo) ("MIICIjANBgkq…", 734 chars).
 * `importPublicKey` also accepts base64url of PEM text, padded/standard base64, and DER PKCS#1,
 * and is the single place the BAD_KEY checks happen.
 */

import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as genKeyPairCb,
  privateDecrypt,
  publicEncrypt,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { OAEP_MAX_PLAINTEXT_BYTES, RSA_MODULUS_BITS, RSA_PUBLIC_EXPONENT, MAX_PUBKEY_CHARS } from '../constants';
import { SocpError } from '../errors';
import { b64StdDecode, b64urlDecode, b64urlEncode } from '../encoding/base64url';
import { DEFAULT_RSA_PRIMES, generateMultiPrimeKeyObject, isRsaPrimeCount, type RsaPrimeCount } from './multi-prime';

const PSS_SIGN = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN } as const;
const PSS_VERIFY = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO } as const;
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

/** Throws BAD_KEY unless `key` is RSA with a 4096-bit modulus and e = 65537. */
function assertStrongRsa(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'rsa') throw new SocpError('BAD_KEY', `key type ${key.asymmetricKeyType ?? 'unknown'} is not RSA`);
  const d = key.asymmetricKeyDetails;
  if (d?.modulusLength !== RSA_MODULUS_BITS) throw new SocpError('BAD_KEY', `modulus is ${d?.modulusLength ?? '?'} bits, not ${RSA_MODULUS_BITS}`);
  if (d.publicExponent !== BigInt(RSA_PUBLIC_EXPONENT)) throw new SocpError('BAD_KEY', `public exponent ${String(d.publicExponent)} is not 65537`);
}

export class RsaPublicKey {
  /** base64url(DER SPKI): the one form we emit, and the identity used by `equals`. */
  readonly b64url: string;
  private fp: string | undefined;
  private constructor(readonly keyObject: KeyObject) {
    this.b64url = b64urlEncode(keyObject.export({ type: 'spki', format: 'der' }));
  }
  /** @internal Wrap a KeyObject that has passed assertStrongRsa. */
  static fromKeyObject(k: KeyObject): RsaPublicKey {
    assertStrongRsa(k);
    return new RsaPublicKey(k);
  }

  /** base64url(DER SPKI). */
  toBase64Url(): string {
    return this.b64url;
  }
  /** base64url of the SPKI PEM text (a server setting selects it for peers that need PEM). */
  toPemBase64Url(): string {
    return b64urlEncode(Buffer.from(this.toPem(), 'utf8'));
  }
  toPem(): string {
    return this.keyObject.export({ type: 'spki', format: 'pem' }).toString();
  }
  /** Same key material, whatever encoding it arrived in. */
  equals(other: RsaPublicKey): boolean {
    return this.b64url === other.b64url;
  }
  /** SHA-256 of the DER SPKI, hex, grouped for humans (compare out of band). */
  fingerprint(): string {
    this.fp ??= createHash('sha256').update(this.keyObject.export({ type: 'spki', format: 'der' })).digest('hex');
    return this.fp;
  }

  /** RSASSA-PSS-SHA256 verify with automatic salt detection. Never throws: false on any failure. */
  verify(data: Uint8Array, signature: Uint8Array): boolean {
    try {
      return cryptoVerify('sha256', data, { key: this.keyObject, ...PSS_VERIFY }, signature);
    } catch {
      return false; // malformed signature length etc. is just "does not verify"
    }
  }
  /** RSA-OAEP-SHA256 encrypt; throws SOCP_ERR_PLAINTEXT_TOO_LONG above 446 bytes. Output: 512 bytes. */
  encrypt(plaintext: Uint8Array): Buffer {
    if (plaintext.byteLength > OAEP_MAX_PLAINTEXT_BYTES) {
      throw new SocpError('SOCP_ERR_PLAINTEXT_TOO_LONG', `OAEP plaintext is ${plaintext.byteLength} bytes; RSA-4096/SHA-256 allows at most ${OAEP_MAX_PLAINTEXT_BYTES}`);
    }
    return publicEncrypt({ key: this.keyObject, ...OAEP }, plaintext);
  }
}

export class RsaPrivateKey {
  readonly publicKey: RsaPublicKey;
  /** The same key for WebCrypto's RSA-OAEP (made on first use): its decrypt runs on the threadpool. */
  private oaepKey: webcrypto.CryptoKey | undefined;
  private constructor(private readonly keyObject: KeyObject) {
    this.publicKey = RsaPublicKey.fromKeyObject(createPublicKey(keyObject));
  }
  /** @internal */
  static fromKeyObject(k: KeyObject): RsaPrivateKey {
    assertStrongRsa(k);
    return new RsaPrivateKey(k);
  }

  /** RSASSA-PSS-SHA256 with max salt, synchronous (blocks the event loop ~1.3 ms). */
  sign(data: Uint8Array): Buffer {
    return cryptoSign('sha256', data, { key: this.keyObject, ...PSS_SIGN });
  }
  /** Same signature, computed on the libuv threadpool so the event loop keeps running. */
  signAsync(data: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      cryptoSign('sha256', data, { key: this.keyObject, ...PSS_SIGN }, (e, sig) => (e ? reject(e) : resolve(sig)));
    });
  }
  /** RSA-OAEP-SHA256 decrypt; throws SOCP_ERR_DECRYPT on any failure. */
  decrypt(ciphertext: Uint8Array): Buffer {
    try {
      return privateDecrypt({ key: this.keyObject, ...OAEP }, ciphertext);
    } catch (e) {
      throw new SocpError('SOCP_ERR_DECRYPT', 'ciphertext does not decrypt under this key', { cause: e });
    }
  }
  /**
   * The same RSA-OAEP-SHA256 decrypt (MGF1-SHA256, empty label), computed on the libuv threadpool
   * (WebCrypto) so the event loop keeps running and several blocks use several cores; rejects
   * with SOCP_ERR_DECRYPT on any failure.
   */
  async decryptAsync(ciphertext: Uint8Array): Promise<Buffer> {
    this.oaepKey ??= this.keyObject.toCryptoKey({ name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    try {
      return Buffer.from(await webcrypto.subtle.decrypt({ name: 'RSA-OAEP' }, this.oaepKey, ciphertext));
    } catch (e) {
      throw new SocpError('SOCP_ERR_DECRYPT', 'ciphertext does not decrypt under this key', { cause: e });
    }
  }
  /** PKCS#8 PEM, encrypted with AES-256-CBC under a scrypt-free PBES2 passphrase key (OpenSSL default PBKDF2). */
  toEncryptedPem(passphrase: string): string {
    if (passphrase.length === 0) throw new SocpError('SOCP_ERR_KEYSTORE', 'refusing to export a private key without a passphrase');
    return this.keyObject.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
  }
  /** How many primes the modulus has: 2, or 3–4 for an RFC 8017 multi-prime key (for reports). */
  get primeCount(): number {
    const oth = this.keyObject.export({ format: 'jwk' })['oth']; // JWK "other primes info" (RFC 7518 §6.3.2.7)
    return 2 + (Array.isArray(oth) ? oth.length : 0);
  }
  /** @internal for the test-vector tooling and keystores that add their own encryption layer. */
  toPkcs8Der(): Buffer {
    return this.keyObject.export({ type: 'pkcs8', format: 'der' });
  }
  /** @internal for the test-vector tooling: PKCS#1 RSAPrivateKey DER (version 1 for multi-prime keys). */
  toPkcs1Der(): Buffer {
    return this.keyObject.export({ type: 'pkcs1', format: 'der' });
  }
}

function twoPrimeKeyObject(): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    genKeyPairCb('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: RSA_PUBLIC_EXPONENT }, (e, _pub, priv) => (e ? reject(e) : resolve(priv)));
  });
}

/** Pairwise-consistency test of a fresh key: a PSS signature verifies and an OAEP block decrypts. */
function selfTest(key: RsaPrivateKey): RsaPrivateKey {
  const probe = Buffer.from('socp key self-test');
  const ok = key.publicKey.verify(probe, key.sign(probe)) && key.decrypt(key.publicKey.encrypt(probe)).equals(probe);
  if (!ok) throw new SocpError('SOCP_ERR_INTERNAL', 'a freshly generated key failed its sign/verify or encrypt/decrypt self-test');
  return key;
}

/**
 * Generate a fresh RSA-4096 / e = 65537 private key with `primes` primes (RFC 8017 multi-prime
 * for 3 or 4; 2 is Node's own generateKeyPair), off the main thread: the prime search runs on
 * the threadpool (~0.1–0.5 s for 4 primes, ~0.5–3 s for 2 on an idle core). The key passes the
 * BAD_KEY checks and a sign/verify + encrypt/decrypt self-test before it is returned. Callers
 * pass their configured count (SOCP_RSA_PRIMES); the default is DEFAULT_RSA_PRIMES.
 */
export async function generateKeyPair(primes: RsaPrimeCount = DEFAULT_RSA_PRIMES): Promise<RsaPrivateKey> {
  if (!isRsaPrimeCount(primes)) throw new SocpError('SOCP_ERR_CONFIG', `an RSA-4096 key has 2, 3 or 4 primes, not ${String(primes)}`);
  const k = primes === 2 ? await twoPrimeKeyObject() : await generateMultiPrimeKeyObject(primes);
  return selfTest(RsaPrivateKey.fromKeyObject(k));
}

function tryKey(f: () => KeyObject): KeyObject | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * Parse a public key in any tolerated encoding (SPEC.md §4 [profile]) and apply the BAD_KEY
 * checks. Order: base64url(DER SPKI), base64url(PEM text), padded/standard base64 of either,
 * DER PKCS#1. Throws SocpError('BAD_KEY') on anything else.
 */
export function importPublicKey(encoded: string): RsaPublicKey {
  if (typeof encoded !== 'string' || encoded.length === 0 || encoded.length > MAX_PUBKEY_CHARS) {
    throw new SocpError('BAD_KEY', 'public key missing or too long');
  }
  const text = encoded.trim();
  let key: KeyObject | undefined;
  if (text.startsWith('-----BEGIN')) key = tryKey(() => createPublicKey(text));
  const bytes = key ? undefined : (b64urlDecode(text) ?? b64StdDecode(text));
  if (!key && bytes) {
    const asText = bytes.subarray(0, 11).toString('latin1');
    if (asText === '-----BEGIN ') key = tryKey(() => createPublicKey(bytes.toString('utf8')));
    else key = tryKey(() => createPublicKey({ key: bytes, format: 'der', type: 'spki' })) ?? tryKey(() => createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' }));
  }
  if (!key) throw new SocpError('BAD_KEY', 'public key is not DER SPKI, PEM or DER PKCS#1 in base64url');
  return RsaPublicKey.fromKeyObject(key);
}

/** Non-throwing import: the parsed key, or undefined. Caches by encoded text (keys repeat on every frame). */
const publicKeyCache = new Map<string, RsaPublicKey | SocpError>();
const PUBLIC_KEY_CACHE_MAX = 20_000;
export function importPublicKeyCached(encoded: string): RsaPublicKey {
  const hit = publicKeyCache.get(encoded);
  if (hit instanceof RsaPublicKey) return hit;
  if (hit) throw hit;
  let v: RsaPublicKey | SocpError;
  try {
    v = importPublicKey(encoded);
  } catch (e) {
    v = e instanceof SocpError ? e : new SocpError('BAD_KEY', 'unparseable key');
  }
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.delete(publicKeyCache.keys().next().value!);
  publicKeyCache.set(encoded, v);
  if (v instanceof SocpError) throw v;
  return v;
}

/** Import a private key from PEM (PKCS#8 or PKCS#1; encrypted PEM needs the passphrase). */
export function importPrivateKey(pem: string | Buffer, passphrase?: string): RsaPrivateKey {
  let k: KeyObject;
  try {
    k = passphrase === undefined ? createPrivateKey(pem) : createPrivateKey({ key: pem, passphrase });
  } catch (e) {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'private key could not be opened (wrong passphrase or corrupt key)', { cause: e });
  }
  return RsaPrivateKey.fromKeyObject(k);
}

/** Import an unencrypted PKCS#8 DER private key (keystores that decrypt it themselves). */
export function importPrivateKeyDer(der: Buffer): RsaPrivateKey {
  let k: KeyObject;
  try {
    k = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'private key DER could not be parsed', { cause: e });
  }
  return RsaPrivateKey.fromKeyObject(k);
}

/** SHA-256 digest. */
export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** SHA-256 over data given piece by piece (a received file, chunk by chunk); `hex()` ends it. */
export interface Sha256Stream {
  update(data: Uint8Array): void;
  hex(): string;
}
export function sha256Stream(): Sha256Stream {
  const h = createHash('sha256');
  return { update: (data) => void h.update(data), hex: () => h.digest('hex') };
}

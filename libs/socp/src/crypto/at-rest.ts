/**
 * Secrets at rest: the one sealer (S5). For what we keep on disk or in Redis under a key only
 * its owner can derive — the client's keystore file and its `privkey_store` (docs/accounts.md),
 * the server's OPAQUE setup (`socp:identity` field `opaque_setup`). Not for frames on the wire:
 * those use the RSA key objects of keys.ts.
 *
 * The algorithm is fixed here and never chosen by callers:
 *  - AES-256-GCM under a 32-byte key (AT_REST_KEY_BYTES);
 *  - a fresh random 96-bit IV for every seal (a key may seal many values: never reuse an IV);
 *  - a 128-bit tag, and opening accepts no other length (a truncated tag would be forgeable);
 *  - optional additional data: authenticated, not encrypted. It binds the value to where it is
 *    kept (a file's header, the owner's user id), so neither can be edited or swapped unnoticed.
 *    Open with exactly the bytes that were sealed with; absent and empty are the same.
 *
 * `openAtRest` throws SocpError('SOCP_ERR_KEYSTORE') on any failure: wrong key, altered IV,
 * tag or ciphertext, other additional data. GCM cannot tell these apart; the caller knows the
 * likely one (a wrong password, a tampered store) and says so.
 *
 * The key comes from a KDF, offered beside the sealer: `scryptKey` for what a person types
 * (a password, a passphrase: slow on purpose, with a random salt kept next to the value) and
 * `hkdfKey` for a key that is already strong (the OPAQUE export key). How the IV, tag and
 * ciphertext are written down (keystore JSON fields, "v1.<iv>.<tag>.<ct>") belongs to each
 * stored format and stays with it, so that values sealed before this module still open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt, scryptSync } from 'node:crypto';
import { SocpError } from '../errors';

export const AT_REST_KEY_BYTES = 32;
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Salt bytes for scryptKey: 128 bits, fresh per sealed value. */
export const AT_REST_SALT_BYTES = 16;

/** The three parts of a sealed value; each stored format writes them down its own way. */
export interface SealedAtRest { iv: Buffer; tag: Buffer; ciphertext: Buffer }

function assertKey(key: Uint8Array): void {
  if (key.byteLength !== AT_REST_KEY_BYTES) throw new SocpError('SOCP_ERR_INTERNAL', `an at-rest key is ${AT_REST_KEY_BYTES} bytes, not ${key.byteLength}`);
}

/** Encrypt and authenticate `plaintext` (and `aad`, if given) under `key`. */
export function sealAtRest(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): SealedAtRest {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  if (aad !== undefined) c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, tag: c.getAuthTag(), ciphertext };
}

/** The plaintext of a sealed value; SOCP_ERR_KEYSTORE when it does not open (see above). */
export function openAtRest(key: Uint8Array, sealed: SealedAtRest, aad?: Uint8Array): Buffer {
  assertKey(key);
  try {
    if (sealed.tag.byteLength !== TAG_BYTES) throw new Error(`tag is ${sealed.tag.byteLength} bytes`);
    const d = createDecipheriv(CIPHER, key, sealed.iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) d.setAAD(aad);
    d.setAuthTag(sealed.tag);
    return Buffer.concat([d.update(sealed.ciphertext), d.final()]);
  } catch (e) {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'sealed value does not open (wrong key, or altered)', { cause: e });
  }
}

/**
 * The dotted envelope two stored formats share: a version tag, then base64url parts, joined by
 * "." ("v1.<iv>.<tag>.<ct>" for privkey_store, "v1.<salt>.<iv>.<tag>.<ct>" for the OPAQUE setup).
 */
export function joinDotted(version: string, parts: readonly Uint8Array[]): string {
  return [version, ...parts.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64url'))].join('.');
}

/** The `count` parts of a dotted envelope of `version`; undefined when it has another form. */
export function splitDotted(text: string, version: string, count: number): Buffer[] | undefined {
  const [v, ...parts] = text.split('.');
  if (v !== version || parts.length !== count || parts.some((x) => !/^[A-Za-z0-9_-]+$/.test(x))) return undefined;
  return parts.map((x) => Buffer.from(x, 'base64url'));
}

/** scrypt cost parameters; stored next to the value when they may change (the keystore). */
export interface ScryptParams { N: number; r: number; p: number }

/** Memory scrypt may use: twice its need (128·N·r·p bytes) plus 1 MiB of slack. */
const maxmem = ({ N, r, p }: ScryptParams): number => 256 * N * r * p + 1024 * 1024;

/** A fresh random salt for scryptKey. */
export function atRestSalt(): Buffer {
  return randomBytes(AT_REST_SALT_BYTES);
}

/** The 32-byte key of a password or passphrase (used as given: normalise it first if the format says so), on the threadpool. */
export function scryptKey(secret: string | Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, AT_REST_KEY_BYTES, { ...params, maxmem: maxmem(params) }, (e, k) => (e ? reject(e) : resolve(k))),
  );
}

/** scryptKey, blocking (~100 ms at N = 2^15): for callers that are synchronous. */
export function scryptKeySync(secret: string | Uint8Array, salt: Uint8Array, params: ScryptParams): Buffer {
  return scryptSync(secret, salt, AT_REST_KEY_BYTES, { ...params, maxmem: maxmem(params) });
}

/** The 32-byte key HKDF-SHA256 draws from a key that is already strong (`ikm`), for one purpose (`info`). */
export function hkdfKey(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, AT_REST_KEY_BYTES));
}

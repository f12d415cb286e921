/**
 * The local keystore (SPEC.md §14.2 [profile]): the user's RSA-4096 private key encrypted
 * at rest under a key derived from the password — scrypt (N = 2^15, r = 8, p = 1, 16-byte
 * salt) → 32-byte key → AES-256-GCM over the PKCS#8 DER, sealed by the one at-rest sealer
 * (@socp/protocol crypto/at-rest.ts); this file keeps its envelope, the JSON below. The header
 * (name, user id, public key, KDF parameters) is the GCM additional data, so it cannot be
 * edited undetected.
 * A wrong password fails the GCM tag: SOCP_ERR_KEYSTORE, nothing else happens.
 *
 * File: $SOCP_HOME/accounts/<name>.json, mode 0600, in a 0700 directory.
 */
import { randomUUID } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  atRestSalt, canonicalJson, generateKeyPair, importPrivateKeyDer, openAtRest, scryptKey, sealAtRest, SocpError, type RsaPrimeCount, type RsaPrivateKey,
} from '@socp/protocol';
import { SCRYPT_N, SCRYPT_P, SCRYPT_R, USER_NAME_RE } from './limits';
import { writePrivateFile } from './private-files';

export const KEYSTORE_FORMAT = 'socp-keystore/1';

export interface Account { name: string; userId: string; key: RsaPrivateKey }

interface Header { format: string; name: string; user_id: string; pubkey: string; kdf: { alg: 'scrypt'; N: number; r: number; p: number; salt: string } }
interface KeystoreFile extends Header { cipher: { alg: 'aes-256-gcm'; iv: string; tag: string }; ciphertext: string }

const MAX_SCRYPT_N = 2 ** 20;

/** The file's key: the password, NFC-normalised, through scrypt (crypto/at-rest.ts). */
const deriveKey = (password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> => scryptKey(password.normalize('NFC'), salt, { N, r, p });

export function accountPath(home: string, name: string): string {
  if (!USER_NAME_RE.test(name)) throw new SocpError('SOCP_ERR_KEYSTORE', 'user names are 1–32 letters, digits, "_", "." or "-", starting with a letter or digit');
  return join(home, 'accounts', `${name}.json`);
}

export async function accountExists(home: string, name: string): Promise<boolean> {
  try {
    await access(accountPath(home, name));
    return true;
  } catch {
    return false;
  }
}

/** Encrypt and store `key` for `name`; refuses to overwrite an existing account. */
export async function saveAccount(home: string, account: Account, password: string): Promise<void> {
  const path = accountPath(home, account.name);
  if (await accountExists(home, account.name)) throw new SocpError('SOCP_ERR_KEYSTORE', `an account named ${account.name} already exists in ${home}`);
  const salt = atRestSalt();
  const header: Header = {
    format: KEYSTORE_FORMAT, name: account.name, user_id: account.userId, pubkey: account.key.publicKey.b64url,
    kdf: { alg: 'scrypt', N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, salt: salt.toString('base64url') },
  };
  const aes = await deriveKey(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  const der = account.key.toPkcs8Der();
  const s = sealAtRest(aes, der, Buffer.from(canonicalJson(header), 'utf8'));
  der.fill(0);
  const file: KeystoreFile = { ...header, cipher: { alg: 'aes-256-gcm', iv: s.iv.toString('base64url'), tag: s.tag.toString('base64url') }, ciphertext: s.ciphertext.toString('base64url') };
  await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** A fresh identity: RSA-4096 key of `rsaPrimes` primes (config SOCP_RSA_PRIMES) and UUIDv4. */
export async function newAccount(name: string, rsaPrimes: RsaPrimeCount): Promise<Account> {
  accountPath('.', name); // validates the name
  return { name, userId: randomUUID(), key: await generateKeyPair(rsaPrimes) };
}

function bad(what: string): never {
  throw new SocpError('SOCP_ERR_KEYSTORE', `keystore is corrupt (${what})`);
}

/** Open the account; SOCP_ERR_KEYSTORE "wrong password" when the GCM tag fails. */
export async function openAccount(home: string, name: string, password: string): Promise<Account> {
  const path = accountPath(home, name);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', `no account named ${name} in ${home} (run "socp signup" first)`);
  }
  let f: KeystoreFile;
  try {
    f = JSON.parse(raw) as KeystoreFile;
  } catch {
    bad('not JSON');
  }
  if (f.format !== KEYSTORE_FORMAT || f.kdf?.alg !== 'scrypt' || f.cipher?.alg !== 'aes-256-gcm') bad('unknown format');
  const { N, r, p } = f.kdf;
  if (![N, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || N > MAX_SCRYPT_N || N < SCRYPT_N || r > 32 || p > 16) bad('KDF parameters');
  const header: Header = { format: f.format, name: f.name, user_id: f.user_id, pubkey: f.pubkey, kdf: f.kdf };
  const aes = await deriveKey(password, Buffer.from(f.kdf.salt, 'base64url'), N, r, p);
  let der: Buffer;
  try {
    const sealed = { iv: Buffer.from(f.cipher.iv, 'base64url'), tag: Buffer.from(f.cipher.tag, 'base64url'), ciphertext: Buffer.from(f.ciphertext, 'base64url') };
    der = openAtRest(aes, sealed, Buffer.from(canonicalJson(header), 'utf8'));
  } catch {
    throw new SocpError('SOCP_ERR_KEYSTORE', 'wrong password');
  }
  const key = importPrivateKeyDer(der);
  der.fill(0);
  if (key.publicKey.b64url !== f.pubkey || f.name !== name) bad('key does not match its header');
  return { name: f.name, userId: f.user_id, key };
}

import { generateKeyPairSync } from 'node:crypto';
import {
  generateKeyPair, importPrivateKey, importPrivateKeyDer, importPublicKey, importPublicKeyCached, RsaPrivateKey,
  b64urlEncode, MAX_PUBKEY_CHARS, type RsaPublicKey,
} from '@socp/protocol';
import { testKeys, thrownCode } from '../helpers/fixtures';

let fresh: RsaPrivateKey;
beforeAll(async () => {
  fresh = await generateKeyPair(); // the one real keygen of this file
}, 120_000); // RSA-4096 keygen: ~1 s idle, much longer on a loaded 2-core machine
const { alice, file } = testKeys();

describe('generateKeyPair / export encodings', () => {
  test('a fresh key is RSA-4096, e = 65537, and exports b64url(DER SPKI) of 734 chars starting MIICIjANBgkq', () => {
    const d = fresh.publicKey.keyObject.asymmetricKeyDetails;
    expect(d?.modulusLength).toBe(4096);
    expect(d?.publicExponent).toBe(65537n);
    expect(fresh.publicKey.toBase64Url()).toMatch(/^MIICIjANBgkq[A-Za-z0-9_-]{722}$/);
  });
  test('PEM-in-base64url starts LS0tLS1CRUdJTi and imports back to the same key', () => {
    const pem = fresh.publicKey.toPemBase64Url();
    expect(pem.startsWith('LS0tLS1CRUdJTi')).toBe(true);
    expect(importPublicKey(pem).equals(fresh.publicKey)).toBe(true);
    expect(fresh.publicKey.toPem()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });
  test('fingerprint is sha256(DER SPKI) hex, stable', () => {
    expect(fresh.publicKey.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh.publicKey.fingerprint()).toBe(importPublicKey(fresh.publicKey.toBase64Url()).fingerprint());
    expect(fresh.publicKey.fingerprint()).not.toBe(alice.publicKey.fingerprint());
  });
  test('equals compares key material, not encoding', () => {
    expect(fresh.publicKey.equals(alice.publicKey)).toBe(false);
    expect(importPublicKey(Buffer.from(alice.publicKey.toPem()).toString('base64')).equals(alice.publicKey)).toBe(true);
  });
});

describe('importPublicKey: every tolerated encoding of a key made by Node', () => {
  const kobj = (): RsaPublicKey => fresh.publicKey;
  test.each([
    ['b64url DER SPKI', () => kobj().toBase64Url()],
    ['b64url PEM SPKI', () => kobj().toPemBase64Url()],
    ['padded std base64 DER SPKI', () => kobj().keyObject.export({ type: 'spki', format: 'der' }).toString('base64')],
    ['b64url DER PKCS#1', () => b64urlEncode(kobj().keyObject.export({ type: 'pkcs1', format: 'der' }))],
    ['b64url PEM PKCS#1', () => b64urlEncode(Buffer.from(kobj().keyObject.export({ type: 'pkcs1', format: 'pem' }) as string))],
    ['raw PEM text with surrounding whitespace', () => `\n${kobj().toPem()}  `],
  ])('%s', (_n, enc) => {
    expect(importPublicKey(enc()).toBase64Url()).toBe(fresh.publicKey.toBase64Url());
  });
});

describe('BAD_KEY checks (type, 4096-bit modulus, e = 65537)', () => {
  const spki = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) => b64urlEncode(k.export({ type: 'spki', format: 'der' }));
  test('RSA-2048 and RSA-1024 from Node', () => {
    for (const bits of [1024, 2048]) {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      expect(thrownCode(() => importPublicKey(spki(publicKey)))).toBe('BAD_KEY');
    }
  });
  test('EC P-256, Ed25519, X25519 and RSA-PSS-restricted keys', () => {
    expect(thrownCode(() => importPublicKey(spki(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)))).toBe('BAD_KEY');
    expect(thrownCode(() => importPublicKey(spki(generateKeyPairSync('ed25519').publicKey)))).toBe('BAD_KEY');
    expect(thrownCode(() => importPublicKey(spki(generateKeyPairSync('x25519').publicKey)))).toBe('BAD_KEY');
    expect(thrownCode(() => importPublicKey(spki(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey)))).toBe('BAD_KEY');
  });
  test('RSA-4096 with e = 3 (Python-made, keys.json)', () => {
    expect(thrownCode(() => importPublicKey(file.bad['rsa4096_e3']!.public_spki_b64url))).toBe('BAD_KEY');
  });
  test.each([
    ['empty', ''],
    ['too long', 'A'.repeat(MAX_PUBKEY_CHARS + 1)],
    ['garbage', '!!!!'],
    ['valid base64 of garbage', b64urlEncode(Buffer.from('not a key at all'))],
    ['PEM armour around garbage', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'],
  ])('unparseable: %s', (_n, text) => {
    expect(thrownCode(() => importPublicKey(text))).toBe('BAD_KEY');
  });
  test('non-string input is BAD_KEY, not a TypeError', () => {
    expect(thrownCode(() => importPublicKey(undefined as unknown as string))).toBe('BAD_KEY');
    expect(thrownCode(() => importPublicKey(42 as unknown as string))).toBe('BAD_KEY');
  });
  test('private keys that are too weak are refused as well', () => {
    expect(thrownCode(() => importPrivateKey(file.bad['rsa2048']!.private_pkcs8_pem))).toBe('BAD_KEY');
    expect(thrownCode(() => importPrivateKey(file.bad['ec_p256']!.private_pkcs8_pem))).toBe('BAD_KEY');
  });
});

describe('importPublicKeyCached', () => {
  test('returns the same object for the same text and re-throws a cached BAD_KEY', () => {
    const a = importPublicKeyCached(alice.publicKey.toBase64Url());
    expect(importPublicKeyCached(alice.publicKey.toBase64Url())).toBe(a);
    const weak = file.bad['rsa1024']!.public_spki_b64url;
    expect(thrownCode(() => importPublicKeyCached(weak))).toBe('BAD_KEY');
    expect(thrownCode(() => importPublicKeyCached(weak))).toBe('BAD_KEY');
  });
});

describe('private keys at rest', () => {
  test('encrypted PEM round-trips with the passphrase; wrong or missing passphrase is SOCP_ERR_KEYSTORE', () => {
    const pem = fresh.toEncryptedPem('correct horse');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(importPrivateKey(pem, 'correct horse').publicKey.equals(fresh.publicKey)).toBe(true);
    expect(thrownCode(() => importPrivateKey(pem, 'wrong'))).toBe('SOCP_ERR_KEYSTORE');
    expect(thrownCode(() => importPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toBe('SOCP_ERR_KEYSTORE');
    expect(thrownCode(() => fresh.toEncryptedPem(''))).toBe('SOCP_ERR_KEYSTORE');
  });
  test('PKCS#8 DER round-trips; garbage DER is SOCP_ERR_KEYSTORE', () => {
    expect(importPrivateKeyDer(fresh.toPkcs8Der()).publicKey.equals(fresh.publicKey)).toBe(true);
    expect(thrownCode(() => importPrivateKeyDer(Buffer.from('nope')))).toBe('SOCP_ERR_KEYSTORE');
  });
});

/**
 * PSS (sign with max salt, verify with auto salt) and OAEP-SHA256 (446-byte limit), with
 * fast-check properties: round trips, and any single-byte change rejected. RSA properties
 * keep numRuns small: each run costs a few ms of RSA.
 */
import { constants, createPrivateKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import { OAEP_MAX_PLAINTEXT_BYTES, PSS_MAX_SALT_BYTES, RSA_BLOCK_BYTES, sha256 } from '@socp/protocol';
import { testKeys, thrownCode } from '../helpers/fixtures';

jest.setTimeout(60_000); // RSA on the threadpool: a loaded 2-core machine can take seconds

const { alice, bob, file } = testKeys();
const alicePriv = createPrivateKey(file.alice.private_pkcs8_pem);
const PSS = constants.RSA_PKCS1_PSS_PADDING;

/** Flip one bit of byte `i` (mod length). */
function flipped(b: Uint8Array, i: number, bit: number): Buffer {
  const c = Buffer.from(b);
  c[i % c.length]! ^= 1 << bit % 8;
  return c;
}

describe('RSASSA-PSS-SHA256', () => {
  const msg = Buffer.from('{"a":1}');
  test('signatures are 512 bytes with the MAXIMUM salt (478): a verifier pinned to salt 478 accepts, one pinned to 32 rejects', () => {
    const sig = alice.sign(msg);
    expect(sig).toHaveLength(RSA_BLOCK_BYTES);
    const pub = alice.publicKey.keyObject;
    expect(nodeVerify('sha256', msg, { key: pub, padding: PSS, saltLength: PSS_MAX_SALT_BYTES }, sig)).toBe(true);
    expect(nodeVerify('sha256', msg, { key: pub, padding: PSS, saltLength: 32 }, sig)).toBe(false);
  });
  test('verify auto-detects the salt: a 32-byte-salt signature (Node-style peers) is accepted', () => {
    const sig32 = nodeSign('sha256', msg, { key: alicePriv, padding: PSS, saltLength: 32 });
    expect(alice.publicKey.verify(msg, sig32)).toBe(true);
  });
  test('PKCS#1 v1.5 signatures and signatures from another key are rejected', () => {
    expect(alice.publicKey.verify(msg, nodeSign('sha256', msg, alicePriv))).toBe(false);
    expect(alice.publicKey.verify(msg, bob.sign(msg))).toBe(false);
  });
  test('verify never throws on malformed signatures', () => {
    for (const s of [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(511, 1), Buffer.alloc(513, 1), Buffer.alloc(512, 0xff)]) {
      expect(alice.publicKey.verify(msg, s)).toBe(false);
    }
  });
  test('signAsync (threadpool) makes signatures that verify', async () => {
    const sigs = await Promise.all([alice.signAsync(msg), alice.signAsync(msg)]);
    for (const s of sigs) expect(alice.publicKey.verify(msg, s)).toBe(true);
    expect(sigs[0]!.equals(sigs[1]!)).toBe(false); // randomised salt
  });
  test('property: sign → verify round trip; verify rejects under the other key', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
      const s = alice.sign(data);
      expect(alice.publicKey.verify(data, s)).toBe(true);
      expect(bob.publicKey.verify(data, s)).toBe(false);
    }), { numRuns: 25 });
  });
  test('property: any single-byte change in the message or the signature is rejected', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), fc.nat(7), (data, i, j, bit) => {
      const s = alice.sign(data);
      expect(alice.publicKey.verify(flipped(data, i, bit), s)).toBe(false);
      expect(alice.publicKey.verify(data, flipped(s, j, bit))).toBe(false);
    }), { numRuns: 25 });
  });
});

describe('RSA-OAEP-SHA256', () => {
  test('446 bytes encrypt to a 512-byte ciphertext and decrypt back', () => {
    const pt = Buffer.alloc(OAEP_MAX_PLAINTEXT_BYTES, 7);
    const ct = bob.publicKey.encrypt(pt);
    expect(ct).toHaveLength(RSA_BLOCK_BYTES);
    expect(bob.decrypt(ct)).toEqual(pt);
  });
  test('447 bytes is refused with SOCP_ERR_PLAINTEXT_TOO_LONG (a clear coded error, not an OpenSSL one)', () => {
    expect(thrownCode(() => bob.publicKey.encrypt(Buffer.alloc(447)))).toBe('SOCP_ERR_PLAINTEXT_TOO_LONG');
    expect(() => bob.publicKey.encrypt(Buffer.alloc(447))).toThrow(/446/);
  });
  test('the wrong key, garbage and wrong lengths fail with SOCP_ERR_DECRYPT', () => {
    const ct = bob.publicKey.encrypt(Buffer.from('hi'));
    expect(thrownCode(() => alice.decrypt(ct))).toBe('SOCP_ERR_DECRYPT');
    expect(thrownCode(() => bob.decrypt(Buffer.alloc(0)))).toBe('SOCP_ERR_DECRYPT');
    expect(thrownCode(() => bob.decrypt(ct.subarray(1)))).toBe('SOCP_ERR_DECRYPT');
    expect(thrownCode(() => bob.decrypt(Buffer.concat([ct, Buffer.alloc(1)])))).toBe('SOCP_ERR_DECRYPT');
  });
  test('decryptAsync (threadpool) opens what decrypt opens, and fails where it fails, with SOCP_ERR_DECRYPT', async () => {
    const pt = Buffer.alloc(OAEP_MAX_PLAINTEXT_BYTES, 9);
    const ct = bob.publicKey.encrypt(pt);
    expect(await bob.decryptAsync(ct)).toEqual(pt);
    expect(await Promise.all([ct, bob.publicKey.encrypt(Buffer.alloc(0))].map((c) => bob.decryptAsync(c)))).toEqual([pt, Buffer.alloc(0)]);
    for (const bad of [flipped(ct, 100, 3), ct.subarray(1), Buffer.concat([ct, Buffer.alloc(1)]), Buffer.alloc(0)]) {
      await expect(bob.decryptAsync(bad)).rejects.toMatchObject({ code: 'SOCP_ERR_DECRYPT' });
    }
    await expect(alice.decryptAsync(ct)).rejects.toMatchObject({ code: 'SOCP_ERR_DECRYPT' });
  });
  test('encryption is randomised', () => {
    const pt = Buffer.from('same');
    expect(bob.publicKey.encrypt(pt).equals(bob.publicKey.encrypt(pt))).toBe(false);
  });
  test('property: encrypt → decrypt round trip up to 446 bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: OAEP_MAX_PLAINTEXT_BYTES }), (pt) => {
      expect(bob.decrypt(bob.publicKey.encrypt(pt))).toEqual(Buffer.from(pt));
    }), { numRuns: 30 });
  });
  test('property: any single-byte change in the ciphertext is rejected', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(RSA_BLOCK_BYTES - 1), fc.nat(7), (pt, i, bit) => {
      const ct = bob.publicKey.encrypt(pt);
      expect(thrownCode(() => bob.decrypt(flipped(ct, i, bit)))).toBe('SOCP_ERR_DECRYPT');
    }), { numRuns: 30 });
  });
});

test('sha256 matches the known digest of "abc"', () => {
  expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

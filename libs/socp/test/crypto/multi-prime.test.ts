/**
 * Multi-prime RSA-4096 keys (RFC 8017 §3.2, A.1.2) from `generateKeyPair(primes)`: every value
 * of the key as OpenSSL parsed it back (JWK export of a re-imported PKCS#8) is checked with
 * bigint arithmetic, independently of the generator's own code — prime count, modulus size,
 * e, n = ∏ r_i, d_i = d mod (r_i − 1), the CRT coefficients — then the key is used for real.
 */
import { checkPrimeSync, createPrivateKey } from 'node:crypto';
import { DEFAULT_RSA_PRIMES, b64urlEncode, generateKeyPair, importPrivateKey, importPrivateKeyDer, importPublicKey, type RsaPrimeCount, type RsaPrivateKey } from '@socp/protocol';
import { primeSizesBits, rsaPrivateKeyDer } from '../../src/crypto/multi-prime';
import { thrownCode } from '../helpers/fixtures';

jest.setTimeout(120_000); // keygen on a loaded 2-core machine: 2 primes can take several seconds

const big = (b64url: unknown): bigint => BigInt(`0x${Buffer.from(String(b64url), 'base64url').toString('hex')}`);
const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
const bits = (x: bigint): number => x.toString(2).length;

/** The key's numbers as OpenSSL holds them after a PKCS#8 round trip (RFC 7518 §6.3.2 names). */
function numbersOf(key: RsaPrivateKey) {
  const jwk = createPrivateKey({ key: key.toPkcs8Der(), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const oth = (jwk['oth'] as Array<{ r: string; d: string; t: string }> | undefined) ?? [];
  return {
    n: big(jwk.n), e: big(jwk.e), d: big(jwk.d), p: big(jwk.p), q: big(jwk.q), dp: big(jwk.dp), dq: big(jwk.dq), qi: big(jwk.qi),
    others: oth.map((o) => ({ r: big(o.r), d: big(o.d), t: big(o.t) })),
  };
}

const keys = new Map<RsaPrimeCount, RsaPrivateKey>();
beforeAll(async () => {
  for (const k of [2, 3, 4] as const) keys.set(k, await generateKeyPair(k));
});

describe.each([2, 3, 4] as const)('generateKeyPair(%i)', (count) => {
  const key = (): RsaPrivateKey => keys.get(count)!;

  test('has that many primes, a modulus of exactly 4096 bits and e = 65537', () => {
    const x = numbersOf(key());
    expect(key().primeCount).toBe(count);
    expect(2 + x.others.length).toBe(count);
    expect(bits(x.n)).toBe(4096);
    expect(x.e).toBe(65537n);
    expect(key().publicKey.keyObject.asymmetricKeyDetails).toMatchObject({ modulusLength: 4096, publicExponent: 65537n });
  });

  test('CRT values are consistent (RFC 8017 §3.2): n = ∏ r_i, d_i = d mod (r_i − 1), q·qInv ≡ 1 (mod p), t_i·∏_{j<i} r_j ≡ 1 (mod r_i)', () => {
    const x = numbersOf(key());
    const primes = [x.p, x.q, ...x.others.map((o) => o.r)];
    expect(primes.reduce((a, r) => a * r, 1n)).toBe(x.n);
    expect(new Set(primes).size).toBe(count);
    for (const r of primes) {
      expect(checkPrimeSync(r)).toBe(true);
      expect(mod(x.e * x.d, r - 1n)).toBe(1n); // e·d ≡ 1 mod (r − 1) for every prime: RSA decrypts
    }
    if (count > 2) expect(primes.map(bits).sort()).toEqual(primeSizesBits(count).sort());
    expect(x.dp).toBe(x.d % (x.p - 1n));
    expect(x.dq).toBe(x.d % (x.q - 1n));
    expect(mod(x.q * x.qi, x.p)).toBe(1n);
    let product = x.p * x.q;
    for (const o of x.others) {
      expect(o.d).toBe(x.d % (o.r - 1n));
      expect(mod(o.t * product, o.r)).toBe(1n);
      product *= o.r;
    }
  });

  test('our DER encoder writes exactly the PKCS#1 structure OpenSSL exports for those primes', () => {
    const x = numbersOf(key());
    if (count === 2) return expect(x.others).toEqual([]); // two-prime keys come from Node's own keygen
    const exported = createPrivateKey({ key: key().toPkcs8Der(), format: 'der', type: 'pkcs8' }).export({ format: 'der', type: 'pkcs1' });
    expect(rsaPrivateKeyDer([x.p, x.q, ...x.others.map((o) => o.r)]).equals(exported)).toBe(true);
  });

  test('parsed back by Node from every stored form, it signs, verifies, encrypts and decrypts', () => {
    const msg = Buffer.from(`multi-prime ${count}`);
    const pem = key().toEncryptedPem('test-only passphrase');
    for (const back of [importPrivateKeyDer(key().toPkcs8Der()), importPrivateKey(pem, 'test-only passphrase')]) {
      expect(back.primeCount).toBe(count);
      expect(back.publicKey.equals(key().publicKey)).toBe(true);
      expect(key().publicKey.verify(msg, back.sign(msg))).toBe(true);
      expect(back.publicKey.verify(msg, key().sign(msg))).toBe(true);
      expect(back.decrypt(key().publicKey.encrypt(msg)).equals(msg)).toBe(true);
      expect(key().decrypt(back.publicKey.encrypt(msg)).equals(msg)).toBe(true);
    }
  });

  test("peers' key checks (importPublicKey, BAD_KEY rules) accept the public key in every encoding we send or tolerate", () => {
    const pub = key().publicKey;
    expect(pub.toBase64Url()).toMatch(/^MIICIjANBgkq[A-Za-z0-9_-]{722}$/);
    for (const enc of [pub.toBase64Url(), pub.toPemBase64Url(), b64urlEncode(pub.keyObject.export({ type: 'pkcs1', format: 'der' }))]) {
      expect(importPublicKey(enc).equals(pub)).toBe(true);
    }
  });
});

test('the default is DEFAULT_RSA_PRIMES (4), and any other count is refused before any work', async () => {
  expect(DEFAULT_RSA_PRIMES).toBe(4);
  expect((await generateKeyPair()).primeCount).toBe(DEFAULT_RSA_PRIMES);
  for (const bad of [1, 5, 2.5, Number.NaN]) {
    const code = await generateKeyPair(bad as RsaPrimeCount).then(() => 'resolved', (e: unknown) => thrownCode(() => { throw e; }));
    expect(code).toBe('SOCP_ERR_CONFIG');
  }
});

test('prime sizes add up to 4096 bits and differ by at most one bit', () => {
  for (const k of [2, 3, 4]) {
    const s = primeSizesBits(k);
    expect(s.reduce((a, b) => a + b, 0)).toBe(4096);
    expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
  }
});

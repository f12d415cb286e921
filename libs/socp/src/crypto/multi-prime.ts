/**
 * Multi-prime RSA-4096 private keys (RFC 8017 §3.2, A.1.2), for the key holder's speed only.
 *
 * The modulus n = r_1 · r_2 · … · r_k (k = 3 or 4) is still exactly 4096 bits and e = 65537,
 * so the PUBLIC key is an ordinary RSA-4096 SPKI: peers verify and encrypt as before and
 * cannot tell. Only the private-key operation changes: k exponentiations modulo ~4096/k-bit
 * primes instead of two modulo 2048-bit ones (measured: `npm run bench:crypto`; the decision
 * and its security reasoning: docs/protocol.md "Multi-prime RSA-4096").
 *
 * Node's generateKeyPair has no primes option, so the key is built here: primes from
 * `crypto.generatePrime` (OpenSSL's generator, on the libuv threadpool), the private exponent
 * and CRT values computed with bigint, the PKCS#1 RSAPrivateKey (version 1 = multi) written in
 * DER and handed to OpenSSL with `createPrivateKey`. keys.ts `generateKeyPair` wraps it and
 * self-tests the result.
 */
import { createPrivateKey, generatePrime, type KeyObject } from 'node:crypto';
import { RSA_MODULUS_BITS, RSA_PUBLIC_EXPONENT } from '../constants';
import { SocpError } from '../errors';

/** Prime counts we generate: 2 (Node's own keygen) or RFC 8017 multi-prime with 3 or 4. */
export const RSA_PRIME_COUNTS = [2, 3, 4] as const;
export type RsaPrimeCount = (typeof RSA_PRIME_COUNTS)[number];
/**
 * At most 4 primes: OpenSSL's cap for moduli of 4096–8191 bits (`ossl_rsa_multip_cap`; its
 * key check rejects more) — and each prime stays ≥ 1024 bits, far above what ECM can find.
 */
export const RSA_MAX_PRIMES = 4;
/**
 * The default prime count for every key we generate (server, introducer, user). 4 primes:
 * PSS sign and OAEP decrypt measured ~1.4× faster than two primes on this machine kind, 3
 * primes slower than both (docs/protocol.md "Multi-prime RSA-4096" has the figures).
 */
export const DEFAULT_RSA_PRIMES: RsaPrimeCount = 4;
/**
 * Fresh prime sets tried before giving up. A set is redrawn when the product is 4095 bits or a
 * prime p has p − 1 divisible by e (~1 in 65537); about 1 set in 4 is redrawn, so 64 failures in
 * a row mean a broken generator, not bad luck.
 */
const MAX_PRIME_SET_ATTEMPTS = 64;

const E = BigInt(RSA_PUBLIC_EXPONENT);

export function isRsaPrimeCount(n: unknown): n is RsaPrimeCount {
  return (RSA_PRIME_COUNTS as readonly unknown[]).includes(n);
}

/** Prime sizes in bits for `count` primes whose sizes add up to the modulus size (4096). */
export function primeSizesBits(count: number): number[] {
  const base = Math.floor(RSA_MODULUS_BITS / count);
  return Array.from({ length: count }, (_, i) => base + (i < RSA_MODULUS_BITS % count ? 1 : 0));
}

const bitLength = (x: bigint): number => x.toString(2).length;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a⁻¹ mod m (extended Euclid); throws when gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [((a % m) + m) % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new SocpError('SOCP_ERR_INTERNAL', 'modular inverse does not exist');
  return ((s0 % m) + m) % m;
}

// --- DER (ITU-T X.690), just what RSAPrivateKey needs: INTEGER and SEQUENCE ---
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
/** A non-negative INTEGER: big-endian, minimal, a leading 0x00 when the top bit is set. */
function derInt(x: bigint): Buffer {
  const hex = x.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return tlv(0x02, body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}
const derSeq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));

/**
 * PKCS#1 RSAPrivateKey (RFC 8017 A.1.2) in DER for the given distinct primes, in order
 * r_1 = p, r_2 = q, r_3… (version 0 for two primes, 1 = multi otherwise):
 *   d   = e⁻¹ mod λ(n), λ = lcm(r_i − 1)
 *   d_i = d mod (r_i − 1)            (exponent1, exponent2, and each OtherPrimeInfo.exponent)
 *   qInv = q⁻¹ mod p                 (coefficient)
 *   t_i = (r_1 · … · r_(i−1))⁻¹ mod r_i   for i ≥ 3 (OtherPrimeInfo.coefficient)
 * Callers ensure gcd(e, r_i − 1) = 1 and the modulus size; this only does the arithmetic.
 */
export function rsaPrivateKeyDer(primes: readonly bigint[]): Buffer {
  const [p, q, ...rest] = primes;
  if (p === undefined || q === undefined) throw new SocpError('SOCP_ERR_INTERNAL', 'an RSA key needs at least two primes');
  const n = primes.reduce((a, r) => a * r, 1n);
  const lambda = primes.reduce((l, r) => (l / gcd(l, r - 1n)) * (r - 1n), 1n);
  const d = modInverse(E, lambda);
  let product = p * q;
  const others = rest.map((r) => {
    const info = derSeq(derInt(r), derInt(d % (r - 1n)), derInt(modInverse(product, r)));
    product *= r;
    return info;
  });
  return derSeq(
    derInt(rest.length > 0 ? 1n : 0n), derInt(n), derInt(E), derInt(d), derInt(p), derInt(q),
    derInt(d % (p - 1n)), derInt(d % (q - 1n)), derInt(modInverse(q, p)),
    ...(others.length > 0 ? [derSeq(...others)] : []),
  );
}

function randomPrime(bits: number): Promise<bigint> {
  return new Promise((resolve, reject) => generatePrime(bits, { bigint: true }, (e, p) => (e ? reject(e) : resolve(p))));
}

/** `count` distinct primes (largest first) whose product is exactly 4096 bits, each with gcd(e, r − 1) = 1. */
async function primeSet(count: number): Promise<bigint[]> {
  for (let attempt = 0; attempt < MAX_PRIME_SET_ATTEMPTS; attempt++) {
    const primes = await Promise.all(primeSizesBits(count).map(randomPrime));
    const n = primes.reduce((a, r) => a * r, 1n);
    const usable = primes.every((r) => gcd(E, r - 1n) === 1n) && new Set(primes).size === count && bitLength(n) === RSA_MODULUS_BITS;
    if (usable) return primes.sort((a, b) => (a > b ? -1 : 1));
  }
  throw new SocpError('SOCP_ERR_INTERNAL', `no usable set of ${count} primes in ${MAX_PRIME_SET_ATTEMPTS} attempts`);
}

/**
 * A fresh multi-prime RSA-4096 private key (3 or 4 primes) as an OpenSSL KeyObject. The prime
 * search runs on the threadpool; the bigint arithmetic and DER take a few ms on the caller's
 * thread. Not self-tested here: use keys.ts `generateKeyPair(count)`.
 */
export async function generateMultiPrimeKeyObject(count: 3 | 4): Promise<KeyObject> {
  const der = rsaPrivateKeyDer(await primeSet(count));
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  } finally {
    der.fill(0); // the DER holds the private key; the KeyObject has its own copy
  }
}

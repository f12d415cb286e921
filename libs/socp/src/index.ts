/**
 * @packageDocumentation
 * `@socp/protocol` — SOCP v1.3 (and this project's profile, ../shared/socp/SPEC.md) as a pure
 * library: no sockets, no Redis, no logger, no metrics.
 *
 * @example
 * ```ts
 * import { generateKeyPair, sealFrame, encodeFrame, decodeFrame, verifyFrame } from '@socp/protocol';
 * const key = await generateKeyPair();
 * const frame = sealFrame({ type: 'HEARTBEAT', from: serverId, to: peerId, ts: Date.now(), payload: {} }, key);
 * const text = encodeFrame(frame);                 // one WS text message
 * const parsed = decodeFrame(text);                // Result<Frame>: size, JSON, schema
 * if (parsed.ok) verifyFrame(parsed.value, key.publicKey); // Result<Verified<Frame>>
 * ```
 */
export * from './constants';
export * from './errors';
export * from './encoding/base64url';
export * from './encoding/canonical-json';
export * from './wire/envelope';
export * from './wire/bind';
export * from './wire/acks';
export * from './crypto/keys';
export { DEFAULT_RSA_PRIMES, RSA_MAX_PRIMES, RSA_PRIME_COUNTS, isRsaPrimeCount, primeSizesBits, type RsaPrimeCount } from './crypto/multi-prime';
export * from './crypto/content-sig';
export * from './crypto/mac';
export * from './crypto/at-rest';
export * from './admission/ticket';
export * from './admission/join-proof';
export * from './admission/admit-rules';
export * from './messages';
export * from './wire/seen-cache';
export * from './routing';
export * from './user';
export * from './liveness/backoff';
export * from './liveness/heartbeat';
export * from './liveness/redial';

/**
 * HMAC-SHA256 for proofs made with a shared operator secret (admission/join-proof.ts). Kept in
 * crypto/ so that nothing else imports node:crypto (S5).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Constant-time comparison of two MACs (false when the lengths differ). */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Proof of the operator's mesh join secret (extension, docs/contracts.md "Admission").
 *
 * A server that knows the secret (SOCP_JOIN_SECRET_FILE, the same file for every server and
 * introducer of a mesh) puts in its SERVER_HELLO_JOIN payload
 *
 *     "join_proof": base64url(HMAC-SHA256(secret, canonical({purpose: "socp-join/1",
 *                                          from, ts, host, port, pubkey})))
 *
 * The secret never crosses the wire. The proof binds the joining id, the address, the key (whose
 * holder also signs the frame) and the envelope `ts` (the introducer requires it fresh and never
 * seen), so it can neither be lifted onto another key or address nor replayed later.
 */
import { hmacSha256, macEquals } from '../crypto/mac';
import { b64urlDecode, b64urlEncode } from '../encoding/base64url';
import { canonicalJson } from '../encoding/canonical-json';

export const JOIN_PROOF_PURPOSE = 'socp-join/1';
/** Shortest join secret accepted (characters): 128 bits of base64url. */
export const MIN_JOIN_SECRET_CHARS = 22;

export interface JoinClaim { from: string; ts: number; host: string; port: number; pubkey: string }

function mac(secret: string, c: JoinClaim): Buffer {
  return hmacSha256(secret, canonicalJson({ purpose: JOIN_PROOF_PURPOSE, from: c.from, ts: c.ts, host: c.host, port: c.port, pubkey: c.pubkey }));
}

export function joinProof(secret: string, c: JoinClaim): string {
  return b64urlEncode(mac(secret, c));
}

/** Constant-time check of a presented proof; false for anything malformed. */
export function checkJoinProof(secret: string, c: JoinClaim, proof: unknown): boolean {
  if (typeof proof !== 'string' || proof.length > 64) return false;
  const got = b64urlDecode(proof);
  return got !== undefined && macEquals(got, mac(secret, c));
}

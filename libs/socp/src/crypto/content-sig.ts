/**
 * End-to-end content signatures (SPEC.md §8.2 [profile]).
 *
 * We SEND variant C by default: PSS-SHA256 over SHA256(raw_ciphertext ‖ from ‖ to ‖ str(ts)) —
 * the 32-byte digest is the signed message (PSS hashes it again). The public-channel form drops
 * `to`. `signContent(key, input, variant)` makes any accepted variant, for a recipient that
 * verifies only that one (a client picks it per recipient). We ACCEPT, in order: C, D (raw ct ‖ utf8(from+to+ts)), B (utf8(ct_b64 + from + to + ts)),
 * A (canonical JSON of {ciphertext,from,to,ts}, and SHA256 of it). Never E (ciphertext alone).
 * All are PSS-SHA256 with the sender's key, so trying each costs verifies, not security.
 *
 * Key share (PUBLIC_CHANNEL_KEY_SHARE): PSS over SHA256(canonical(shares) ‖ creator_pub).
 */

import { canonicalJson } from '../encoding/canonical-json';
import { b64urlDecode, b64urlEncode } from '../encoding/base64url';
import { sha256, type RsaPrivateKey, type RsaPublicKey } from './keys';

/** What a content signature binds. `to` is undefined for the public-channel form. */
export interface ContentSigInput {
  /** base64url ciphertext as it appears in the payload. */
  ciphertext: string;
  from: string;
  to?: string | undefined;
  ts: number;
}

export type ContentSigVariant = 'A' | 'A-hash' | 'B' | 'C' | 'D';

function tail(i: ContentSigInput): string {
  return i.from + (i.to ?? '') + String(i.ts);
}

/** The bytes handed to PSS for each accepted variant. */
export function contentSigMessage(i: ContentSigInput, v: ContentSigVariant): Buffer | undefined {
  switch (v) {
    case 'C':
    case 'D': {
      const raw = b64urlDecode(i.ciphertext);
      if (!raw) return undefined;
      const m = Buffer.concat([raw, Buffer.from(tail(i), 'utf8')]);
      return v === 'C' ? sha256(m) : m;
    }
    case 'B':
      return Buffer.from(i.ciphertext + tail(i), 'utf8');
    case 'A':
    case 'A-hash': {
      const obj: Record<string, unknown> = { ciphertext: i.ciphertext, from: i.from, ts: i.ts };
      if (i.to !== undefined) obj['to'] = i.to;
      const m = Buffer.from(canonicalJson(obj), 'utf8');
      return v === 'A' ? m : sha256(m);
    }
  }
}

const ACCEPTED: readonly ContentSigVariant[] = ['C', 'D', 'B', 'A', 'A-hash'];

/**
 * Make a content signature (base64url): variant C unless a recipient verifies only another
 * ([profile] "Content signatures follow the recipient", e.g. variant A for PEM-key peers).
 * Throws a TypeError for a ciphertext that is not base64url (variants C and D sign its bytes).
 */
export function signContent(key: RsaPrivateKey, i: ContentSigInput, variant: ContentSigVariant = 'C'): string {
  return b64urlEncode(key.sign(signable(i, variant)));
}
export async function signContentAsync(key: RsaPrivateKey, i: ContentSigInput, variant: ContentSigVariant = 'C'): Promise<string> {
  return b64urlEncode(await key.signAsync(signable(i, variant)));
}
function signable(i: ContentSigInput, variant: ContentSigVariant): Buffer {
  const m = contentSigMessage(i, variant);
  if (!m) throw new TypeError('content_sig: the ciphertext is not base64url');
  return m;
}

/** Which accepted variant verifies, or undefined. Never throws (untrusted input). */
export function verifyContent(key: RsaPublicKey, i: ContentSigInput, sigB64: string): ContentSigVariant | undefined {
  const sig = typeof sigB64 === 'string' ? b64urlDecode(sigB64) : undefined;
  if (!sig) return undefined;
  for (const v of ACCEPTED) {
    const m = messageOrUndefined(() => contentSigMessage(i, v));
    if (m && key.verify(m, sig)) return v;
  }
  return undefined;
}

/** A message that cannot be built (non-string field, non-finite ts) simply does not verify. */
function messageOrUndefined(build: () => Buffer | undefined): Buffer | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}

/** Key-share signature message: SHA256(canonical(shares) ‖ creator_pub). */
export function keyShareMessage(shares: unknown, creatorPub: string): Buffer {
  return sha256(Buffer.concat([Buffer.from(canonicalJson(shares), 'utf8'), Buffer.from(creatorPub, 'utf8')]));
}
export function signKeyShare(key: RsaPrivateKey, shares: unknown, creatorPub: string): string {
  return b64urlEncode(key.sign(keyShareMessage(shares, creatorPub)));
}
/** Never throws: false for anything that does not verify (including shares JSON cannot hold). */
export function verifyKeyShare(key: RsaPublicKey, shares: unknown, creatorPub: string, sigB64: string): boolean {
  const sig = typeof sigB64 === 'string' ? b64urlDecode(sigB64) : undefined;
  const m = sig && messageOrUndefined(() => keyShareMessage(shares, creatorPub));
  return !!sig && !!m && key.verify(m, sig);
}

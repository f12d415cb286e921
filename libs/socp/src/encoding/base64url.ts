/**
 * base64url (RFC 4648 §5). SOCP §4: every binary value is base64url WITHOUT padding.
 * We always emit unpadded; we accept padded and unpadded input, and (for keys only, see
 * crypto/keys.ts) standard base64. Decoding is strict: any character outside the alphabet,
 * an impossible length, or non-zero trailing bits, is rejected rather than silently accepted
 * (Buffer.from is lenient).
 */

const B64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;
const B64STD_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function b64urlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Strict base64url decode; returns undefined on any malformed input. */
export function b64urlDecode(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !B64URL_RE.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (text.length !== body.length && text.length % 4 !== 0) return undefined;
  return canonicalOrUndefined(Buffer.from(body, 'base64url'), body, 'base64url');
}

/**
 * RFC 4648 §3.5: reject encodings whose unused trailing bits are not zero ("-0" and "-w" both
 * decode to 0xfb). Otherwise one signature or ciphertext has several spellings, and a replayed
 * frame with a re-spelt content_sig would slip past the dedupe key.
 */
function canonicalOrUndefined(out: Buffer, body: string, enc: 'base64url' | 'base64'): Buffer | undefined {
  return out.toString(enc).replace(/=+$/, '') === body ? out : undefined;
}

/** Strict standard-alphabet base64 decode (tolerated for keys sent by some peers). */
export function b64StdDecode(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !B64STD_RE.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  return canonicalOrUndefined(Buffer.from(body, 'base64'), body, 'base64');
}

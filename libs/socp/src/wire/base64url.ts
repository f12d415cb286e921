/**
 * base64url (RFC 4648 §5). SOCP §4: every binary value is base64url WITHOUT padding.
 * We always emit unpadded; we accept padded and unpadded input, and (for keys only, see
 * crypto/keys.ts) standard base64. Decoding is strict: any character outside the alphabet,
 * or an impossible length, is rejected rather than silently skipped (Buffer.from is lenient).
 */

const B64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;
const B64STD_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function b64urlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Strict base64url decode; returns undefined on any malformed input. */
export function b64urlDecode(text: string): Buffer | undefined {
  if (!B64URL_RE.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (text.length !== body.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(body, 'base64url');
}

/** Strict standard-alphabet base64 decode (tolerated for keys sent by some peers). */
export function b64StdDecode(text: string): Buffer | undefined {
  if (!B64STD_RE.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  return Buffer.from(body, 'base64');
}

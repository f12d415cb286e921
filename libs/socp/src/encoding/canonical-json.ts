/**
 * Canonical JSON — the bytes every SOCP signature covers (SPEC.md §8.1, [profile]).
 *
 * The ONE form we emit is byte-identical to Python's
 *   json.dumps(obj, sort_keys=True, separators=(",", ":"))      # ensure_ascii=True
 * i.e.: object keys sorted by code point, recursively; no whitespace; every character
 * outside U+0020..U+007E escaped — `"` `\` as \" \\, \b \f \n \r \t short forms, others as
 * lower-case \uXXXX, astral characters as a UTF-16 surrogate pair; integers in decimal;
 * non-integral numbers as Python's float repr ("0.5", "1e-07", "1.5e+300").
 *
 * When VERIFYING, callers also try `canonicalJsonUtf8` (same, but U+007F and above left raw,
 * i.e. json.dumps with ensure_ascii=False), which some peers sign (JSON.stringify with sorted keys).
 *
 * `signingBytes(payload)` is the single owner of "what the transport sig covers" (S4).
 */

import { MAX_JSON_DEPTH } from '../constants';

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE_ASCII = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE_UTF8 = /[\x00-\x1f"\\]/;

function escapeString(s: string, ascii: boolean): string {
  if (!(ascii ? NEEDS_ESCAPE_ASCII : NEEDS_ESCAPE_UTF8).test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[c];
    if (short !== undefined) out += short;
    else if (c < 0x20 || (ascii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Python's repr(float) for a finite double: shortest round-trip digits, Python's layout. */
export function pythonFloatRepr(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const [mant = '0', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    // fixed notation; Python prints at least one digit after the point
    const neg = mant.startsWith('-');
    const digits = mant.replace('-', '').replace('.', '');
    let s: string;
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      s = `${intPart}.${frac === '' ? '0' : frac}`;
    } else {
      s = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    return (neg ? '-' : '') + s;
  }
  const sign = exp < 0 ? '-' : '+';
  return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function numberToJson(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('canonical JSON: non-finite number');
  // JSON cannot tell 5 from 5.0 once parsed by JS: safe integers are emitted as Python ints.
  // Integral values beyond 2^53 cannot have come from an exact int, so they are Python floats
  // ("1e+16"), as json.loads('1e16') would print them.
  return Number.isSafeInteger(n) ? String(n) : pythonFloatRepr(n);
}

/** Compare by Unicode code point, as Python sorts str (JS default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

function serialise(v: unknown, ascii: boolean, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new RangeError('canonical JSON: nesting too deep');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return escapeString(v, ascii);
    case 'number': return numberToJson(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return '[' + v.map((x) => serialise(x, ascii, depth + 1)).join(',') + ']';
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort(compareCodePoints);
      return '{' + keys.map((k) => escapeString(k, ascii) + ':' + serialise(o[k], ascii, depth + 1)).join(',') + '}';
    }
    default: throw new TypeError(`canonical JSON: unsupported value of type ${typeof v}`);
  }
}

/** The canonical form we emit and verify first (ASCII-escaped, Python-identical). */
export function canonicalJson(value: unknown): string {
  return serialise(value, true, 0);
}

/** The tolerated alternative for verification: sorted keys, raw UTF-8 for non-ASCII. */
export function canonicalJsonUtf8(value: unknown): string {
  return serialise(value, false, 0);
}

/** Bytes a transport `sig` covers: the canonical JSON of the payload object (§8.1). */
export function signingBytes(payload: unknown): Buffer {
  return Buffer.from(canonicalJson(payload), 'utf8');
}

/** Candidate byte strings to verify a transport sig against, in the profile's order. */
export function signingBytesCandidates(payload: unknown): Buffer[] {
  const a = canonicalJson(payload);
  // Without a \u escape the two forms are the same bytes: skip the second serialisation.
  if (!a.includes('\\u')) return [Buffer.from(a, 'utf8')];
  const u = canonicalJsonUtf8(payload);
  return a === u ? [Buffer.from(a, 'utf8')] : [Buffer.from(a, 'utf8'), Buffer.from(u, 'utf8')];
}

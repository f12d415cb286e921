/**
 * A tiny validator toolkit: each `Check<T>` narrows `unknown` to T or throws SchemaError with
 * the path that failed. Objects are OPEN (extra keys are kept and ignored) because peers add
 * fields (G43's `inner_type`, `public`; `orig_ts`) and signatures cover the payload as sent.
 * Strings are bounded; numbers must be safe integers unless stated.
 */

import { MAX_B64_BLOCK_CHARS, MAX_HOST_CHARS, MAX_LIST_ENTRIES, MAX_PUBKEY_CHARS, MAX_TEXT_CHARS } from '../constants';

export class SchemaError extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path}: ${what}`);
  }
}

export type Check<T> = (v: unknown, path: string) => T;

export const str = (max: number, re?: RegExp): Check<string> => (v, p) => {
  if (typeof v !== 'string') throw new SchemaError(p, 'expected string');
  if (v.length > max) throw new SchemaError(p, `longer than ${max}`);
  if (re && !re.test(v)) throw new SchemaError(p, 'bad format');
  return v;
};
export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> => (v, p) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SchemaError(p, 'expected integer');
  if (v < min || v > max) throw new SchemaError(p, `out of range [${min}, ${max}]`);
  return v;
};
/** Any finite JSON number (fields peers fill from Python's time.time()). */
export const num: Check<number> = (v, p) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(p, 'expected number');
  return v;
};
export const bool: Check<boolean> = (v, p) => {
  if (typeof v !== 'boolean') throw new SchemaError(p, 'expected boolean');
  return v;
};
export const literal = <L extends string>(...values: L[]): Check<L> => (v, p) => {
  if (typeof v !== 'string' || !(values as string[]).includes(v)) throw new SchemaError(p, `expected one of ${values.join('|')}`);
  return v as L;
};
export const nullable = <T>(c: Check<T>): Check<T | null> => (v, p) => (v === null ? null : c(v, p));
export const anyObject: Check<Record<string, unknown>> = (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(p, 'expected object');
  return v as Record<string, unknown>;
};
export const array = <T>(c: Check<T>, max = MAX_LIST_ENTRIES): Check<T[]> => (v, p) => {
  if (!Array.isArray(v)) throw new SchemaError(p, 'expected array');
  if (v.length > max) throw new SchemaError(p, `more than ${max} entries`);
  v.forEach((x, i) => c(x, `${p}[${i}]`));
  return v as T[];
};

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };
type OptOut<S extends Shape> = { [K in keyof S]?: ReturnType<S[K]> };

/** An open object with required keys `req` and optional keys `opt` (undefined/absent allowed). */
export function obj<R extends Shape, O extends Shape = Record<never, never>>(req: R, opt?: O): Check<Out<R> & OptOut<O> & Record<string, unknown>> {
  return (v, p) => {
    const o = anyObject(v, p);
    for (const k of Object.keys(req)) req[k]!(o[k], `${p}.${k}`);
    if (opt) for (const k of Object.keys(opt)) if (o[k] !== undefined) opt[k]!(o[k], `${p}.${k}`);
    return o as Out<R> & OptOut<O> & Record<string, unknown>;
  };
}

// ---- field vocabulary -------------------------------------------------------------------
const PRINTABLE = /^[\x21-\x7e]+$/;
/** An id: UUIDs in our frames; tolerated peers send "server", "introducer-0000-0000", "host:port", "*". */
export const id = str(128, PRINTABLE);
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const UUID_ANYCASE_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** base64url of at most `max` characters; padding tolerated. */
export const b64 = (max: number): Check<string> => str(max, /^[A-Za-z0-9_-]+={0,2}$/);
/** base64url of one RSA block (ciphertext or signature). */
export const b64block = b64(MAX_B64_BLOCK_CHARS);
/** An encoded public key (checked for strength later, by importPublicKey). */
export const pubkey = str(MAX_PUBKEY_CHARS, /^[A-Za-z0-9_\-+/=\r\n -]+$/);
export const host = str(MAX_HOST_CHARS, /^[A-Za-z0-9.\-:[\]_]+$/);
export const port = int(1, 65535);
export const text = str(MAX_TEXT_CHARS);
export const hex64 = str(64, /^[0-9a-fA-F]{64}$/);

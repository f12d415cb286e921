/**
 * decodeFrame is total: random garbage, random JSON and mutated valid frames always give
 * {ok:false, error.code ∈ decode codes} or a schema-valid frame — never a throw.
 */
import fc from 'fast-check';
import { decodeFrame, encodeFrame, ERROR_CATALOGUE, isFrameType, SocpError, type Result, type Frame } from '@socp/protocol';
import { VALID } from '../helpers/frames';

const DECODE_CODES = ['UNKNOWN_TYPE', 'SOCP_ERR_SCHEMA', 'SOCP_ERR_MALFORMED_JSON', 'SOCP_ERR_FRAME_TOO_LARGE'];

function checkTotal(input: string | Buffer): Result<Frame> {
  let r: Result<Frame>;
  try {
    r = decodeFrame(input);
  } catch (e) {
    throw new Error(`decodeFrame threw on ${JSON.stringify(String(input).slice(0, 200))}: ${String(e)}`);
  }
  if (r.ok) {
    expect(isFrameType(r.value.type)).toBe(true);
    expect(typeof r.value.from).toBe('string');
    expect(Number.isSafeInteger(r.value.ts)).toBe(true);
    expect(typeof r.value.sig).toBe('string');
    expect(() => encodeFrame(r.value)).not.toThrow(); // a decoded frame can always be re-sent
  } else {
    expect(r.error).toBeInstanceOf(SocpError);
    expect(Object.keys(ERROR_CATALOGUE)).toContain(r.error.code);
    expect(DECODE_CODES).toContain(r.error.code);
  }
  return r;
}

const validTexts = VALID.map((e) => JSON.stringify(e.frame));

/** Replace a random JSON sub-value of a valid frame with a random JSON value, or delete a key. */
function mutate(v: unknown, path: number[], replacement: unknown, del: boolean): unknown {
  if (path.length === 0 || v === null || typeof v !== 'object') return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  if (Array.isArray(v)) {
    if (v.length === 0) return replacement;
    const i = head % v.length;
    return v.map((x, j) => (j === i ? mutate(x, rest, replacement, del) : x));
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return replacement;
  const k = keys[head % keys.length]!;
  const o = { ...(v as Record<string, unknown>) };
  if (del && rest.length === 0) delete o[k];
  else o[k] = mutate(o[k], rest, replacement, del);
  return o;
}

describe('decodeFrame never throws', () => {
  test('random strings (unicode, binary)', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
      checkTotal(s);
    }), { numRuns: 1000 });
  });
  test('random bytes as a Buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      checkTotal(Buffer.from(b));
    }), { numRuns: 500 });
  });
  test('random JSON values and random envelopes of known types', () => {
    const envelope = fc.record({
      type: fc.oneof(fc.constantFrom(...VALID.map((e) => String(e.frame['type']))), fc.string()),
      from: fc.oneof(fc.uuid(), fc.string(), fc.anything()),
      to: fc.oneof(fc.uuid(), fc.constant('*'), fc.anything()),
      ts: fc.oneof(fc.nat(), fc.double(), fc.anything()),
      payload: fc.oneof(fc.object(), fc.anything()),
      sig: fc.oneof(fc.string(), fc.anything()),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), envelope), (v) => {
      const t = JSON.stringify(v);
      if (t !== undefined) checkTotal(t);
    }), { numRuns: 1000 });
  });
  test('mutated valid frames: a sub-value replaced or a key deleted', () => {
    fc.assert(fc.property(
      fc.nat(validTexts.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean(),
      (i, path, replacement, del) => {
        const t = JSON.stringify(mutate(JSON.parse(validTexts[i]!), path, replacement, del));
        if (t !== undefined) checkTotal(t);
      },
    ), { numRuns: 1000 });
  });
  test('mutated valid frames: characters inserted, deleted or replaced in the text', () => {
    fc.assert(fc.property(fc.nat(validTexts.length - 1), fc.nat(), fc.string({ maxLength: 3 }), fc.nat(3), (i, pos, ins, cut) => {
      const t = validTexts[i]!;
      const p = pos % (t.length + 1);
      checkTotal(t.slice(0, p) + ins + t.slice(p + cut));
    }), { numRuns: 1000 });
  });
});

import fc from 'fast-check';
import { canonicalJson, canonicalJsonUtf8, compareCodePoints, pythonFloatRepr, signingBytes, signingBytesCandidates } from '@socp/protocol';

describe('canonical JSON (SPEC §8.1 [profile], Python json.dumps sort_keys + ensure_ascii)', () => {
  test('sorts keys recursively, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: true } })).toBe('{"a":{"c":true,"d":[1,{"y":null,"z":0}]},"b":1}');
  });
  test('escapes non-ASCII as lower-case \\uXXXX, astral as surrogate pairs; the UTF-8 variant keeps them raw', () => {
    expect(canonicalJson({ n: 'Zoë 😀' })).toBe('{"n":"Zo\\u00eb \\ud83d\\ude00"}');
    expect(canonicalJsonUtf8({ n: 'Zoë 😀' })).toBe('{"n":"Zoë 😀"}');
  });
  test('control characters: short escapes, \\u00XX otherwise; DEL escaped only in the ASCII form; / never', () => {
    expect(canonicalJson('\b\f\n\r\t"\\/\u0000\u001f\u007f')).toBe('"\\b\\f\\n\\r\\t\\"\\\\/\\u0000\\u001f\\u007f"');
    expect(canonicalJsonUtf8('\u0001\u007f')).toBe('"\\u0001\u007f"');
  });
  test('orders keys by code point, not by UTF-16 unit (U+FFFF before U+1F600)', () => {
    const o = { '😀': 1, '\uffff': 2, '\ue000': 3, a: 4 };
    expect(canonicalJson(o)).toBe('{"a":4,"\\ue000":3,"\\uffff":2,"\\ud83d\\ude00":1}');
    expect(Object.keys(o).sort()).toEqual(['a', '😀', '\ue000', '\uffff']); // what a naive sort would do
    expect(compareCodePoints('\uffff', '😀')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('😀', '😀')).toBe(0);
  });
  test.each([
    [0, '0'], [-17, '-17'], [9007199254740991, '9007199254740991'], [-0, '0'],
    [0.5, '0.5'], [1e-7, '1e-07'], [1.5e300, '1.5e+300'], [1e16, '1e+16'], [123.456, '123.456'],
    [-0.25, '-0.25'], [1e-5, '1e-05'], [0.0001, '0.0001'], [1e22, '1e+22'], [1 / 3, '0.3333333333333333'],
    [9007199254740992, '9007199254740992.0'], [2.5e-308, '2.5e-308'], [-1.5e-10, '-1.5e-10'],
  ])('number %p → %s (Python repr)', (n, text) => {
    expect(canonicalJson(n)).toBe(text);
  });
  test('pythonFloatRepr formats integral floats with .0', () => {
    expect(pythonFloatRepr(5)).toBe('5.0');
    expect(pythonFloatRepr(-3)).toBe('-3.0');
  });
  test('drops undefined object members (as JSON.stringify does); rejects what JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ a: NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson({ b: 1n })).toThrow(TypeError);
  });
  test('refuses nesting deeper than MAX_JSON_DEPTH instead of recursing without bound', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(RangeError);
  });
  test('signingBytes is the UTF-8 of the escaped form; candidates add the raw form only when it differs', () => {
    expect(signingBytes({ a: 'é' }).toString()).toBe('{"a":"\\u00e9"}');
    expect(signingBytesCandidates({ a: 'x' })).toHaveLength(1);
    const c = signingBytesCandidates({ a: 'é' });
    expect(c.map((b) => b.toString('utf8'))).toEqual(['{"a":"\\u00e9"}', '{"a":"é"}']);
    // an escaped backslash before a "u" is not a \u escape, and the shortcut must not be fooled by it
    expect(signingBytesCandidates({ a: '\\u00e9 é' }).map((b) => b.toString('utf8'))).toEqual([canonicalJson({ a: '\\u00e9 é' }), canonicalJsonUtf8({ a: '\\u00e9 é' })]);
  });
  test('candidates are always the escaped form, then the raw form when its bytes differ', () => {
    fc.assert(fc.property(jsonValue, (v) => {
      const a = canonicalJson(v);
      const u = canonicalJsonUtf8(v);
      expect(signingBytesCandidates(v).map((b) => b.toString('utf8'))).toEqual(a === u ? [a] : [a, u]);
    }), { numRuns: 500 });
  });
});

/** JSON values as JS holds them after JSON.parse: finite numbers, unicode strings (astral included). */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 5 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

function shuffleKeys(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffleKeys(x, seed + i));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>);
  entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 17 + seed) % 5));
  entries.reverse();
  return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x, seed + 1)]));
}

describe('canonical JSON properties', () => {
  test('stable under key insertion order', () => {
    fc.assert(fc.property(jsonValue, fc.nat(100), (v, seed) => {
      expect(canonicalJson(shuffleKeys(v, seed))).toBe(canonicalJson(v));
      expect(canonicalJsonUtf8(shuffleKeys(v, seed))).toBe(canonicalJsonUtf8(v));
    }), { numRuns: 300 });
  });
  test('output is pure ASCII and parses back to the same value (−0 aside)', () => {
    fc.assert(fc.property(jsonValue, (v) => {
      const text = canonicalJson(v);
      expect(text).toMatch(/^[\x20-\x7e]*$/);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
      expect(JSON.parse(canonicalJsonUtf8(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }), { numRuns: 300 });
  });
  test('idempotent: canonicalising the parsed canonical text gives the same text', () => {
    fc.assert(fc.property(jsonValue, (v) => {
      const t = canonicalJson(v);
      expect(canonicalJson(JSON.parse(t))).toBe(t);
    }), { numRuns: 300 });
  });
});

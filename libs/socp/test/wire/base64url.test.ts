import fc from 'fast-check';
import { b64StdDecode, b64urlDecode, b64urlEncode } from '@socp/protocol';

describe('base64url (SPEC §4: unpadded out, padded and unpadded in, strict)', () => {
  test('encodes without padding in the URL-safe alphabet', () => {
    expect(b64urlEncode(Buffer.from([0xfb, 0xff]))).toBe('-_8');
    expect(b64urlEncode(Buffer.from('a'))).toBe('YQ');
    expect(b64urlEncode(new Uint8Array(0))).toBe('');
  });
  test('encodes a Uint8Array view, not its whole backing buffer', () => {
    const backing = Buffer.from('xxhixx');
    expect(b64urlEncode(backing.subarray(2, 4))).toBe(b64urlEncode(Buffer.from('hi')));
  });
  test('decodes padded and unpadded input alike', () => {
    expect(b64urlDecode('YQ')?.toString()).toBe('a');
    expect(b64urlDecode('YQ==')?.toString()).toBe('a');
    expect(b64urlDecode('YWI')?.toString()).toBe('ab');
    expect(b64urlDecode('YWI=')?.toString()).toBe('ab');
    expect(b64urlDecode('-_8')).toEqual(Buffer.from([0xfb, 0xff]));
    expect(b64urlDecode('')).toEqual(Buffer.alloc(0));
  });
  test.each([
    ['standard alphabet +', '+/8'],
    ['whitespace', 'YW I'],
    ['newline', 'YWI\n'],
    ['impossible length (4n+1)', 'YWJjZ'],
    ['wrong padding amount', 'YQ='],
    ['padding in the middle', 'YQ==YQ'],
    ['three = signs', 'Y==='],
    ['non-ASCII', 'YWé'],
  ])('rejects %s', (_n, text) => {
    expect(b64urlDecode(text)).toBeUndefined();
  });
  test('standard base64 decoder accepts + and / with padding, rejects url alphabet', () => {
    expect(b64StdDecode('+/8=')).toEqual(Buffer.from([0xfb, 0xff]));
    expect(b64StdDecode('-_8')).toBeUndefined();
    expect(b64StdDecode('YWJjZ')).toBeUndefined();
  });
  test('property: decode(encode(bytes)) = bytes, and the encoding is unpadded url-safe', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const s = b64urlEncode(bytes);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(b64urlDecode(s)).toEqual(Buffer.from(bytes));
        const padded = s + '='.repeat((4 - (s.length % 4)) % 4);
        expect(b64urlDecode(padded)).toEqual(Buffer.from(bytes));
      }),
    );
  });
  test('property: arbitrary strings never throw, and anything accepted re-encodes to its unpadded self', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (s) => {
        const d = b64urlDecode(s);
        if (d) expect(b64urlEncode(d)).toBe(s.replace(/=+$/, ''));
      }),
      { numRuns: 500 },
    );
  });
});

test('rejects non-canonical trailing bits (one value, one spelling: no re-spelt signatures)', () => {
  expect(b64urlDecode('-w')).toEqual(Buffer.from([0xfb]));
  expect(b64urlDecode('-0')).toBeUndefined();
  expect(b64urlDecode('YR')).toBeUndefined();
  expect(b64StdDecode('YR==')).toBeUndefined();
});

test('non-string input is undefined, not a TypeError', () => {
  expect(b64urlDecode(5 as unknown as string)).toBeUndefined();
  expect(b64urlDecode(undefined as unknown as string)).toBeUndefined();
  expect(b64StdDecode(null as unknown as string)).toBeUndefined();
});

import { atRestSalt, hkdfKey, joinDotted, openAtRest, scryptKey, scryptKeySync, sealAtRest, splitDotted } from '@socp/protocol';

const KEY = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);
const TEXT = Buffer.from('a private key, say');
const AAD = Buffer.from('where it is kept');

describe('sealAtRest / openAtRest (AES-256-GCM, 96-bit IV, 128-bit tag)', () => {
  test('what is sealed opens under the same key and additional data', () => {
    const s = sealAtRest(KEY, TEXT, AAD);
    expect([s.iv.length, s.tag.length, s.ciphertext.length]).toEqual([12, 16, TEXT.length]);
    expect(openAtRest(KEY, s, AAD)).toEqual(TEXT);
    expect(openAtRest(KEY, sealAtRest(KEY, TEXT))).toEqual(TEXT);
  });
  test('every seal has a fresh IV', () => {
    expect(sealAtRest(KEY, TEXT).iv.equals(sealAtRest(KEY, TEXT).iv)).toBe(false);
  });
  test('another key, other additional data, an altered part or a cut tag: SOCP_ERR_KEYSTORE', () => {
    const s = sealAtRest(KEY, TEXT, AAD);
    const flip = (b: Buffer): Buffer => Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x)));
    const fails = [
      () => openAtRest(OTHER, s, AAD),
      () => openAtRest(KEY, s, Buffer.from('somewhere else')),
      () => openAtRest(KEY, s),
      () => openAtRest(KEY, { ...s, iv: flip(s.iv) }, AAD),
      () => openAtRest(KEY, { ...s, tag: flip(s.tag) }, AAD),
      () => openAtRest(KEY, { ...s, ciphertext: flip(s.ciphertext) }, AAD),
      () => openAtRest(KEY, { ...s, tag: s.tag.subarray(0, 4) }, AAD), // Node would accept a 4-byte tag unless told
    ];
    for (const f of fails) expect(f).toThrow(expect.objectContaining({ code: 'SOCP_ERR_KEYSTORE' }));
  });
  test('a key that is not 32 bytes is a bug of the caller', () => {
    expect(() => sealAtRest(Buffer.alloc(16), TEXT)).toThrow(expect.objectContaining({ code: 'SOCP_ERR_INTERNAL' }));
  });
});

describe('the KDFs beside it', () => {
  const params = { N: 2 ** 10, r: 8, p: 1 };
  test('scryptKey and scryptKeySync give the same 32 bytes; the salt matters', async () => {
    const salt = atRestSalt();
    expect(salt.length).toBe(16);
    const k = await scryptKey('pass phrase', salt, params);
    expect(k.length).toBe(32);
    expect(scryptKeySync('pass phrase', salt, params)).toEqual(k);
    expect(scryptKeySync('pass phrase', atRestSalt(), params).equals(k)).toBe(false);
  });
  test('hkdfKey is HKDF-SHA256 to 32 bytes, one key per info', () => {
    const ikm = Buffer.alloc(64, 1);
    expect(hkdfKey(ikm, Buffer.from('salt'), 'a')).toEqual(hkdfKey(ikm, Buffer.from('salt'), 'a'));
    expect(hkdfKey(ikm, Buffer.from('salt'), 'a').equals(hkdfKey(ikm, Buffer.from('salt'), 'b'))).toBe(false);
    expect(hkdfKey(ikm, Buffer.from('salt'), 'a').length).toBe(32);
  });
});

test('the dotted envelope: version, then base64url parts', () => {
  const parts = [Buffer.from([1, 2, 3]), Buffer.from([0xfb, 0xff]), Buffer.from('x')];
  const text = joinDotted('v1', parts);
  expect(text).toBe('v1.AQID.-_8.eA');
  expect(splitDotted(text, 'v1', 3)).toEqual(parts);
  expect(splitDotted(text, 'v2', 3)).toBeUndefined();
  expect(splitDotted(text, 'v1', 4)).toBeUndefined();
  expect(splitDotted('v1.AQID..eA', 'v1', 3)).toBeUndefined();
  expect(splitDotted('v1.AQ+D.-_8.eA', 'v1', 3)).toBeUndefined();
});

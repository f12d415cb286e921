import fc from 'fast-check';
import {
  b64urlDecode, b64urlEncode, canonicalJson, contentSigMessage, sha256, signContent, signContentAsync, signKeyShare, verifyContent, verifyKeyShare,
  type ContentSigInput, type ContentSigVariant,
} from '@socp/protocol';
import { testKeys } from '../helpers/fixtures';

jest.setTimeout(60_000); // RSA on the threadpool: a loaded 2-core machine can take seconds

const { alice, bob, aliceId, bobId } = testKeys();
const ct = b64urlEncode(bob.publicKey.encrypt(Buffer.from('hi bob')));
const dm: ContentSigInput = { ciphertext: ct, from: aliceId, to: bobId, ts: 1760000400000 };
const pub: ContentSigInput = { ciphertext: ct, from: aliceId, ts: 1760000400000 };

describe('content_sig (SPEC §8.2 [profile]: send C, accept C/D/B/A, never E)', () => {
  test('we send variant C: PSS over SHA256(raw ct ‖ from ‖ to ‖ str(ts))', () => {
    const sig = signContent(alice, dm);
    const expected = sha256(Buffer.concat([b64urlDecode(ct)!, Buffer.from(aliceId + bobId + '1760000400000')]));
    expect(contentSigMessage(dm, 'C')).toEqual(expected);
    expect(alice.publicKey.verify(expected, b64urlDecode(sig)!)).toBe(true);
    expect(verifyContent(alice.publicKey, dm, sig)).toBe('C');
  });
  test('the public-channel form drops `to`, and a DM signature does not pass as public (nor back)', () => {
    const sp = signContent(alice, pub);
    expect(verifyContent(alice.publicKey, pub, sp)).toBe('C');
    expect(verifyContent(alice.publicKey, dm, sp)).toBeUndefined();
    expect(verifyContent(alice.publicKey, pub, signContent(alice, dm))).toBeUndefined();
  });
  test('signContentAsync signs the same message on the threadpool', async () => {
    expect(verifyContent(alice.publicKey, dm, await signContentAsync(alice, dm))).toBe('C');
  });
  test.each(['A', 'A-hash', 'B', 'C', 'D'] as ContentSigVariant[])('signContent(…, %s) signs exactly that variant\'s bytes (DM and public forms)', async (v) => {
    for (const input of [dm, pub]) {
      for (const sig of [signContent(alice, input, v), await signContentAsync(alice, input, v)]) {
        expect(alice.publicKey.verify(contentSigMessage(input, v)!, b64urlDecode(sig)!)).toBe(true);
        expect(verifyContent(alice.publicKey, input, sig)).toBe(v);
      }
    }
    expect(() => signContent(alice, { ...dm, ciphertext: '!!' }, 'C')).toThrow(TypeError);
  });
  test.each(['D', 'B', 'A', 'A-hash'] as ContentSigVariant[])('accepts a peer signature in variant %s (DM and public forms)', (v) => {
    for (const input of [dm, pub]) {
      const sig = b64urlEncode(alice.sign(contentSigMessage(input, v)!));
      expect(verifyContent(alice.publicKey, input, sig)).toBe(v);
    }
  });
  test('variant bytes are what the table of §8.2 says', () => {
    const tail = Buffer.from(aliceId + bobId + '1760000400000');
    expect(contentSigMessage(dm, 'D')).toEqual(Buffer.concat([b64urlDecode(ct)!, tail]));
    expect(contentSigMessage(dm, 'B')).toEqual(Buffer.from(ct + aliceId + bobId + '1760000400000'));
    const a = canonicalJson({ ciphertext: ct, from: aliceId, to: bobId, ts: 1760000400000 });
    expect(contentSigMessage(dm, 'A')!.toString()).toBe(a);
    expect(contentSigMessage(dm, 'A-hash')).toEqual(sha256(a));
    expect(contentSigMessage({ ...dm, ciphertext: '!!' }, 'C')).toBeUndefined();
  });
  test('variant E (a signature over the ciphertext alone) is rejected in every spelling', () => {
    for (const m of [Buffer.from(ct), b64urlDecode(ct)!, sha256(b64urlDecode(ct)!)]) {
      expect(verifyContent(alice.publicKey, dm, b64urlEncode(alice.sign(m)))).toBeUndefined();
      expect(verifyContent(alice.publicKey, pub, b64urlEncode(alice.sign(m)))).toBeUndefined();
    }
  });
  test('malformed signature text or fields never throw', () => {
    for (const s of ['', '!!', 'AAAA', 'A'.repeat(683)]) expect(verifyContent(alice.publicKey, dm, s)).toBeUndefined();
    const sig = signContent(alice, dm);
    expect(verifyContent(alice.publicKey, { ...dm, ts: NaN }, sig)).toBeUndefined();
    expect(verifyContent(alice.publicKey, { ...dm, ciphertext: 5 as unknown as string }, sig)).toBeUndefined();
    expect(verifyContent(alice.publicKey, dm, undefined as unknown as string)).toBeUndefined();
  });
  test('property: changing any bound field (ciphertext byte, from, to, ts) or any signature byte is rejected', () => {
    const sig = signContent(alice, dm);
    const raw = b64urlDecode(sig)!;
    const ctRaw = b64urlDecode(ct)!;
    fc.assert(fc.property(fc.nat(511), fc.nat(7), fc.integer({ min: 1, max: 1e9 }), (i, bit, dts) => {
      const badSig = Buffer.from(raw);
      badSig[i]! ^= 1 << bit;
      expect(verifyContent(alice.publicKey, dm, b64urlEncode(badSig))).toBeUndefined();
      const badCt = Buffer.from(ctRaw);
      badCt[i]! ^= 1 << bit;
      expect(verifyContent(alice.publicKey, { ...dm, ciphertext: b64urlEncode(badCt) }, sig)).toBeUndefined();
      expect(verifyContent(alice.publicKey, { ...dm, ts: dm.ts + dts }, sig)).toBeUndefined();
    }), { numRuns: 20 });
    expect(verifyContent(alice.publicKey, { ...dm, from: bobId, to: aliceId }, sig)).toBeUndefined();
    expect(verifyContent(alice.publicKey, { ...dm, to: aliceId }, sig)).toBeUndefined();
    expect(verifyContent(bob.publicKey, dm, sig)).toBeUndefined();
  });
});

describe('PUBLIC_CHANNEL_KEY_SHARE signature: SHA256(canonical(shares) ‖ creator_pub)', () => {
  const shares = [{ member: bobId, wrapped_public_channel_key: b64urlEncode(bob.publicKey.encrypt(Buffer.alloc(32, 1))) }];
  const creator = alice.publicKey.toBase64Url();
  test('round trip; changed share, creator or key are rejected', () => {
    const sig = signKeyShare(alice, shares, creator);
    expect(verifyKeyShare(alice.publicKey, shares, creator, sig)).toBe(true);
    expect(verifyKeyShare(alice.publicKey, [{ ...shares[0]!, member: aliceId }], creator, sig)).toBe(false);
    expect(verifyKeyShare(alice.publicKey, shares, bob.publicKey.toBase64Url(), sig)).toBe(false);
    expect(verifyKeyShare(bob.publicKey, shares, creator, sig)).toBe(false);
    expect(verifyKeyShare(alice.publicKey, shares, creator, '!!')).toBe(false);
    expect(verifyKeyShare(alice.publicKey, [{ member: NaN }], creator, sig)).toBe(false);
    expect(verifyKeyShare(alice.publicKey, shares, creator, null as unknown as string)).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  acceptUnsigned, b64urlEncode, canonicalJsonUtf8, checkTransportSig, decodeFrame, dedupeKey, encodeFrame, sealFrame, sealFrameAsync, sealFrameToWire, verifyFrame,
  type Frame,
} from '@socp/protocol';
import { PEER_ID, SERVER_ID, testKeys } from '../helpers/fixtures';

jest.setTimeout(60_000); // RSA on the threadpool: a loaded 2-core machine can take seconds

const { alice, bob, bobId } = testKeys();
const advertise = {
  type: 'USER_ADVERTISE' as const, from: SERVER_ID, to: '*', ts: 1760000100000,
  payload: { user_id: bobId, server_id: SERVER_ID, pubkey: bob.publicKey.toBase64Url(), meta: { display_name: 'Zoë 😀', n: 1e16 } },
};

describe('sealFrame / encodeFrame / decodeFrame / verifyFrame', () => {
  test('a sealed frame survives the wire and verifies under the sender key only', () => {
    const sealed = sealFrame(advertise, alice);
    const wire = encodeFrame(sealed);
    expect(wire.endsWith('}')).toBe(true); // no trailing newline
    expect(Object.keys(JSON.parse(wire))).toEqual(['type', 'from', 'to', 'ts', 'payload', 'sig']);
    const d = decodeFrame(wire);
    if (!d.ok) throw d.error;
    expect(d.value).toEqual({ ...advertise, sig: sealed.sig });
    expect(verifyFrame(d.value, alice.publicKey).ok).toBe(true);
    const wrong = verifyFrame(d.value, bob.publicKey);
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('INVALID_SIG');
  });
  test('the payload is written in canonical form: the wire bytes are the signed bytes', () => {
    const wire = encodeFrame(sealFrame(advertise, alice));
    expect(wire).toContain('"payload":{"meta":{"display_name":"Zo\\u00eb \\ud83d\\ude00","n":1e+16},"pubkey":');
  });
  test('sealFrameAsync (threadpool) produces a verifying frame', async () => {
    const f = await sealFrameAsync({ type: 'HEARTBEAT', from: SERVER_ID, to: PEER_ID, ts: 1, payload: {} }, alice);
    expect(verifyFrame(f, alice.publicKey).ok).toBe(true);
  });
  test('sealFrameToWire writes what encodeFrame writes for the same signature, and it verifies', async () => {
    const wire = await sealFrameToWire(advertise, alice);
    const d = decodeFrame(wire);
    if (!d.ok) throw d.error;
    expect(verifyFrame(d.value, alice.publicKey).ok).toBe(true);
    expect(wire).toBe(encodeFrame({ ...advertise, sig: d.value.sig } as Frame));
  });
  test('unsigned frames are INVALID_SIG under verifyFrame, and only acceptUnsigned lets them through', () => {
    const d = decodeFrame(JSON.stringify({ type: 'USER_HELLO', from: bobId, to: SERVER_ID, ts: 1, payload: { pubkey: bob.publicKey.toBase64Url() } }));
    if (!d.ok) throw d.error;
    expect(d.value.sig).toBe('');
    const v = verifyFrame(d.value, bob.publicKey);
    expect(v.ok ? 'ok' : v.error.code).toBe('INVALID_SIG');
    expect(acceptUnsigned(d.value, 'unsigned-hello')).toBe(d.value);
  });
  test('a payload changed after sealing fails; a sig from the raw-UTF-8 canonical form is tolerated', () => {
    const sealed = sealFrame(advertise, alice);
    const changed = { ...sealed, payload: { ...sealed.payload, server_id: PEER_ID } };
    expect(verifyFrame(changed, alice.publicKey).ok).toBe(false);
    const utf8Sig = b64urlEncode(alice.sign(Buffer.from(canonicalJsonUtf8(advertise.payload), 'utf8')));
    expect(checkTransportSig(advertise.payload, utf8Sig, alice.publicKey)).toBe(true);
  });
  test('checkTransportSig is false (never throws) for empty, non-base64 and wrong-length sigs', () => {
    for (const s of ['', '!!!', 'AAAA', '-0']) expect(checkTransportSig(advertise.payload, s, alice.publicKey)).toBe(false);
    expect(checkTransportSig({ bad: NaN }, b64urlEncode(alice.sign(Buffer.from('x'))), alice.publicKey)).toBe(false);
    expect(checkTransportSig({}, undefined as unknown as string, alice.publicKey)).toBe(false);
  });
  test('property: any single-byte change in the payload text or the signature is rejected', () => {
    const sealed = sealFrame({ type: 'ERROR', from: SERVER_ID, to: bobId, ts: 5, payload: { code: 'USER_NOT_FOUND', detail: 'no such user here' } }, alice);
    const detail = sealed.payload.detail!;
    fc.assert(fc.property(fc.nat(detail.length - 1), fc.nat(511), fc.integer({ min: 1, max: 94 }), (i, j, delta) => {
      const c = String.fromCharCode(((detail.charCodeAt(i) - 32 + delta) % 95) + 32);
      const p = { ...sealed.payload, detail: detail.slice(0, i) + c + detail.slice(i + 1) };
      expect(verifyFrame({ ...sealed, payload: p }, alice.publicKey).ok).toBe(false);
      const raw = Buffer.from(sealed.sig, 'base64url');
      raw[j]! ^= 1 << delta % 8;
      expect(verifyFrame({ ...sealed, sig: b64urlEncode(raw) }, alice.publicKey).ok).toBe(false);
    }), { numRuns: 25 });
  });
});

describe('dedupeKey (§12 [profile]: ts|from|to|sha256hex(canonical(payload)))', () => {
  test('exact format and value', () => {
    const k = dedupeKey(advertise);
    const hex = createHash('sha256').update(Buffer.from(JSON.stringify({
      meta: { display_name: 'Zoë 😀', n: 1e16 }, pubkey: advertise.payload.pubkey, server_id: SERVER_ID, user_id: bobId,
    }).replace('Zoë 😀', 'Zo\\u00eb \\ud83d\\ude00').replace('10000000000000000', '1e+16'))).digest('hex');
    expect(k).toBe(`1760000100000|${SERVER_ID}|*|${hex}`);
    expect(k).toMatch(/^\d+\|[^|]+\|[^|]+\|[0-9a-f]{64}$/);
  });
  test('independent of key order and of the sig; sensitive to ts, from, to and payload', () => {
    const base: Pick<Frame, 'ts' | 'from' | 'to' | 'payload'> = { ts: 1, from: 'a', to: 'b', payload: { code: 'X', detail: 'y' } };
    const k = dedupeKey(base);
    expect(dedupeKey({ ...base, payload: { detail: 'y', code: 'X' } })).toBe(k);
    expect(dedupeKey({ ...base, ts: 2 })).not.toBe(k);
    expect(dedupeKey({ ...base, from: 'c' })).not.toBe(k);
    expect(dedupeKey({ ...base, to: 'c' })).not.toBe(k);
    expect(dedupeKey({ ...base, payload: { code: 'X', detail: 'z' } })).not.toBe(k);
  });
});

/**
 * The answers servers give a USER_HELLO (issue 14.3), as the handshake reads them: our ACK,
 * `USER_HELLO_OK` without server_id, no ACK at all (a key known beforehand verifies the first
 * frame), ERROR. Real RSA-4096 signatures.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, helloAnswer, helloTimeout, sealFrame, type Frame, type FrameType, type RsaPrivateKey } from '@socp/protocol';

const URL = 'ws://127.0.0.1:1';
const SID = randomUUID();
let server: RsaPrivateKey;
let other: RsaPrivateKey;
beforeAll(async () => ([server, other] = await Promise.all([generateKeyPair(), generateKeyPair()])), 60_000);

const frame = (type: FrameType, payload: Record<string, unknown>, signer = server): Frame =>
  sealFrame({ type, from: SID, to: randomUUID(), ts: 1, payload: payload as never }, signer) as Frame;

test('our ACK: accepted with its server_id and key', () => {
  const a = helloAnswer(frame('ACK', { msg_ref: 'USER_HELLO', server_id: SID, server_pub: server.publicKey.b64url }), undefined, URL);
  expect(a).toMatchObject({ kind: 'accepted', serverId: SID, keep: false });
  expect(a.kind === 'accepted' && a.key.equals(server.publicKey)).toBe(true);
});

test('ACK {msg_ref:"USER_HELLO_OK", server_pub} without server_id: the id is the ACK\'s `from`; a PEM-b64url key is fine', () => {
  const a = helloAnswer(frame('ACK', { msg_ref: 'USER_HELLO_OK', server_pub: server.publicKey.toPemBase64Url() }), server.publicKey, URL);
  expect(a).toMatchObject({ kind: 'accepted', serverId: SID });
});

test('an ACK whose key is not the expected one, or that its key did not sign, is refused', () => {
  expect(helloAnswer(frame('ACK', { msg_ref: 'USER_HELLO', server_id: SID, server_pub: server.publicKey.b64url }), other.publicKey, URL))
    .toMatchObject({ kind: 'refused', error: { code: 'BAD_KEY' } });
  expect(helloAnswer(frame('ACK', { msg_ref: 'USER_HELLO', server_id: SID, server_pub: server.publicKey.b64url }, other), undefined, URL))
    .toMatchObject({ kind: 'refused', error: { code: 'INVALID_SIG' } });
  expect(helloAnswer(frame('ACK', { msg_ref: 'USER_HELLO', server_pub: 'junk' }), undefined, URL)).toMatchObject({ kind: 'refused', error: { code: 'BAD_KEY' } });
});

test('no ACK: without a key nothing completes; with one, the first frame it verifies does (and is kept)', () => {
  const adv = frame('USER_ADVERTISE', { user_id: randomUUID(), server_id: SID, meta: {} });
  expect(helloAnswer(adv, undefined, URL)).toEqual({ kind: 'hold' });
  expect(helloAnswer(frame('USER_ADVERTISE', { user_id: randomUUID(), server_id: SID, meta: {} }, other), server.publicKey, URL)).toEqual({ kind: 'hold' });
  expect(helloAnswer(adv, server.publicKey, URL)).toMatchObject({ kind: 'accepted', serverId: SID, keep: true });
  expect(helloTimeout(URL, 10, undefined)).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('--server-key') });
  expect(helloTimeout(URL, 10, server.publicKey)).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('pinned server key') });
});

test('ERROR refuses: NAME_IN_USE and BAD_KEY keep their code; with a key, an unsigned refusal says so', () => {
  expect(helloAnswer(frame('ERROR', { code: 'NAME_IN_USE', detail: 'taken' }), undefined, URL)).toMatchObject({ kind: 'refused', error: { code: 'NAME_IN_USE' } });
  const forged = helloAnswer(frame('ERROR', { code: 'BAD_PASSWORD', detail: 'x' }, other), server.publicKey, URL);
  expect(forged).toMatchObject({ kind: 'refused', error: { code: 'UNKNOWN_TYPE', message: expect.stringContaining('not signed by the pinned server key') } });
});

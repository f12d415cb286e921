/**
 * The USER_HELLO the CLI sends (docs/protocol.md "User ↔ server"): signed with the user key, addressed
 * to the pinned server id or "*", and its payload's `bind` repeats the envelope's type, sender,
 * recipient and time, so the transport signature covers them (a replay under another `to` or
 * `ts`, or as another type, no longer matches).
 */
import { randomUUID } from 'node:crypto';
import { CAP_FILE_BLOCKS, decodeFrame, encodeFrame, generateKeyPair, helloDraft, helloTo, sealDraftAsync, verifyFrame, type RsaPrivateKey } from '@socp/protocol';

let key: RsaPrivateKey;
beforeAll(async () => (key = await generateKeyPair()), 60_000);

test('an unpinned hello goes to "*", a pinned one to the server id', () => {
  expect(helloTo(undefined)).toBe('*');
  const id = randomUUID();
  expect(helloTo(id)).toBe(id);
});

test.each([['*', undefined], [randomUUID(), 'login-nonce']])('hello to %s: bind equals the envelope, the sig covers it', async (to, nonce) => {
  const me = { userId: randomUUID(), name: 'ana', key };
  const ts = 1_760_000_003_000;
  const f = await sealDraftAsync(helloDraft(me, to, ts, { client: 'socp-cli/0.1', name: me.name, queueAck: true, nonce }), key);
  expect(f).toMatchObject({ type: 'USER_HELLO', from: me.userId, to, ts });
  expect(f.payload).toMatchObject({ pubkey: key.publicKey.b64url, queue_ack: true, bind: { type: 'USER_HELLO', from: me.userId, to, ts } });
  if (nonce) expect(f.payload).toMatchObject({ nonce });
  expect(verifyFrame(f, key.publicKey).ok).toBe(true);
  // The signature binds `bind`: a replay claiming another time or recipient in the payload fails.
  const p = f.payload as unknown as { bind: Record<string, unknown> };
  expect(verifyFrame({ ...f, payload: { ...p, bind: { ...p.bind, ts: ts + 1 } } as never }, key.publicKey).ok).toBe(false);
  expect(verifyFrame({ ...f, payload: { ...p, bind: { ...p.bind, to: randomUUID() } } as never }, key.publicKey).ok).toBe(false);
});

test('caps go in meta.caps (with or without a name), and the hello passes the schema a server reads it with', async () => {
  const me = { userId: randomUUID(), name: 'ana', key };
  const named = await sealDraftAsync(helloDraft(me, '*', 1, { client: 'c', name: 'ana', caps: [CAP_FILE_BLOCKS] }), key);
  expect(named.payload.meta).toEqual({ display_name: 'ana', username: 'ana', caps: [CAP_FILE_BLOCKS] });
  const bare = await sealDraftAsync(helloDraft(me, '*', 1, { client: 'c', caps: [CAP_FILE_BLOCKS] }), key);
  expect(bare.payload.meta).toEqual({ caps: [CAP_FILE_BLOCKS] });
  expect((await sealDraftAsync(helloDraft(me, '*', 1, { client: 'c', caps: [] }), key)).payload.meta).toBeUndefined();
  for (const f of [named, bare]) expect(decodeFrame(encodeFrame(f))).toMatchObject({ ok: true, value: { payload: { meta: { caps: [CAP_FILE_BLOCKS] } } } });
});

/**
 * One server, real Redis, real WebSockets, real RSA-4096: the user side of SOCP and the
 * hostile-client cases. Each refusal must carry the right wire code, change no state, and be
 * counted in socp_frames_rejected_total.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { b64urlEncode, importPublicKey, verifyFrame, type RsaPrivateKey } from '@socp/protocol';
import { useOneServer } from './helpers/one-server';
import type { RawUser } from './helpers/raw-user';
import { waitFor } from './helpers/redis-process';
import { admin, metricValue } from './helpers/test-server';

jest.setTimeout(60_000);

const fx = useOneServer(4);
const ids = { alice: randomUUID(), bob: randomUUID(), carol: randomUUID(), dave: randomUUID() };

async function connect(id: string, key: RsaPrivateKey, meta?: Record<string, string>): Promise<RawUser> {
  const u = await fx.connect(id, key);
  if (meta !== null) u.hello(meta);
  return u;
}
const acked = (u: RawUser) => u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'USER_HELLO ACK');
const weakKey = (opts: { modulusLength: number; publicExponent?: number }): string =>
  b64urlEncode(generateKeyPairSync('rsa', opts).publicKey.export({ type: 'spki', format: 'der' }));

test('USER_HELLO is answered with a signed ACK carrying server_id and server_pub', async () => {
  const a = await connect(ids.alice, fx.keys[0]!, { username: 'alice' });
  const ack = await acked(a);
  expect(ack.payload).toMatchObject({ msg_ref: 'USER_HELLO', server_id: fx.srv.node.serverId, server_pub: fx.srv.node.pubkey });
  expect(verifyFrame(ack, importPublicKey(fx.srv.node.pubkey)).ok).toBe(true);
  const id = await admin(fx.srv.node, '/identity');
  expect(id.json()).toEqual({ id: fx.srv.node.serverId, pubkey: fx.srv.node.pubkey, wsPort: fx.srv.node.wsPort, role: 'server' });
  await waitFor('join', () => fx.intro.joined.has(fx.srv.node.serverId));
});

test('a local DM becomes USER_DELIVER with the original ts; an unknown recipient gets USER_NOT_FOUND', async () => {
  const a = await connect(ids.alice, fx.keys[0]!);
  const b = await connect(ids.bob, fx.keys[1]!, { username: 'bob' });
  await acked(a);
  await acked(b);
  const dm = a.dm(ids.bob);
  a.send(dm, false);
  const got = await b.next((f) => f.type === 'USER_DELIVER', 'USER_DELIVER');
  expect(got.from).toBe(fx.srv.node.serverId);
  expect(got.ts).toBe(dm.ts);
  expect(got.payload).toMatchObject({ ciphertext: dm.payload.ciphertext, sender: ids.alice, content_sig: dm.payload.content_sig, orig_ts: dm.ts });
  expect(verifyFrame(got, importPublicKey(fx.srv.node.pubkey)).ok).toBe(true);
  a.send(a.dm(randomUUID()), false);
  await a.error('USER_NOT_FOUND');
});

test('LIST_REQUEST lists online users sorted, with server ids and names', async () => {
  const a = await connect(ids.alice, fx.keys[0]!);
  const b = await connect(ids.bob, fx.keys[1]!);
  await acked(a);
  await acked(b);
  a.send({ type: 'LIST_REQUEST', from: ids.alice, to: fx.srv.node.serverId, ts: Date.now(), payload: {} });
  const r = await a.next((f) => f.type === 'LIST_RESPONSE', 'LIST_RESPONSE');
  expect(r.payload).toMatchObject({ online_users: [ids.alice, ids.bob].sort() });
  // b's presence reached a as a USER_ADVERTISE with the key at top level and in meta.
  const adv = await a.next((f) => f.type === 'USER_ADVERTISE' && f.payload.user_id === ids.bob, 'advertise of bob');
  expect(adv.payload).toMatchObject({ server_id: fx.srv.node.serverId, pubkey: fx.keys[1]!.publicKey.toBase64Url(), meta: { pubkey: fx.keys[1]!.publicKey.toBase64Url() } });
});

describe('hostile clients are refused with the right code and no state change', () => {
  const snapshot = () => ({ local: [...fx.srv.node.state.localUsers.keys()].sort(), keys: new Map(fx.srv.node.state.userKeys), names: new Map(fx.srv.node.state.names) });

  test('duplicate user_id and a taken name → NAME_IN_USE', async () => {
    const a = await connect(ids.alice, fx.keys[0]!, { username: 'alice' });
    await acked(a);
    const before = snapshot();
    const rejected = await metricValue(fx.srv.node, 'socp_frames_rejected_total', { reason: 'NAME_IN_USE' });
    const dup = await connect(ids.alice, fx.keys[0]!);
    await dup.error('NAME_IN_USE');
    const c = await connect(ids.carol, fx.keys[2]!, { username: 'alice' });
    await c.error('NAME_IN_USE');
    expect(snapshot()).toEqual(before);
    expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { reason: 'NAME_IN_USE' })).toBe(rejected + 2);
  });

  test('a key swap for a bound user_id → BAD_KEY', async () => {
    const d = await connect(ids.dave, fx.keys[3]!);
    await acked(d);
    d.close();
    await waitFor('dave gone', () => !fx.srv.node.state.localUsers.has(ids.dave));
    const before = snapshot();
    const d2 = await connect(ids.dave, fx.keys[2]!);
    await d2.error('BAD_KEY');
    expect(snapshot()).toEqual(before);
    expect(fx.srv.node.state.userKeys.get(ids.dave)).toBe(fx.keys[3]!.publicKey.toBase64Url());
  });

  test('a 1024-bit key and an e = 3 key → BAD_KEY', async () => {
    const before = snapshot();
    const n0 = await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'USER_HELLO', reason: 'BAD_KEY' });
    for (const pub of [weakKey({ modulusLength: 1024 }), weakKey({ modulusLength: 4096, publicExponent: 3 })]) {
      const u = await fx.connect(randomUUID(), fx.keys[0]!);
      u.send({ type: 'USER_HELLO', from: u.id, to: 'server', ts: Date.now(), payload: { client: 'evil', pubkey: pub } }, false);
      await u.error('BAD_KEY');
    }
    expect(snapshot()).toEqual(before);
    expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'USER_HELLO', reason: 'BAD_KEY' })).toBe(n0 + 2);
  });

  test('unknown type and malformed JSON → UNKNOWN_TYPE; an oversize frame closes with 1009', async () => {
    const a = await connect(ids.alice, fx.keys[0]!);
    await acked(a);
    const before = snapshot();
    a.sendRaw(JSON.stringify({ type: 'MSG_TELEPORT', from: ids.alice, to: ids.bob, ts: Date.now(), payload: {}, sig: '' }));
    await a.error('UNKNOWN_TYPE');
    a.frames.length = 0;
    a.sendRaw('{"type": "MSG_DIRECT", nope');
    await a.error('UNKNOWN_TYPE');
    expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { reason: 'UNKNOWN_TYPE' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { reason: 'SOCP_ERR_MALFORMED_JSON' })).toBeGreaterThanOrEqual(1);
    const big = await fx.connect(randomUUID(), fx.keys[2]!);
    big.sendRaw('x'.repeat(1024 * 1024 + 10));
    expect(await big.closed()).toBe(1009);
    await waitFor('oversize counted', async () => (await metricValue(fx.srv.node, 'socp_frames_rejected_total', { reason: 'SOCP_ERR_FRAME_TOO_LARGE' })) >= 1);
    expect(snapshot()).toEqual(before);
  });

  test('a replayed MSG_DIRECT and a forged content_sig → INVALID_SIG, delivered once', async () => {
    const a = await connect(ids.alice, fx.keys[0]!);
    const b = await connect(ids.bob, fx.keys[1]!);
    await acked(a);
    await acked(b);
    const dm = a.dm(ids.bob);
    a.send(dm);
    await b.next((f) => f.type === 'USER_DELIVER', 'first delivery');
    const n0 = await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'MSG_DIRECT', reason: 'SOCP_ERR_REPLAY' });
    a.send(dm);
    await a.error('INVALID_SIG');
    expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'MSG_DIRECT', reason: 'SOCP_ERR_REPLAY' })).toBe(n0 + 1);
    a.frames.length = 0;
    const forged = a.dm(ids.bob);
    forged.payload.content_sig = b.dm(ids.bob).payload.content_sig; // signed by bob's key, not alice's
    a.send(forged, false);
    await a.error('INVALID_SIG');
    // A frame signed with a key that is not the user's bound key is refused as well.
    a.frames.length = 0;
    a.ws.send(JSON.stringify({ ...a.dm(ids.bob), sig: 'AAAA' }));
    await a.error('INVALID_SIG');
    await fx.srv.node.idle();
    expect(b.frames.filter((f) => f.type === 'USER_DELIVER')).toHaveLength(1);
  });
});

test('/readyz goes 503 when Redis stops and 200 when it returns', async () => {
  const ready = async () => admin(fx.srv.node, '/readyz');
  await waitFor('ready', async () => (await ready()).statusCode === 200);
  await fx.redis.stop();
  const down = await waitFor('503', async () => {
    const r = await ready();
    return r.statusCode === 503 ? r : undefined;
  });
  expect(down.json()).toEqual({ status: 'not_ready', checks: { redis: false, keys: true, mesh: true, storage: true } });
  expect(await metricValue(fx.srv.node, 'socp_redis_up')).toBe(0);
  await fx.redis.start();
  await waitFor('200 again', async () => (await ready()).statusCode === 200, 15_000);
  const live = await admin(fx.srv.node, '/livez');
  expect(live.json()).toEqual({ status: 'ok' });
});

test('a restarted server on the same Redis keeps its server_id and key', async () => {
  // Redis was restarted without persistence in the previous test: write the identity again first.
  await fx.srv.stop();
  fx.srv = await fx.startServer();
  const { serverId, pubkey } = fx.srv.node;
  await waitFor('joined', async () => (await admin(fx.srv.node, '/readyz')).statusCode === 200);
  const closes = fx.intro.received.filter((t) => t === 'CTRL_CLOSE').length;
  await fx.srv.stop();
  await waitFor('CTRL_CLOSE to the introducer on a graceful stop', () => fx.intro.received.filter((t) => t === 'CTRL_CLOSE').length > closes);
  fx.srv = await fx.startServer();
  expect(fx.srv.node.serverId).toBe(serverId);
  expect(fx.srv.node.pubkey).toBe(pubkey);
});

/**
 * A user id belongs to its key holder, on real processes (issue 13 item 1, docs/SECURITY.md
 * "User identity"): an unsigned hello cannot take an online user, a bound id needs a proven
 * hello, a proven hello wins over an unproven session mesh-wide, hellos of spec-only clients
 * leave nothing behind in Redis, and no hello can squat an account's name.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { Redis } from 'ioredis';
import { sealFrame, withBind, type Frame } from '@socp/protocol';
import { accountHello, register } from '../../services/server/test/helpers/account-login';
import { RawUser as AccountUser } from '../../services/server/test/helpers/raw-user';
import { FrameSocket } from '../harness/frame-socket';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { metric, useMesh } from './mesh-helpers';

jest.setTimeout(180_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 4); // 0 alice, 1 bob, 2 x (unbound id's holder), 3 impostor
const s = (i: number) => fx.mesh.servers[i]!;
let alice: RawUser;
let bob: RawUser;

beforeAll(async () => {
  await opaque.ready;
  alice = await fx.connect(0, fx.keys[0]!, 'alice');
  bob = await fx.connect(1, fx.keys[1]!, 'bob');
  await alice.waitForUser(bob.id, 20_000);
});

/** A hello on a fresh socket to server i; resolves with the answer (ACK or ERROR) and the socket. */
async function hello(i: number, f: Frame): Promise<{ sock: FrameSocket; code: string | undefined }> {
  const sock = await FrameSocket.connect(s(i).wsUrl);
  sock.send(f);
  const a = await sock.waitFrame((x) => x.type === 'ERROR' || (x.type === 'ACK' && (x.payload as { msg_ref: string }).msg_ref === 'USER_HELLO'), 10_000);
  return { sock, code: a.type === 'ERROR' ? (a.payload as { code: string }).code : undefined };
}
const unsignedHello = (id: string, pubkey: string, meta?: Record<string, string>): Frame =>
  ({ type: 'USER_HELLO', from: id, to: '*', ts: Date.now(), payload: { pubkey, ...(meta ? { meta } : {}) }, sig: '' }) as Frame;

test('an unsigned hello for a user online at another server is NAME_IN_USE and moves nothing', async () => {
  const n = await metric(s(0).adminUrl, 'socp_frames_rejected_total', { reason: 'NAME_IN_USE' });
  const { sock, code } = await hello(0, unsignedHello(bob.id, bob.pubkey));
  expect(code).toBe('NAME_IN_USE');
  expect(await metric(s(0).adminUrl, 'socp_frames_rejected_total', { reason: 'NAME_IN_USE' })).toBe(n + 1);
  sock.terminate();
  const m = bob.mark();
  alice.sendDm(bob.id, 'to the real bob');
  expect((await bob.waitMessage(alice.id, 10_000, m)).text).toBe('to the real bob');
  expect(alice.refreshRoster().get(bob.id)?.serverId).toBe(s(1).id);
});

test('a bound id that is offline needs a proven hello with its key', async () => {
  const b2 = await fx.connect(1, fx.keys[1]!, 'bob2', randomUUID());
  await alice.waitForUser(b2.id, 10_000);
  b2.sock.terminate();
  await alice.waitForUserGone(b2.id, 10_000);
  const key = fx.keys[1]!;
  const plain = { type: 'USER_HELLO' as const, from: b2.id, to: '*', ts: Date.now(), payload: { pubkey: key.publicKey.toBase64Url() } };
  expect((await hello(0, unsignedHello(b2.id, key.publicKey.toBase64Url()))).code).toBe('INVALID_SIG');
  expect((await hello(0, sealFrame(plain, key) as Frame)).code).toBe('INVALID_SIG'); // signed but replayable (no bind)
  const other = fx.keys[3]!;
  expect((await hello(0, sealFrame(withBind({ ...plain, ts: Date.now() + 1, payload: { pubkey: other.publicKey.toBase64Url() } }), other) as Frame)).code).toBe('BAD_KEY');
  expect(alice.refreshRoster().has(b2.id)).toBe(false);
  const back = await fx.connect(0, key, 'bob2', b2.id); // the key holder gets in
  await waitFor('back online', () => alice.refreshRoster().has(back.id), 10_000);
});

test('a proven hello wins over an unproven session of the same id on another server', async () => {
  const x = fx.keys[2]!;
  const xid = randomUUID();
  // an impostor with x's public key and no proof takes the unbound id on server 1
  const imp = await RawUser.connect(s(1).wsUrl, { key: x, userId: xid, unproven: true });
  await alice.waitForUser(xid, 10_000);
  // the holder of x's key says hello to server 0
  const real = await fx.connect(0, x, 'x', xid);
  const err = await imp.sock.waitError('NAME_IN_USE', 10_000);
  expect(err).toBeDefined();
  expect(await imp.sock.waitClosed(10_000)).toBe(1008);
  await waitFor('alice sees x on server 0', () => alice.refreshRoster().get(xid)?.serverId === s(0).id, 10_000);
  const m = real.mark();
  alice.sendDm(xid, 'for the key holder');
  expect((await real.waitMessage(alice.id, 10_000, m)).text).toBe('for the key holder');
});

test('spec-only hellos with fresh ids leave no binding, name, user row or channel wrap in Redis', async () => {
  const redis = new Redis(s(0).redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keysBefore = await redis.hlen('socp:users:keys');
    const namesBefore = await redis.hlen('socp:names');
    const rowsBefore = (await redis.keys('socp:user:*')).length;
    const wrapsBefore = await redis.hlen('socp:group_members:public');
    const online = await metric(s(0).adminUrl, 'socp_users_online', { scope: 'local' });
    const pub = fx.keys[3]!.publicKey.toBase64Url();
    for (let wave = 0; wave < 10; wave++) {
      const socks = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await hello(0, unsignedHello(randomUUID(), pub, { username: `squat-${wave}-${i}` }))).sock));
      for (const x of socks) x.terminate();
    }
    await waitFor('the 200 hellos gone', async () => (await metric(s(0).adminUrl, 'socp_users_online', { scope: 'local' })) === online, 10_000);
    expect(await redis.hlen('socp:users:keys')).toBe(keysBefore);
    expect(await redis.hlen('socp:names')).toBe(namesBefore);
    expect((await redis.keys('socp:user:*')).length).toBe(rowsBefore);
    expect(await redis.hlen('socp:group_members:public')).toBe(wrapsBefore);
  } finally {
    redis.disconnect();
  }
});

test('a name shown by a spec-only user does not block the account that registers it', async () => {
  const squatter = await hello(0, unsignedHello(randomUUID(), fx.keys[3]!.publicKey.toBase64Url(), { username: 'zoe', display_name: 'zoe' }));
  expect(squatter.code).toBeUndefined(); // it may show the name while online…
  const zid = randomUUID();
  const z = await AccountUser.connect(s(0).wsPort, zid, fx.keys[2]!);
  const r = await register(z, s(0).id, 'zoe', randomUUID()); // …but the account gets it
  accountHello(z, s(0).id, 'zoe', r.nonce);
  await z.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'zoe logged in');
  squatter.sock.terminate();
  z.close();
});

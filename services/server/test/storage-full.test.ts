/**
 * Refusing new state while Redis is full (adapters/storage-guard.ts), on one in-process server
 * with a real redis-server set to `maxmemory-policy noeviction` and a small `maxmemory`, filled
 * to its bound: a DM that would be queued for an offline account user, an account registration
 * and a hello binding a new user id are each refused with ERROR TIMEOUT (SOCP_ERR_STORAGE_FULL),
 * counted and nothing is stored; a DM between online users still goes through; with room again
 * the same DM is queued. (tests/integration/storage-full.test.ts fills Redis with hostile hellos
 * on a real process.)
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { STORAGE_PROBE_INTERVAL_MS } from '../src/adapters/storage-guard';
import { register } from './helpers/account-login';
import { useOneServer } from './helpers/one-server';
import type { RawUser } from './helpers/raw-user';
import { waitFor } from './helpers/redis-process';
import { admin, metricValue } from './helpers/test-server';

jest.setTimeout(90_000);

beforeAll(() => opaque.ready);
const fx = useOneServer(3);
const FILLER = 'test:filler';

async function online(id: string, key: number, name: string): Promise<RawUser> {
  const u = await fx.connect(id, fx.keys[key]!);
  u.hello({ username: name });
  await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', `${name} hello ACK`);
  return u;
}

/** Lower maxmemory to just above what Redis holds and fill the rest (a stand-in for any hostile fill). */
async function fillRedis(): Promise<void> {
  const r = fx.srv.redis;
  const used = Number(/^used_memory:(\d+)/m.exec(await r.info('memory'))![1]);
  await r.config('SET', 'maxmemory-policy', 'noeviction');
  await r.config('SET', 'maxmemory', String(used + 256 * 1024));
  const chunk = 'x'.repeat(16 * 1024);
  for (let i = 0; ; i++) {
    try {
      await r.rpush(FILLER, chunk);
    } catch (e) {
      expect((e as Error).message).toMatch(/^OOM/);
      break;
    }
    if (i > 10_000) throw new Error('Redis never reported OOM');
  }
  await waitFor('the server sees storage full', async () => (await metricValue(fx.srv.node, 'socp_storage_full')) === 1, 5 * STORAGE_PROBE_INTERVAL_MS);
}

test('while Redis is full: queued DMs, registrations and new bindings are refused with a code; online users chat; with room again DMs queue', async () => {
  const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
  const reg = await fx.connect(carol, fx.keys[2]!);
  await register(reg, fx.srv.node.serverId, 'carol', 'carol password');
  reg.close(); // carol has an account and is offline: DMs to her queue in Redis
  const a = await online(alice, 0, 'alice');
  const b = await online(bob, 1, 'bob');

  await fillRedis();
  const r = await admin(fx.srv.node, '/readyz');
  expect([r.statusCode, (r.json() as { status: string }).status]).toEqual([200, 'degraded']);

  // A DM that would be queued: refused, named, nothing stored.
  const dm = a.dm(carol);
  a.send(dm);
  const e = await a.next((f) => f.type === 'ERROR' && f.payload.code === 'TIMEOUT', 'queued DM refused');
  expect(e.payload).toMatchObject({ detail: expect.stringMatching(/storage is full: queued_dm refused/), to: carol, ts: dm.ts });
  expect(await fx.srv.redis.exists(`socp:queue:${carol}`)).toBe(0);

  // A registration and a new user id: refused.
  const dave = await fx.connect(randomUUID(), fx.keys[2]!);
  const start = opaque.client.startRegistration({ password: 'dave password' });
  dave.send({ type: 'ACCOUNT_REGISTER_START', from: dave.id, to: fx.srv.node.serverId, ts: Date.now(), payload: { username: 'dave', pubkey: dave.key.publicKey.toBase64Url(), registration_request: start.registrationRequest } });
  expect(((await dave.error('TIMEOUT')).payload as { detail?: string }).detail).toMatch(/storage is full: account refused/);
  const erin = await fx.connect(randomUUID(), fx.keys[2]!);
  erin.hello({ username: 'erin' });
  await erin.error('TIMEOUT');
  expect(fx.srv.node.state.userKeys.has(erin.id)).toBe(false);

  // Online users keep chatting.
  a.send(a.dm(bob));
  await b.next((f) => f.type === 'USER_DELIVER', 'DM between online users');

  expect(await metricValue(fx.srv.node, 'socp_storage_refused_total', { what: 'queued_dm' })).toBe(1);
  expect(await metricValue(fx.srv.node, 'socp_storage_refused_total', { what: 'account' })).toBe(1);
  expect(await metricValue(fx.srv.node, 'socp_storage_refused_total', { what: 'binding' })).toBe(1);
  expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'MSG_DIRECT', reason: 'SOCP_ERR_STORAGE_FULL' })).toBe(1);

  // Room again: the DM to carol is queued.
  await fx.srv.redis.del(FILLER);
  await waitFor('storage has room again', async () => (await metricValue(fx.srv.node, 'socp_storage_full')) === 0, 5 * STORAGE_PROBE_INTERVAL_MS);
  a.send(a.dm(carol));
  await a.next((f) => f.type === 'ACK' && f.payload['status'] === 'queued', 'queued ACK');
  await waitFor('the DM in carol\'s queue', async () => (await fx.srv.redis.llen(`socp:queue:${carol}`)) === 1);
});

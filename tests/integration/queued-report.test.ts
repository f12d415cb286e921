/**
 * A delivery report reaches a sender who left (routing/delivery-acks.ts, docs/accounts.md):
 * alice, an account user on server 0, sends a DM into the link to a frozen server 1 and
 * disconnects; when the link is declared dead, her TIMEOUT report goes into her offline queue
 * (Redis), is handed over at her next log-in (`queued: true`, a `queue_ref`, naming her DM by
 * msg_ref), and her signed ACK removes it. Real processes, real Redis, OPAQUE, RSA-4096.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { Redis } from 'ioredis';
import { dedupeKey, generateKeyPair, hopAckFrame, type RsaPrivateKey } from '@socp/protocol';
import { accountHello, login, register } from '../../services/server/test/helpers/account-login';
import { RawUser as AccountUser } from '../../services/server/test/helpers/raw-user';
import { waitFor } from '../harness/wait';
import { FAST, metric, useMesh } from './mesh-helpers';

jest.setTimeout(120_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 1); // key 0: bob (plain user on server 1)
const PASSWORD = randomUUID(); // per run: no fixed secret in the repository
const alice = randomUUID();
let aliceKey: RsaPrivateKey;
let redis: Redis;

beforeAll(async () => {
  [aliceKey] = await Promise.all([generateKeyPair(), opaque.ready]);
  redis = new Redis(fx.mesh.servers[0]!.redisUrl, { maxRetriesPerRequest: 1 });
});
afterAll(() => redis?.disconnect());

const wsPort = (): number => fx.mesh.servers[0]!.wsPort;
const sid = (): string => fx.mesh.servers[0]!.id;
const helloAcked = (u: AccountUser) => u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'hello ACK');

test('a TIMEOUT report that falls due after its sender left is queued, handed over at the next log-in, and removed by her ACK', async () => {
  const bob = await fx.connect(1, fx.keys[0]!, 'bob');
  const a1 = await AccountUser.connect(wsPort(), alice, aliceKey);
  const r1 = await register(a1, sid(), 'alice', PASSWORD);
  accountHello(a1, sid(), 'alice', r1.nonce, { queue_ack: true });
  await helloAcked(a1);
  await a1.next((f) => f.type === 'USER_ADVERTISE' && f.payload.user_id === bob.id, 'bob advertised to alice', 15_000);

  fx.mesh.pause(1);
  const dm = a1.dm(bob.id);
  a1.send(dm);
  const ref = dedupeKey(dm);
  await waitFor('the DM in flight', async () => (await metric(fx.mesh.servers[0]!.adminUrl, 'socp_dms_unconfirmed')) === 1 || undefined, 5_000, 20);
  a1.close(); // she leaves before the link is declared dead
  await waitFor('her report queued in Redis', async () => (await redis.llen(`socp:queue:${alice}`)) === 1 || undefined, FAST.deadAfterMs + 3 * FAST.heartbeatMs + 10_000, 50);
  expect(a1.frames.some((f) => f.type === 'ERROR')).toBe(false);

  const a2 = await AccountUser.connect(wsPort(), alice, aliceKey);
  const r2 = await login(a2, sid(), 'alice', PASSWORD);
  accountHello(a2, sid(), 'alice', r2.nonce, { queue_ack: true });
  await helloAcked(a2);
  const report = await a2.next((f) => f.type === 'ERROR' && f.payload['queued'] === true, 'the queued report');
  expect(report.payload).toMatchObject({ code: 'TIMEOUT', msg_ref: ref, to: bob.id, ts: dm.ts, queued: true, queue_ref: expect.any(String) });
  expect(await redis.llen(`socp:queue:${alice}`)).toBe(1); // kept until she acknowledges it

  const acked0 = await metric(fx.mesh.servers[0]!.adminUrl, 'socp_queued_acked_total');
  a2.send(hopAckFrame(alice, sid(), [String((report.payload as { queue_ref?: unknown }).queue_ref)], Date.now()));
  await waitFor('her ACK empties the queue', async () => (await redis.llen(`socp:queue:${alice}`)) === 0 || undefined, 10_000, 50);
  expect(await metric(fx.mesh.servers[0]!.adminUrl, 'socp_queued_acked_total')).toBe(acked0 + 1);
  a2.close();
  fx.mesh.resume(1);
});

/**
 * Client-acknowledged offline-queue hand-over (docs/accounts.md "Delivery at log-in") on a real
 * server (real Redis, WebSockets, RSA-4096, OPAQUE): a log-in with `queue_ack` gets the queued
 * DMs without their deletion; closing without an ACK keeps them for the next log-in; a signed
 * ACK of their queue_refs empties the queue; a forged or unsigned ACK changes nothing; a hello
 * without `queue_ack` drains the queue as before.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { encodeFrame, hopAckFrame, sealFrame, type Frame } from '@socp/protocol';
import { accountHello, login, register } from './helpers/account-login';
import { useOneServer } from './helpers/one-server';
import type { RawUser } from './helpers/raw-user';
import { waitFor } from './helpers/redis-process';
import { metricValue } from './helpers/test-server';

jest.setTimeout(90_000);

const PASSWORD = randomUUID(); // per run: no fixed secret in the repository
beforeAll(() => opaque.ready);
const fx = useOneServer(3); // keys: alice (account, ACKs), bob (plain sender), carol (account, no ACKs)
const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
const queueKey = (id: string): string => `socp:queue:${id}`;
const queueLength = (id: string): Promise<number> => fx.srv.redis.llen(queueKey(id));
const serverId = (): string => fx.srv.node.serverId;

const queuedDms = (u: RawUser): Frame[] => u.frames.filter((f) => f.type === 'USER_DELIVER' && (f.payload as { queued?: unknown }).queued === true);
async function receiveQueued(u: RawUser, n: number): Promise<Frame[]> {
  return waitFor(`${n} queued DMs`, () => (queuedDms(u).length >= n ? queuedDms(u) : undefined));
}
/** Everything `u` sent so far was handled: the server answers a LIST_REQUEST after it (one socket, in order). */
async function handled(u: RawUser): Promise<void> {
  const seen = u.frames.filter((f) => f.type === 'LIST_RESPONSE').length;
  u.send({ type: 'LIST_REQUEST', from: u.id, to: serverId(), ts: Date.now(), payload: {} });
  await waitFor('LIST_RESPONSE', () => u.frames.filter((f) => f.type === 'LIST_RESPONSE').length > seen || undefined);
  await fx.srv.node.idle();
}
const refsOf = (frames: Frame[]): string[] => frames.map((f) => (f.payload as { queue_ref?: string }).queue_ref!);

/** The account user is offline (its connections closed and the server knows it). */
async function offline(id: string, ...conns: RawUser[]): Promise<void> {
  for (const c of conns) c.close();
  await waitFor(`${id.slice(0, 8)} offline`, () => !fx.srv.node.state.localUsers.has(id));
}

/** Bob (a plain user) sends `n` DMs to the offline account `to`; each is reported queued and in its Redis list. */
async function queueDms(to: string, n: number): Promise<void> {
  const b = await fx.connect(bob, fx.keys[1]!);
  b.hello({ username: 'bob' });
  await b.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'bob hello ACK');
  const t0 = Date.now();
  for (let i = 0; i < n; i++) b.send(b.dm(to, t0 - i));
  await waitFor(`${n} queued ACKs`, () => b.frames.filter((f) => f.type === 'ACK' && f.payload['status'] === 'queued').length >= n || undefined);
  await waitFor(`${n} entries in Redis`, async () => (await queueLength(to)) === n || undefined);
  await offline(bob, b);
}

async function logIn(id: string, key: number, name: string, extra: Record<string, unknown>): Promise<RawUser> {
  const u = await fx.connect(id, fx.keys[key]!);
  const r = await login(u, serverId(), name, PASSWORD);
  accountHello(u, serverId(), name, r.nonce, extra);
  await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', `${name} hello ACK`);
  return u;
}

beforeAll(async () => {
  for (const [id, key, name] of [[alice, 0, 'alice'], [carol, 2, 'carol']] as const) {
    const u = await fx.connect(id, fx.keys[key]!);
    await register(u, serverId(), name, PASSWORD);
    u.close(); // registered, never said hello: offline
  }
});

test('queued DMs stay queued until the client ACKs them: closing without an ACK redelivers them; forged ACKs change nothing', async () => {
  await queueDms(alice, 3);
  const acked0 = await metricValue(fx.srv.node, 'socp_queued_acked_total');

  // First log-in: all three arrive, each with a distinct queue_ref; she vanishes without an ACK.
  const a1 = await logIn(alice, 0, 'alice', { queue_ack: true });
  const first = await receiveQueued(a1, 3);
  expect(new Set(refsOf(first)).size).toBe(3);
  await offline(alice, a1);
  expect(await queueLength(alice)).toBe(3);
  expect(await metricValue(fx.srv.node, 'socp_queued_unacked_total')).toBeGreaterThanOrEqual(3);

  // Second log-in: the same three again, same content.
  const a2 = await logIn(alice, 0, 'alice', { queue_ack: true });
  const again = await receiveQueued(a2, 3);
  const content = (fs: Frame[]) => fs.map((f) => (f.payload as { content_sig: string }).content_sig);
  expect(content(again)).toEqual(content(first));
  const refs = refsOf(again);

  // An ACK signed with another key (bob's) claiming to be alice's: INVALID_SIG, nothing removed.
  a2.ws.send(encodeFrame(sealFrame(hopAckFrame(alice, serverId(), refs, Date.now()), fx.keys[1]!)));
  await a2.error('INVALID_SIG');
  // Unsigned: refused as well.
  a2.send(hopAckFrame(alice, serverId(), refs, Date.now()), false);
  await waitFor('two INVALID_SIG', () => a2.frames.filter((f) => f.type === 'ERROR' && f.payload.code === 'INVALID_SIG').length >= 2 || undefined);
  // Refs this connection never got: ignored, no ERROR.
  a2.send(hopAckFrame(alice, serverId(), ['q-unknown', 'zz'], Date.now()));
  await handled(a2);
  expect(await queueLength(alice)).toBe(3);

  // Her real ACK of two, then the third: the queue empties, entry by entry.
  a2.send(hopAckFrame(alice, serverId(), refs.slice(0, 2), Date.now()));
  await waitFor('one entry left', async () => (await queueLength(alice)) === 1 || undefined);
  const left = JSON.parse((await fx.srv.redis.lrange(queueKey(alice), 0, -1))[0]!) as { payload: { content_sig: string } };
  expect(left.payload.content_sig).toBe(content(again)[2]);
  a2.send(hopAckFrame(alice, serverId(), refs.slice(2), Date.now()));
  await waitFor('queue empty', async () => (await fx.srv.redis.exists(queueKey(alice))) === 0 || undefined);
  expect(await metricValue(fx.srv.node, 'socp_queued_acked_total')).toBe(acked0 + 3);
  expect(a2.frames.filter((f) => f.type === 'ERROR')).toHaveLength(2);
});

test('a hello without queue_ack (or with another value) drains the queue at once, as before', async () => {
  await queueDms(carol, 2);
  const c = await logIn(carol, 2, 'carol', { queue_ack: 'yes' });
  const got = await receiveQueued(c, 2);
  expect(got.every((f) => (f.payload as { queue_ref?: unknown }).queue_ref === undefined)).toBe(true);
  expect(await queueLength(carol)).toBe(0);
  expect(await metricValue(fx.srv.node, 'socp_queued_delivered_total', { mode: 'drain' })).toBeGreaterThanOrEqual(2);
});

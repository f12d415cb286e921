/**
 * No unbounded work for unauthenticated or hostile peers (issue 13 item 2), on one in-process
 * server: real sockets, real Redis, real RSA-4096. Distinct loopback source addresses
 * (127.0.0.x) stand for distinct hosts.
 *  - a connection that never says hello and sends junk gets at most MAX_ANSWERS_BEFORE_HELLO
 *    answers, then a 1008 close; the same junk from another connection costs no new signature;
 *  - per-source caps on open and not-yet-identified connections (1013), other sources unaffected;
 *  - a user's MSG_PUBLIC_CHANNEL to "public" is charged one signature per copy it causes and is
 *    refused (TIMEOUT, naming the frame) once past the budget.
 * Prints one JSON line of figures.
 */
import { randomUUID } from 'node:crypto';
import { encodeFrame, sealFrame, signContent, type Frame } from '@socp/protocol';
import { MAX_ANSWERS_BEFORE_HELLO, USER_SIGNATURE_BURST, USER_SIGNATURES_PER_SEC } from '../src/transport/limits';
import { useOneServer } from './helpers/one-server';
import type { RawUser } from './helpers/raw-user';
import { waitFor } from './helpers/redis-process';
import { metricValue } from './helpers/test-server';

jest.setTimeout(120_000);

const MAX_CONNS = 6;
const MAX_PENDING = 3;
const fx = useOneServer(2, { SOCP_MAX_CONNS_PER_IP: String(MAX_CONNS), SOCP_MAX_PENDING_PER_IP: String(MAX_PENDING) });
const figures: Record<string, unknown> = {};
afterAll(() => void process.stdout.write(`${JSON.stringify({ attack: 'hostile-load', ...figures })}\n`));

const signatures = (): Promise<number> => metricValue(fx.srv.node, 'socp_crypto_duration_seconds_count', { op: 'sign' });
const errors = (u: RawUser): Frame[] => u.frames.filter((f) => f.type === 'ERROR');

/** Connect from `source` and say hello; resolves once the hello is ACKed. */
async function online(source: string): Promise<RawUser> {
  const u = await fx.connect(randomUUID(), fx.keys[0]!, source);
  u.hello();
  await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'hello ACK', 60_000);
  return u;
}

test('300 junk frames before hello: a few answers, then 1008 without signing more; the same junk again costs no new signature', async () => {
  const junk = ['{"type":"MSG_DIRECT","from":', '[1,2,3]', '{"type":"MSG_TELEPORT","from":"x","to":"y","ts":1,"payload":{},"sig":""}', Buffer.from([0, 1, 2])];
  const attack = async (source: string): Promise<{ answers: number; sigs: Set<string>; signed: number; close: number }> => {
    const before = await signatures();
    const u = await fx.connect(randomUUID(), fx.keys[1]!, source);
    for (let i = 0; i < 300; i++) u.sendRaw(junk[i % junk.length]!);
    const close = await u.closed();
    await fx.srv.node.idle();
    return { answers: errors(u).length, sigs: new Set(errors(u).map((f) => f.sig)), signed: (await signatures()) - before, close };
  };
  const first = await attack('127.0.0.20');
  const second = await attack('127.0.0.21');
  figures['junkFrames'] = 300;
  figures['answersPerJunkConnection'] = [first.answers, second.answers];
  // All signatures the server made meanwhile (its introducer heartbeat may fall in the window).
  figures['signaturesPerJunkConnection'] = [first.signed, second.signed];
  expect(first.close).toBe(1008);
  expect(first.answers).toBeGreaterThan(0);
  expect(first.answers).toBeLessThanOrEqual(MAX_ANSWERS_BEFORE_HELLO);
  expect(first.sigs.size).toBeLessThanOrEqual(junk.length); // one signature per distinct refusal, at most
  expect(second.close).toBe(1008);
  expect(second.answers).toBeLessThanOrEqual(MAX_ANSWERS_BEFORE_HELLO);
  expect([...second.sigs].every((s) => first.sigs.has(s))).toBe(true); // the same refusals: signatures reused
  expect(await metricValue(fx.srv.node, 'socp_prehello_budget_closes_total')).toBeGreaterThanOrEqual(2);
  expect(await metricValue(fx.srv.node, 'socp_answer_signature_reuses_total')).toBeGreaterThan(0);
});

test('per-source caps: connections not yet identified and connections in all are bounded per address (1013); other addresses go on', async () => {
  const src = '127.0.0.30';
  const pending = [];
  for (let i = 0; i < MAX_PENDING; i++) pending.push(await fx.connect(randomUUID(), fx.keys[0]!, src));
  const tooManyPending = await fx.connect(randomUUID(), fx.keys[0]!, src);
  expect(await tooManyPending.closed()).toBe(1013);
  await online('127.0.0.31'); // another host is not affected
  // Once identified they no longer count as pending: the address may open up to MAX_CONNS in all.
  for (const u of pending) {
    u.hello();
    await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'hello ACK');
  }
  for (let i = pending.length; i < MAX_CONNS; i++) await online(src);
  const tooMany = await fx.connect(randomUUID(), fx.keys[0]!, src);
  expect(await tooMany.closed()).toBe(1013);
  expect(await metricValue(fx.srv.node, 'socp_connections_refused_total', { reason: 'pending_per_ip' })).toBe(1);
  expect(await metricValue(fx.srv.node, 'socp_connections_refused_total', { reason: 'per_ip' })).toBe(1);
  // A slot freed by a close is usable again.
  pending[0]!.close();
  await waitFor('a slot free again', async () => {
    const u = await fx.connect(randomUUID(), fx.keys[0]!, src);
    await new Promise((r) => setTimeout(r, 50));
    return u.closedWith === undefined ? u : undefined;
  });
});

test('MSG_PUBLIC_CHANNEL to "public" is charged per signed copy; past the signature budget it is refused by name and the connection closed', async () => {
  const users: RawUser[] = [];
  for (let i = 0; i < 60; i += 10) users.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => online(`127.0.1.${i + j + 1}`)))));
  await fx.srv.node.idle();
  const [sender, ...others] = users as [RawUser, ...RawUser[]];
  const online_ = fx.srv.node.state.directory.size;
  const cost = online_ + fx.srv.node.state.servers.size;
  const sent = 40;
  const t0 = Date.now();
  // Signed first, sent in one burst: what passes is the budget's burst, not the client's signing speed.
  const frames = Array.from({ length: sent }, (_, i) => {
    const ts = t0 + i;
    const ciphertext = Buffer.alloc(512, i).toString('base64url');
    return encodeFrame(sealFrame({ type: 'MSG_PUBLIC_CHANNEL', from: sender.id, to: 'public', ts, payload: { ciphertext, sender_pub: sender.key.publicKey.toBase64Url(), content_sig: signContent(sender.key, { ciphertext, from: sender.id, ts }) } }, sender.key));
  });
  const before = await signatures();
  const tSend = Date.now();
  for (const f of frames) sender.sendRaw(f);
  const refusal = await sender.error('TIMEOUT', 90_000); // read once the fan-out before it is signed: slow on a busy machine
  const elapsedS = (Date.now() - tSend) / 1000;
  expect(String((refusal.payload as { detail?: string }).detail)).toMatch(/^too many signatures: MSG_PUBLIC_CHANNEL costs one per signed copy/);
  expect(await sender.closed()).toBe(1008);
  await fx.srv.node.idle();
  const delivered = others[0]!.frames.filter((f) => f.type === 'USER_DELIVER').length;
  const signed = (await signatures()) - before;
  figures['publicFanOut'] = { online: online_, framesSent: sent, framesDelivered: delivered, refusedAfterS: elapsedS, signaturesCaused: signed, signaturesIfUnbounded: sent * cost };
  // What got through is what the budget paid for: its burst plus its rate over the time the
  // server was reading the sender (at most the time it took; paused time earns nothing).
  expect(delivered).toBeGreaterThan(0);
  expect(delivered * cost).toBeLessThanOrEqual(USER_SIGNATURE_BURST + USER_SIGNATURES_PER_SEC * elapsedS + cost);
  expect(delivered).toBeLessThan(sent);
  expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'MSG_PUBLIC_CHANNEL', reason: 'SOCP_ERR_RATE_LIMITED' })).toBe(1);
});

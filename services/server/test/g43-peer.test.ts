/**
 * Federation with the original Python implementation's wire forms (G43-WIRE.md): a G43-style
 * peer that appends "\n", sends HELLO_LINK then a unicast SERVER_ANNOUNCE, advertises with the
 * key only in meta (catch-up form server_id "local"), and forwards a DM as SERVER_DELIVER with
 * inner_type, `public` and no orig_ts. Our user must see the presence and get the DM. G43 has no
 * admission ticket: the operator admits it by its key (SOCP_ADMIT); a G43-style peer whose key
 * is not on the list is refused.
 */
import { randomUUID } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { encodeFrame, generateKeyPair, sealFrame, signContent, type RsaPrivateKey, type UnsignedFrame } from '@socp/protocol';
import { FakeIntroducer } from './helpers/fake-introducer';
import { RawUser } from './helpers/raw-user';
import { RedisProcess, waitFor } from './helpers/redis-process';
import { startTestServer, type TestServer } from './helpers/test-server';

jest.setTimeout(60_000);

let redis: RedisProcess;
let intro: FakeIntroducer;
let srv: TestServer;
let keys: RsaPrivateKey[];
let g43: WebSocket;
let g43Listen: WebSocketServer;
const written: Array<{ type: string; payload: Record<string, unknown> }> = [];
let alice: RawUser;
const g43Id = randomUUID();
const bob = randomUUID();

beforeAll(async () => {
  keys = await Promise.all([0, 1, 2, 3].map(() => generateKeyPair()));
  redis = await RedisProcess.start();
  intro = await FakeIntroducer.start(keys[3]!);
  // G43 knows nothing of admission tickets: the operator lets it in by its key (open federation, per peer).
  srv = await startTestServer(redis.url, intro.bootstrap, { SOCP_ADMIT: `key:${keys[2]!.publicKey.fingerprint()}` });
});
afterAll(async () => {
  g43?.terminate();
  for (const c of g43Listen?.clients ?? []) c.terminate();
  await new Promise((r) => g43Listen?.close(r));
  alice?.close();
  await srv?.stop();
  await intro?.stop();
  await redis?.dispose();
});

test('a G43-style peer is linked, its presence accepted and its SERVER_DELIVER delivered', async () => {
  alice = await RawUser.connect(srv.node.wsPort, randomUUID(), keys[0]!);
  alice.hello({ username: 'alice' });
  await alice.next((f) => f.type === 'ACK', 'ACK');

  // G43 writes on its own outbound socket and reads what we write on ours (the one we dial).
  g43Listen = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  g43Listen.on('connection', (ws) => ws.on('message', (d: Buffer) => written.push(JSON.parse(d.toString()) as (typeof written)[number])));
  await new Promise((r) => g43Listen.once('listening', r));
  g43 = new WebSocket(`ws://127.0.0.1:${srv.node.wsPort}`);
  await new Promise((r) => g43.once('open', r));
  const send = (f: UnsignedFrame) => g43.send(`${encodeFrame(sealFrame(f, keys[2]!))}\n`);
  const addr = { host: '127.0.0.1', port: (g43Listen.address() as AddressInfo).port, pubkey: keys[2]!.publicKey.toBase64Url() };
  send({ type: 'SERVER_HELLO_LINK', from: g43Id, to: srv.node.serverId, ts: Date.now(), payload: addr });
  send({ type: 'SERVER_ANNOUNCE', from: g43Id, to: srv.node.serverId, ts: Date.now(), payload: addr });
  const bobPub = keys[1]!.publicKey.toBase64Url();
  send({ type: 'USER_ADVERTISE', from: g43Id, to: alice.id, ts: Date.now(), payload: { user_id: bob, server_id: 'local', meta: { username: 'bob', pubkey: bobPub }, origin: 'backfill' } as never });
  const adv = await alice.next((f) => f.type === 'USER_ADVERTISE' && (f.payload as { user_id: string }).user_id === bob, 'bob advertised');
  expect(adv.payload).toMatchObject({ server_id: g43Id, pubkey: bobPub, meta: { username: 'bob', display_name: 'bob' } });
  expect(srv.node.state.userLocations.get(bob)).toBe(g43Id);

  const ts = Date.now();
  const ciphertext = Buffer.alloc(512, 4).toString('base64url');
  const content_sig = signContent(keys[1]!, { ciphertext, from: bob, to: alice.id, ts });
  send({ type: 'SERVER_DELIVER', from: g43Id, to: srv.node.serverId, ts, payload: { inner_type: 'MSG_DIRECT', user_id: alice.id, public: false, ciphertext, sender: bob, sender_pub: bobPub, content_sig } as never });
  const got = await alice.next((f) => f.type === 'USER_DELIVER', 'DM from the G43 peer');
  expect(got).toMatchObject({ from: srv.node.serverId, to: alice.id, ts, payload: { ciphertext, sender: bob, content_sig, public: false, orig_ts: ts } });

  // our reply to bob goes out as SERVER_DELIVER on the link we dialled back
  await waitFor('our HELLO_LINK on the dialled link', () => written.some((f) => f.type === 'SERVER_HELLO_LINK'));
  await waitFor('link up', () => srv.node.state.servers.has(g43Id));
  alice.send(alice.dm(bob), false);
  const out = await waitFor('SERVER_DELIVER to the G43 peer', () => written.find((f) => f.type === 'SERVER_DELIVER'));
  expect(out.payload).toMatchObject({ user_id: bob, inner_type: 'MSG_DIRECT', sender: alice.id });
});

test('a ticketless peer whose key the operator did not list is refused and changes nothing', async () => {
  const stranger = new WebSocket(`ws://127.0.0.1:${srv.node.wsPort}`);
  await new Promise((r) => stranger.once('open', r));
  const got: string[] = [];
  stranger.on('message', (d: Buffer) => got.push(d.toString()));
  const closed = new Promise<number>((r) => stranger.once('close', (code) => r(code)));
  const id = randomUUID();
  const pins = [...srv.node.state.serverPubkeys.keys()].sort();
  stranger.send(encodeFrame(sealFrame({ type: 'SERVER_HELLO_LINK', from: id, to: srv.node.serverId, ts: Date.now(), payload: { host: '127.0.0.1', port: 9, pubkey: keys[0]!.publicKey.toBase64Url() } }, keys[0]!)));
  expect(await closed).toBe(1008);
  expect(got.map((t) => JSON.parse(t) as { type: string; payload: { code: string } }).map((f) => [f.type, f.payload.code])).toEqual([['ERROR', 'INVALID_SIG']]);
  expect([...srv.node.state.serverPubkeys.keys()].sort()).toEqual(pins);
  expect(srv.node.state.admitted.has(id)).toBe(false);
});

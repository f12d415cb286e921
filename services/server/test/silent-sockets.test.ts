/**
 * The bounds of the silent-socket rule (transport/silent-sockets.ts; issue 14 item 4). A peer
 * (G43-style: admitted by SOCP_ADMIT, linked at 127.0.0.1) is linked with our server. Then,
 * sockets that never send a frame:
 *  - from another address (127.0.0.2), with no link there: closed 1008 at HELLO_TIMEOUT_MS, as before;
 *  - from the linked address: kept past the hello timeout, at most MAX_SILENT_SOCKETS_PER_ADDRESS
 *    of them (one more replaces the oldest, closed 1000); one whose pings go unanswered is
 *    closed 1001 once silent for SOCP_DEAD_AFTER_MS.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { HELLO_TIMEOUT_MS, encodeFrame, generateKeyPair, sealFrame, type RsaPrivateKey } from '@socp/protocol';
import { MAX_SILENT_SOCKETS_PER_ADDRESS } from '../src/transport/silent-sockets';
import { FakeIntroducer } from './helpers/fake-introducer';
import { RedisProcess, waitFor } from './helpers/redis-process';
import { startTestServer, metricValue, type TestServer } from './helpers/test-server';

jest.setTimeout(90_000);

const DEAD_AFTER_MS = 1_500;

let redis: RedisProcess;
let intro: FakeIntroducer;
let srv: TestServer;
let peerKey: RsaPrivateKey;
let peerListen: WebSocketServer;
let peer: WebSocket;
const sockets: WebSocket[] = [];

interface Silent { ws: WebSocket; closed: Promise<number> }
async function silentSocket(localAddress: string, autoPong = true): Promise<Silent> {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.node.wsPort}`, { localAddress, autoPong });
  sockets.push(ws);
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  return { ws, closed };
}

beforeAll(async () => {
  let introKey: RsaPrivateKey;
  [peerKey, introKey] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  redis = await RedisProcess.start();
  intro = await FakeIntroducer.start(introKey);
  srv = await startTestServer(redis.url, intro.bootstrap, { SOCP_ADMIT: `key:${peerKey.publicKey.fingerprint()}`, SOCP_HEARTBEAT_MS: '250', SOCP_DEAD_AFTER_MS: String(DEAD_AFTER_MS) });
  // The peer links: its HELLO_LINK names its listener at 127.0.0.1, which our server dials (and pings: it answers).
  peerListen = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => peerListen.once('listening', r));
  peer = new WebSocket(`ws://127.0.0.1:${srv.node.wsPort}`);
  await new Promise((r) => peer.once('open', r));
  const id = randomUUID();
  peer.send(encodeFrame(sealFrame({ type: 'SERVER_HELLO_LINK', from: id, to: srv.node.serverId, ts: Date.now(), payload: { host: '127.0.0.1', port: (peerListen.address() as AddressInfo).port, pubkey: peerKey.publicKey.toBase64Url() } }, peerKey)));
  await waitFor('our link to the peer up', async () => (await metricValue(srv.node, 'socp_peer_links_up')) === 1);
});
afterAll(async () => {
  for (const s of [peer, ...sockets]) s?.terminate();
  for (const c of peerListen?.clients ?? []) c.terminate();
  await new Promise((r) => peerListen?.close(r));
  await srv?.stop();
  await intro?.stop();
  await redis?.dispose();
});

test('kept only from a linked server\'s address, at most the cap, and only while it answers pings', async () => {
  const stranger = await silentSocket('127.0.0.2');
  const unanswering = await silentSocket('127.0.0.1', false);
  const kept: Silent[] = [];
  for (let i = 0; i < MAX_SILENT_SOCKETS_PER_ADDRESS; i++) kept.push(await silentSocket('127.0.0.1'));
  const t0 = Date.now();
  expect(await stranger.closed).toBe(1008); // hello timeout: no link from 127.0.0.2
  expect(Date.now() - t0).toBeLessThan(HELLO_TIMEOUT_MS + 2_000);
  // Five kept from 127.0.0.1 (one over the cap): the oldest — the one that answers no ping — is replaced.
  expect(await unanswering.closed).toBe(1000);

  const late = await silentSocket('127.0.0.1', false);
  expect(await kept[0]!.closed).toBe(1000); // replaced by `late` at its hello timeout
  // `late` answers no ping: closed 1001 once silent for the dead window after it was kept.
  expect(await late.closed).toBe(1001);
  expect(kept.slice(1).every((k) => k.ws.readyState === WebSocket.OPEN)).toBe(true);
  expect(await metricValue(srv.node, 'socp_peer_links_up')).toBe(1);
});

/**
 * transport/connection.ts takes the TCP socket under its WebSocket from the public events —
 * the server's `connection` request (inbound) or the client's `upgrade` response (a socket we
 * dial) — and uses it for the peer's address and for batching: frames sent in one tick are
 * corked into one write and uncorked on the next.
 */
import type { AddressInfo, Socket } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWsPair, openWsPair, type WsPair } from './ws-pair';
import { createMetrics } from '../src/metrics';
import { Connection } from '../src/transport/connection';
import { waitFor } from './helpers/redis-process';

const log = pino({ level: 'silent' });
let pair: WsPair;

beforeAll(async () => {
  pair = await openWsPair();
});
afterAll(() => closeWsPair(pair));

test('inbound: the address and the batching come from the socket the connection event handed over', async () => {
  const c = new Connection(pair.serverSide, 'inbound', log, createMetrics(new Registry()), { socket: pair.serverSocket });
  expect(c.remoteAddress).toBe('127.0.0.1');
  const got: string[] = [];
  pair.client.on('message', (d: Buffer) => got.push(d.toString()));
  expect(pair.serverSocket.writableCorked).toBe(0);
  for (const t of ['a', 'b', 'c']) expect(c.send(t, 'TEST')).toBe(true);
  // Held back (ws corks each frame too, and uncorks it: one level left, ours) until this tick is done...
  expect(pair.serverSocket.writableCorked).toBe(1);
  await new Promise((r) => process.nextTick(r));
  // ...then written at once.
  expect(pair.serverSocket.writableCorked).toBe(0);
  await waitFor('three frames', () => got.length === 3, 5_000);
  expect(got).toEqual(['a', 'b', 'c']);
});

test('outbound: a socket we dial gets its TCP socket from the upgrade response', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((res) => wss.once('listening', () => res()));
  const got: string[] = [];
  wss.once('connection', (ws) => ws.on('message', (d: Buffer) => got.push(d.toString())));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  let upgraded: Socket | undefined;
  ws.once('upgrade', (res) => (upgraded = res.socket));
  const c = new Connection(ws, 'outbound', log, createMetrics(new Registry()));
  expect(c.remoteAddress).toBeUndefined(); // not connected yet
  await new Promise((r) => ws.once('open', r));
  expect(c.remoteAddress).toBe('127.0.0.1');
  c.send('x', 'TEST');
  c.send('y', 'TEST');
  expect(upgraded!.writableCorked).toBe(1);
  await waitFor('two frames', () => got.length === 2, 5_000);
  expect(got).toEqual(['x', 'y']);
  ws.terminate();
  await new Promise<void>((res) => wss.close(() => res()));
});

/**
 * A server link we stop reading (signing backlog: transport/read-gate.ts) is not declared dead by
 * our own liveness check, and the time we did not read is not counted as its silence; once we
 * read again a silent peer is declared dead after the usual window. Real sockets: the link
 * manager dials a loopback WebSocket server that reads (counts our heartbeats) but never writes.
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { createMetrics } from '../src/metrics';
import { LinkManager } from '../src/transport/link-manager';
import { ReadGate } from '../src/transport/read-gate';
import { waitFor } from './helpers/redis-process';

jest.setTimeout(60_000);

const HEARTBEAT_MS = 50;
const DEAD_AFTER_MS = 400;
const PEER = 'a1b2c3d4-0000-4000-8000-000000000001';

let silent: WebSocketServer;
let heartbeats = 0;
let links: LinkManager;
const events: Array<{ what: 'up' | 'down'; at: number }> = [];

beforeAll(async () => {
  silent = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false }) // silent: it must not answer our pings either;
  await new Promise<void>((res) => silent.once('listening', () => res()));
  silent.on('connection', (ws) => ws.on('message', (d: Buffer) => void (d.toString() === 'HEARTBEAT' && heartbeats++)));
});
afterAll(async () => {
  await links?.stop();
  for (const c of silent.clients) c.terminate();
  await new Promise((r) => silent.close(r));
});

test('no dead verdict while we are not reading; the usual one once we read again', async () => {
  const metrics = createMetrics(new Registry());
  links = new LinkManager({ heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS, backoffMs: [60_000] }, {
    log: pino({ level: 'silent' }), metrics,
    helloLink: async () => 'HELLO', heartbeat: async () => 'HEARTBEAT', ctrlClose: async () => 'CLOSE',
    onMessage: () => undefined,
    linkUp: () => void events.push({ what: 'up', at: Date.now() }),
    linkDown: () => void events.push({ what: 'down', at: Date.now() }),
  });
  const gate = new ReadGate(links, metrics);
  links.start();
  links.ensure(PEER, '127.0.0.1', (silent.address() as AddressInfo).port);
  await waitFor('link up', () => events.some((e) => e.what === 'up'));

  gate.after(links.link(PEER)!, true); // a frame arrived while the signing backlog is over its bound
  const seen = heartbeats;
  // Well past the dead window, still paused: heartbeats keep going out, the link stays up.
  await waitFor('3 dead windows of heartbeats (or a dead verdict)', () => heartbeats >= seen + (3 * DEAD_AFTER_MS) / HEARTBEAT_MS || events.some((e) => e.what === 'down'), 20_000);
  expect(events.filter((e) => e.what === 'down')).toEqual([]);
  expect(links.upCount).toBe(1);

  const resumed = Date.now();
  gate.resumeAll();
  const down = await waitFor('dead verdict after reading again', () => events.find((e) => e.what === 'down'), 10_000);
  expect(down.at - resumed).toBeGreaterThanOrEqual(DEAD_AFTER_MS - HEARTBEAT_MS);
  expect((await metrics.registry.getSingleMetricAsString('socp_read_pauses_total'))).toMatch(/role="server"} 1/);
});

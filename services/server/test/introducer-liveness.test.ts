/**
 * Our server's sockets to its introducers (bootstrap/join.ts; issue 14 item 4). After the
 * WELCOME neither introducer here ever writes again (the seed's introducer sends no HEARTBEAT):
 *  - one answers WebSocket pings, as every WebSocket library does: its socket stays open through
 *    many dead windows;
 *  - the other answers nothing: its socket is closed with a close frame (1001) once silent for
 *    SOCP_DEAD_AFTER_MS, and our server joins it again.
 * Our HEARTBEATs on both go to the introducer's id (the WELCOME's sender), never to host:port.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, type Frame } from '@socp/protocol';
import { RedisProcess, waitFor } from './helpers/redis-process';
import { startTestServer, type TestServer } from './helpers/test-server';

jest.setTimeout(60_000);

const HEARTBEAT_MS = 100;
const DEAD_AFTER_MS = 600;

/** An introducer that answers each join with an unsigned WELCOME (our server runs it unpinned) and then says nothing. */
class QuietIntroducer {
  readonly id: string;
  readonly frames: Frame[] = [];
  readonly closes: number[] = [];
  pings = 0;
  private constructor(private readonly wss: WebSocketServer, name: string) {
    this.id = `introducer-${name}`;
    wss.on('connection', (ws: WebSocket) => {
      ws.on('ping', () => void this.pings++);
      ws.on('close', (code) => void this.closes.push(code));
      ws.on('message', (d: Buffer) => {
        const r = decodeFrame(d);
        if (!r.ok) return;
        this.frames.push(r.value);
        if (r.value.type === 'SERVER_HELLO_JOIN') ws.send(encodeFrame({ type: 'SERVER_WELCOME', from: this.id, to: r.value.from, ts: Date.now(), payload: { assigned_id: null, servers: [] }, sig: '' }));
      });
    });
  }
  static async start(name: string, answerPings: boolean): Promise<QuietIntroducer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: answerPings });
    await new Promise((r) => wss.once('listening', r));
    return new QuietIntroducer(wss, name);
  }
  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }
  joins(): number {
    return this.frames.filter((f) => f.type === 'SERVER_HELLO_JOIN').length;
  }
  async stop(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}

let redis: RedisProcess;
let srv: TestServer;
let answers: QuietIntroducer;
let silent: QuietIntroducer;

beforeAll(async () => {
  [redis, answers, silent] = await Promise.all([RedisProcess.start(), QuietIntroducer.start('answers', true), QuietIntroducer.start('silent', false)]);
  const bootstrap = JSON.stringify([{ host: '127.0.0.1', port: answers.port }, { host: '127.0.0.1', port: silent.port }]);
  srv = await startTestServer(redis.url, bootstrap, { SOCP_HEARTBEAT_MS: String(HEARTBEAT_MS), SOCP_DEAD_AFTER_MS: String(DEAD_AFTER_MS) });
});
afterAll(async () => {
  await srv?.stop();
  await Promise.all([answers?.stop(), silent?.stop()]);
  await redis?.dispose();
});

test('an introducer that only answers pings keeps its socket; one that answers nothing is closed with a close frame and joined again', async () => {
  await waitFor('the silent introducer joined again after a close', () => silent.joins() >= 2, 20_000);
  expect(silent.closes[0]).toBe(1001);
  await waitFor('three dead windows of pings at the one that answers', () => answers.pings >= (3 * DEAD_AFTER_MS) / HEARTBEAT_MS, 20_000);
  expect(answers.closes).toEqual([]);
  expect(answers.joins()).toBe(1);
  const beats = [answers, silent].flatMap((i) => i.frames.filter((f) => f.type === 'HEARTBEAT').map((f) => [f.to, i.id]));
  expect(beats.length).toBeGreaterThan(0);
  for (const [to, id] of beats) expect(to).toBe(id);
});

/**
 * Fuzzing the CLI client's frame handling (docs/RELIABILITY.md "Fuzzing"), FUZZ_FRAMES frames
 * (CI default 5,000) each way:
 *  1. the real Connection (services/client-cli/src/connection.ts) against a fake server on
 *     127.0.0.1 that completes the handshake and then sends mutated/generated frames: every
 *     frame becomes exactly one warning or one verified frame (CTRL_CLOSE is dropped silently),
 *     nothing throws, and the verified ones go through the client's user core (handleIncoming);
 *  2. the user core directly with every fuzz frame that decodes, treated as verified (so the
 *     content checks, file reassembly and roster see the mutations, not only the signature
 *     check): it never throws and its tables stay within their limits.
 *
 *   FUZZ_FRAMES=100000 npx jest --selectProjects integration tests/integration/fuzz-client.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_CONCURRENT_TRANSFERS, MAX_ROSTER_USERS, createUserState, handleIncoming, sweepStale, decodeFrame, encodeFrame, generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type Verified } from '@socp/protocol';
import { Connection } from '../../services/client-cli/src/connection';
import { waitFor } from '../harness/wait';
import { clientSeeds } from '../fuzz/client-seeds';
import { fuzzParams, fuzzStream, Rng } from '../fuzz/mutator';

const { frames: FRAMES, seed: SEED } = fuzzParams(5_000);
jest.setTimeout(Math.max(120_000, FRAMES * 5));

let server: RsaPrivateKey;
let meKey: RsaPrivateKey;
let peer: RsaPrivateKey;
const ids = { serverId: randomUUID(), me: randomUUID(), peer: randomUUID() };
let wss: WebSocketServer;
let home: string;
let seeds: string[];

beforeAll(async () => {
  [server, meKey, peer] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  seeds = clientSeeds({ server, me: meKey, peer }, ids);
  home = mkdtempSync(join(tmpdir(), 'socp-fuzz-client-'));
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
}, 60_000);
afterAll(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  if (home) rmSync(home, { recursive: true, force: true });
});

test(`the client's Connection turns ${FRAMES} fuzzed server frames into warnings or verified frames, never a throw`, async () => {
  const me = { userId: ids.me, name: 'me', key: meKey };
  const peerSocket = new Promise<WebSocket>((resolve) => wss.once('connection', (ws: WebSocket) => {
    ws.once('message', () => {
      ws.send(encodeFrame(sealFrame({ type: 'ACK', from: ids.serverId, to: ids.me, ts: Date.now(), payload: { msg_ref: 'USER_HELLO', server_id: ids.serverId, server_pub: server.publicKey.toBase64Url() } }, server)));
      resolve(ws);
    });
  }));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const conn = await Connection.open(url, me, { home, timeoutMs: 10_000 });
  const ws = await peerSocket;
  const inbound = createUserState(me);
  let frames = 0;
  let warnings = 0;
  let events = 0;
  let closedReason: string | undefined;
  const sentinel = `fuzz-end-${SEED}`;
  let done = false;
  conn.start({
    frame: (f) => {
      if (f.type === 'ERROR' && f.payload.detail === sentinel) return void (done = true);
      frames++;
      events += handleIncoming(inbound, f, { now: Date.now() }).events.length;
    },
    warning: () => void warnings++,
    closed: (reason) => void (closedReason = reason),
  });
  let silent = 0;
  for (const text of fuzzStream(new Rng(SEED), seeds, FRAMES, SEED)) {
    const d = decodeFrame(text);
    if (d.ok && d.value.type === 'CTRL_CLOSE') silent++;
    ws.send(text);
    if (ws.bufferedAmount > 1 << 20) await waitFor('socket drains', () => ws.bufferedAmount < 1 << 18, 30_000, 5);
  }
  ws.send(encodeFrame(sealFrame({ type: 'ERROR', from: ids.serverId, to: ids.me, ts: Date.now(), payload: { code: 'UNKNOWN_TYPE', detail: sentinel } }, server)));
  await waitFor('the client read every frame', () => done, 120_000, 20);
  process.stdout.write(`${JSON.stringify({ fuzz: 'client-connection', seed: SEED, frames: FRAMES, verified: frames, warnings, ctrlCloseIgnored: silent, inboundEvents: events, heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) })}\n`);
  expect(closedReason).toBeUndefined();
  expect(frames + warnings + silent).toBe(FRAMES);
  expect(conn.open).toBe(true);
  await conn.close();
});

test(`the client's user core takes ${FRAMES} fuzzed frames as if verified without throwing, within its limits`, () => {
  const inbound = createUserState({ userId: ids.me, name: 'me', key: meKey });
  const heap0 = process.memoryUsage().heapUsed;
  let decoded = 0;
  const kinds = new Map<string, number>();
  let now = Date.now();
  for (const text of fuzzStream(new Rng(SEED + 7), seeds, FRAMES, SEED + 7)) {
    const d = decodeFrame(text);
    if (!d.ok) continue;
    decoded++;
    now += 10;
    const out = handleIncoming(inbound, d.value as Verified<Frame>, { now }).events;
    for (const e of out) kinds.set(e.event === 'warning' ? `warning:${e.code}` : e.event, (kinds.get(e.event === 'warning' ? `warning:${e.code}` : e.event) ?? 0) + 1);
    if (decoded % 1000 === 0) sweepStale(inbound, now);
  }
  const heapMb = Math.round((process.memoryUsage().heapUsed - heap0) / 2 ** 20);
  process.stdout.write(`${JSON.stringify({ fuzz: 'client-inbound', seed: SEED, frames: FRAMES, decoded, events: Object.fromEntries(kinds), rosterSize: inbound.roster.size, heapGrowthMb: heapMb })}\n`);
  expect(decoded).toBeGreaterThan(FRAMES / 10);
  expect(inbound.roster.size).toBeLessThanOrEqual(MAX_ROSTER_USERS);
  expect(inbound.files.size).toBeLessThanOrEqual(MAX_CONCURRENT_TRANSFERS);
  expect(kinds.get('message') ?? 0).toBeGreaterThan(0); // intact seeds got through every check: the core was really exercised
});

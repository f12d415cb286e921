/**
 * Per-connection budgets (transport/connection.ts): a user's FILE_CHUNKs have their own, larger
 * budget than its other frames, LIST_REQUESTs a small one on top, each refused with a message
 * naming its limit; a server link has none. Real sockets (a loopback WebSocket pair); time is passed in explicitly.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { closeWsPair, openWsPair, type WsPair } from './ws-pair';
import { createMetrics } from '../src/metrics';
import { Connection } from '../src/transport/connection';
import { USER_FILE_CHUNK_BURST, USER_FILE_CHUNKS_PER_SEC, USER_FRAME_BURST, USER_FRAMES_PER_SEC, USER_LIST_BURST, USER_LISTS_PER_SEC } from '../src/transport/limits';

let pair: WsPair;

beforeAll(async () => {
  pair = await openWsPair();
});
afterAll(() => closeWsPair(pair));

const connection = (): Connection => new Connection(pair.serverSide, 'inbound', pino({ level: 'silent' }), createMetrics(new Registry()), { socket: pair.serverSocket });
const takeMany = (c: Connection, type: string, n: number, now: number): Array<string | undefined> => Array.from({ length: n }, () => c.admitType(type, now));

test('a user sends a burst of FILE_CHUNKs far above its frame budget; past the chunk burst it is told the chunk limit', () => {
  const c = connection();
  const t = Date.now();
  expect(takeMany(c, 'FILE_CHUNK', USER_FILE_CHUNK_BURST, t).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('FILE_CHUNK', t)).toMatch(new RegExp(`too many FILE_CHUNKs \\(at most ${USER_FILE_CHUNKS_PER_SEC}/s`));
  // Its other frames have their own budget, untouched by the chunks.
  expect(takeMany(c, 'MSG_DIRECT', USER_FRAME_BURST, t).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('MSG_DIRECT', t)).toMatch(new RegExp(`too many frames \\(at most ${USER_FRAMES_PER_SEC}/s besides file chunks`));
  // One second later each budget has refilled by its rate.
  expect(takeMany(c, 'FILE_CHUNK', USER_FILE_CHUNKS_PER_SEC, t + 1_000).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('FILE_CHUNK', t + 1_000)).toBeDefined();
  expect(takeMany(c, 'USER_HELLO', USER_FRAMES_PER_SEC, t + 1_000).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('USER_HELLO', t + 1_000)).toBeDefined();
});

test('LIST_REQUESTs past their burst are refused by name while other frames still pass; the budget refills at its rate', () => {
  const c = connection();
  const t = Date.now();
  expect(takeMany(c, 'LIST_REQUEST', USER_LIST_BURST, t).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('LIST_REQUEST', t)).toMatch(new RegExp(`too many LIST_REQUESTs \\(at most ${USER_LISTS_PER_SEC}/s, bursts of ${USER_LIST_BURST}\\)`));
  expect(c.admitType('MSG_DIRECT', t)).toBeUndefined();
  expect(takeMany(c, 'LIST_REQUEST', USER_LISTS_PER_SEC, t + 1_000).every((r) => r === undefined)).toBe(true);
  expect(c.admitType('LIST_REQUEST', t + 1_000)).toBeDefined();
});

test('before parsing, a user connection is held to both budgets together', () => {
  const c = connection();
  const t = Date.now();
  let admitted = 0;
  while (c.admit(t)) admitted++;
  expect(admitted).toBe(USER_FRAME_BURST + USER_FILE_CHUNK_BURST);
});

test('a server link has no per-type budget', () => {
  const c = connection();
  c.setRole('server', { serverId: 'peer' });
  expect(takeMany(c, 'FILE_CHUNK', USER_FILE_CHUNK_BURST * 2, Date.now()).every((r) => r === undefined)).toBe(true);
  expect(takeMany(c, 'SERVER_DELIVER', USER_FRAME_BURST * 2, Date.now()).every((r) => r === undefined)).toBe(true);
});

/**
 * transport/outbox.ts on a real loopback WebSocket pair: while the reader is paused, frames past
 * OUTBOUND_SOFT_BYTES wait in the outbox (the socket's own buffer stays near the soft limit);
 * once it reads again every frame arrives, in order.
 */
import { closeWsPair, openWsPair, type WsPair } from './ws-pair';
import { Outbox } from '../src/transport/outbox';
import { OUTBOUND_SOFT_BYTES } from '../src/transport/limits';
import { waitFor } from './helpers/redis-process';

let pair: WsPair;

beforeAll(async () => {
  pair = await openWsPair();
});
afterAll(() => closeWsPair(pair));

test('a paused reader: frames wait in the outbox, then all arrive in order once it reads again', async () => {
  const got: number[] = [];
  pair.client.on('message', (d: Buffer) => got.push(Number(d.toString('utf8', 0, 8))));
  pair.client.pause();
  const outbox = new Outbox(pair.serverSide, () => pair.serverSocket, (data) => pair.serverSide.send(data, { binary: false }));
  const frame = (i: number): Buffer => Buffer.from(String(i).padStart(8, '0') + 'x'.repeat(1_600));
  const n = 4_000; // ~6.4 MB, far more than the loopback socket takes while nobody reads
  let maxBuffered = 0;
  for (let i = 0; i < n; i++) {
    outbox.push(frame(i));
    maxBuffered = Math.max(maxBuffered, pair.serverSide.bufferedAmount);
  }
  expect(outbox.bytes).toBeGreaterThan(0);
  expect(maxBuffered).toBeLessThan(OUTBOUND_SOFT_BYTES + 2_000);
  pair.client.resume();
  await waitFor('every frame delivered', () => got.length === n, 20_000);
  expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(outbox.bytes).toBe(0);
});

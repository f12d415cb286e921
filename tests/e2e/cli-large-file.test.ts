/**
 * A 10 MiB file between two real CLIs on two servers (issue 15: "10 MiB with progress < 60 s"):
 * 16-block chunks, paced by the receiver's acks (docs/protocol.md "Multi-block file chunks").
 * Without the ack window the sender (2 signatures a chunk) outruns the receiver (16 decrypts a
 * chunk) and the receiver's server closes it as a slow consumer after ~8 MiB of backlog: the
 * transfer then fails `disconnected` (seen with the window disabled). So this checks the file
 * arrives whole and no server closed anyone as a slow consumer; the time is the bench's to judge.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MULTI_BLOCK_CHUNK_BYTES } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { httpGet, metricValue } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(600_000);

const SIZE = 10 * 1024 * 1024;
const clis: CliProcess[] = [];
const fx = useE2eMesh('large-file', { servers: 2 }, () => {
  for (const c of clis) c.kill();
});

const metric = async (server: number, name: string, labels: Record<string, string> = {}): Promise<number> =>
  metricValue((await httpGet(`${fx.mesh.servers[server]!.adminUrl}/metrics`)).text, name, labels);

test('10 MiB from alice (server 0) to bob (server 1) arrives whole; no slow-consumer close anywhere', async () => {
  const start = (name: string, server: number): CliProcess => {
    const c = CliProcess.start(['--server', fx.mesh.servers[server]!.wsUrl, '--home', join(fx.dir, `home-${name}`), 'signup', '--name', name], { SOCP_PASSWORD: randomSecret() });
    clis.push(c);
    return c;
  };
  const [alice, bob] = [start('alice', 0), start('bob', 1)];
  await Promise.all([alice, bob].map((c) => c.waitEvent((e) => e.event === 'ready', 'ready', 60_000)));
  await alice.waitEvent((e) => e.event === 'presence' && e['name'] === 'bob', 'bob online', 30_000);
  const data = randomBytes(SIZE);
  const path = join(fx.dir, 'big.bin');
  writeFileSync(path, data);

  alice.send(`/file bob ${path}`);
  const end = await bob.waitEvent((e) => e.event === 'file-received' || e.event === 'file-failed', 'the end of the transfer', 480_000);
  expect(end).toMatchObject({ event: 'file-received', size: SIZE, sha256: createHash('sha256').update(data).digest('hex'), sender_verified: true });
  await alice.waitEvent((e) => e.event === 'file-sent', 'file-sent', 30_000);
  expect(await metric(0, 'socp_frames_received_total', { type: 'FILE_CHUNK' })).toBe(Math.ceil(SIZE / MAX_MULTI_BLOCK_CHUNK_BYTES));
  expect([await metric(0, 'socp_slow_consumer_closes_total'), await metric(1, 'socp_slow_consumer_closes_total')]).toEqual([0, 0]);
  alice.send('/quit');
  bob.send('/quit');
  expect(await alice.waitExit()).toBe(0);
  expect(await bob.waitExit()).toBe(0);
});

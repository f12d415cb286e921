/**
 * Queued DMs and a reconnect (docs/client.md "When the server goes away"): a DM sent to bob
 * while his CLI waits out its backoff is queued at his home server; when the CLI reconnects it
 * gets the DM with a queue_ref of the NEW connection and acknowledges it there, so the queue
 * empties. Real server, real Redis, the real `socp` binary (--json), a raw spec client as sender.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RawUser } from '../harness/raw-user';
import { randomSecret } from '../harness/secrets';
import { httpGet, metricValue, waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(180_000);

let bob: CliProcess | undefined;
const raws: RawUser[] = [];
const fx = useE2eMesh('reconnect-queue', { servers: 1 }, () => {
  bob?.kill();
  for (const r of raws) r.close();
});

test('a DM queued while the CLI was away arrives after the reconnect and is acknowledged on the new connection', async () => {
  const url = fx.mesh.servers[0]!.wsUrl;
  const cli = CliProcess.start(['--server', url, '--home', join(fx.dir, 'home-bob'), 'signup', '--name', 'bob'], { SOCP_PASSWORD: randomSecret() });
  bob = cli;
  const bobId = String((await cli.waitEvent((e) => e.event === 'ready', 'bob ready', 60_000))['user_id']);
  const carol = await RawUser.connect(url, { name: 'carol' });
  raws.push(carol);
  await carol.waitForUser(bobId);
  const dm = carol.dmFrame(bobId, 'sent while you were reconnecting'); // bob's key is known now; sent later

  // The server goes; bob's CLI backs off. Once its third attempt is announced (about 5 s away),
  // the server comes back and carol sends while bob is still away: the DM queues.
  await fx.mesh.stopServer(0);
  await cli.waitEvent((e) => e.event === 'reconnecting' && e['attempt'] === 3, 'third attempt announced', 30_000);
  await fx.mesh.restart(0);
  await fx.mesh.waitServerReady(0);
  const carol2 = await RawUser.connect(url, { name: 'carol', key: carol.key, userId: carol.id });
  raws.push(carol2);
  carol2.send(dm);
  await carol2.waitFrame((f) => f.type === 'ACK' && (f.payload as { status?: unknown }).status === 'queued', 10_000);
  expect(cli.events.some((e) => e.event === 'reconnected')).toBe(false); // it really queued, bob was away

  await cli.waitEvent((e) => e.event === 'reconnected', 'bob reconnected', 60_000);
  const m = await cli.waitEvent((e) => e.event === 'message' && e['text'] === 'sent while you were reconnecting', 'the queued DM', 30_000);
  expect(m['from']).toBe(carol.id);
  const redis = new Redis(fx.mesh.servers[0]!.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await waitFor('bob\'s queue emptied by his ACK on the new connection', async () => (await redis.llen(`socp:queue:${bobId}`)) === 0 || undefined, 10_000);
  } finally {
    redis.disconnect();
  }
  expect(metricValue((await httpGet(`${fx.mesh.servers[0]!.adminUrl}/metrics`)).text, 'socp_queued_acked_total')).toBe(1);
  expect(cli.events.filter((e) => e.event === 'warning')).toEqual([]);
  expect(cli.alive).toBe(true);
});

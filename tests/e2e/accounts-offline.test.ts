/**
 * Offline delivery (docs/accounts.md) on a real two-server mesh with the real `socp` binary:
 * a DM to an account user who went offline is queued at their home server (the sender sees
 * "queued"), survives a restart of that server and its Redis (AOF), and arrives when they log in;
 * their CLI acknowledges it after printing it, which empties the queue.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { randomSecret } from '../harness/secrets';
import { httpGet, metricValue, waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(300_000);

const PASSWORD = randomSecret();
const clis: CliProcess[] = [];
const fx = useE2eMesh('offline', { servers: 2 }, () => {
  for (const c of clis) c.kill();
});

function socp(name: string, server: number, cmd: 'signup' | 'login'): CliProcess {
  const c = CliProcess.start(['--server', fx.mesh.servers[server]!.wsUrl, '--home', join(fx.dir, `home-${name}`), cmd, '--name', name], { SOCP_PASSWORD: PASSWORD });
  clis.push(c);
  return c;
}

beforeAll(async () => {
  // Both servers linked to each other before anyone signs up (presence then flows at once).
  for (const sv of fx.mesh.servers) await waitFor('server links up', async () => metricValue((await httpGet(`${sv.adminUrl}/metrics`)).text, 'socp_peer_links_up') >= 1, 30_000);
});

test('a DM to an offline user is queued at their home server, survives its restart, arrives at log-in, and a delivered receipt reaches the sender', async () => {
  const alice = socp('alice', 0, 'signup');
  const bob = socp('bob', 1, 'signup');
  await alice.waitEvent((e) => e.event === 'ready', 'alice ready', 60_000);
  const bobReady = await bob.waitEvent((e) => e.event === 'ready', 'bob ready', 60_000);
  await alice.waitEvent((e) => e.event === 'presence' && e['action'] === 'online' && e['name'] === 'bob', 'alice sees bob online', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${fx.mesh.logs(40)}`);
  });
  bob.send('/quit');
  expect(await bob.waitExit()).toBe(0);
  await alice.waitEvent((e) => e.event === 'presence' && e['action'] === 'offline' && e['name'] === 'bob', 'alice sees bob offline');

  alice.send('/tell bob sent while you were away');
  alice.send('/tell bob and a second one');
  await alice.waitEvent((e) => e.event === 'delivery' && e['status'] === 'queued' && e['to'] === 'bob', 'queued status');
  await alice.waitEvent((e) => e.event === 'delivery' && alice.events.filter((x) => x.event === 'delivery').length === 2, 'two queued');
  expect(alice.events.some((e) => e.event === 'server-error')).toBe(false);

  // Bob's home server and its Redis restart (AOF): nothing queued is lost.
  await fx.mesh.stopServer(1);
  await fx.mesh.stopRedis(1);
  await fx.mesh.startRedis(1);
  await fx.mesh.restart(1);
  await fx.mesh.waitServerReady(1);

  const back = socp('bob', 1, 'login');
  await back.waitEvent((e) => e.event === 'ready' && e['user_id'] === bobReady['user_id'], 'bob back', 60_000);
  const msgs = await back.waitEvent(() => back.events.filter((e) => e.event === 'message').length >= 2 || undefined, 'queued messages', 30_000).then(() => back.events.filter((e) => e.event === 'message'));
  expect(msgs.map((m) => m['text'])).toEqual(['sent while you were away', 'and a second one']);
  expect(msgs[0]).toMatchObject({ kind: 'dm', from: alice.events.find((e) => e.event === 'ready')!['user_id'] });
  // Bob's CLI acknowledged both queued DMs after printing them: his home server's queue is empty.
  const redis = new Redis(fx.mesh.servers[1]!.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await waitFor('bob\'s queue emptied by his ACK', async () => (await redis.llen(`socp:queue:${String(bobReady['user_id'])}`)) === 0 || undefined);
  } finally {
    redis.disconnect();
  }
  expect(metricValue((await httpGet(`${fx.mesh.servers[1]!.adminUrl}/metrics`)).text, 'socp_queued_acked_total')).toBe(2);
  // Bob's client acknowledged each DM end to end: alice (still online) sees both delivered.
  await alice.waitEvent(() => alice.events.filter((e) => e.event === 'delivery' && e['status'] === 'delivered').length === 2 || undefined, 'two delivered receipts', 30_000);
  expect(alice.events.filter((e) => e.event === 'delivery' && e['status'] === 'delivered').every((e) => e['to'] === 'bob')).toBe(true);
  // Receipts are not shown as messages on either side.
  expect(alice.events.filter((e) => e.event === 'message')).toHaveLength(0);
  expect(back.events.filter((e) => e.event === 'message')).toHaveLength(2);
  // Live delivery: a receipt too.
  back.send('/tell alice thanks, got them');
  await alice.waitEvent((e) => e.event === 'message' && e['text'] === 'thanks, got them', 'live DM');
  await back.waitEvent((e) => e.event === 'delivery' && e['status'] === 'delivered' && e['to'] === 'alice', 'live receipt');
  back.send('/quit');
  await back.waitExit();
});

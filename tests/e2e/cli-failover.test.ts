/**
 * Client failover (issue 17.3, docs/client.md "Several servers"): the real `socp` binary with all
 * three servers of a local mesh (real processes, real Redis, OPAQUE log-in at its home). Its
 * server is killed for good; the CLI moves to another server within 10 s (plain signed hello
 * there, that server's key pinned for its URL) and DMs cross both ways with a user on another
 * server.
 */
import { join } from 'node:path';
import { randomSecret } from '../harness/secrets';
import { CliProcess } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(300_000);

const PASSWORD = randomSecret();
/** The bound: back online on another server within this long after its own died. */
const FAILOVER_DEADLINE_MS = 10_000;
let alice: CliProcess | undefined;
let bob: CliProcess | undefined;
const fx = useE2eMesh('failover', { servers: 3, timings: { heartbeatMs: 500, deadAfterMs: 3_000 } }, () => {
  alice?.kill();
  bob?.kill();
});

test('the CLI\'s server dies for good: it is back online on another server within 10 s and a DM crosses', async () => {
  const urls = fx.mesh.servers.map((s) => s.wsUrl);
  alice = CliProcess.start([...urls.flatMap((u) => ['--server', u]), '--home', join(fx.dir, 'home-alice'), 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  bob = CliProcess.start(['--server', urls[2]!, '--home', join(fx.dir, 'home-bob'), 'signup', '--name', 'bob'], { SOCP_PASSWORD: PASSWORD });
  const ready = await alice.waitEvent((e) => e.event === 'ready', 'alice ready', 60_000);
  expect(ready['server_id']).toBe(fx.mesh.servers[0]!.id); // the first URL: her account's home
  await bob.waitEvent((e) => e.event === 'ready', 'bob ready', 60_000);
  await alice.waitEvent((e) => e.event === 'presence' && e['action'] === 'online' && e['name'] === 'bob', 'alice sees bob', 30_000);

  const killedAt = Date.now();
  await fx.mesh.kill(0);
  const back = await alice.waitEvent((e) => e.event === 'reconnected', 'alice back online', 30_000);
  const tookMs = Date.now() - killedAt;
  expect(back['url']).not.toBe(urls[0]);
  expect(back['server_id']).toBe(fx.mesh.servers[urls.indexOf(String(back['url']))]!.id);
  expect(tookMs).toBeLessThan(FAILOVER_DEADLINE_MS);
  process.stdout.write(`${JSON.stringify({ test: 'cli-failover', failover_ms: tookMs, to: back['url'] })}\n`);

  // DMs cross both ways (bob's roster learns where alice is now).
  await bob.waitEvent((e) => e.event === 'presence' && e['action'] === 'online' && e['name'] === 'alice' && e['server_id'] === back['server_id'], 'bob sees alice on her new server', 30_000);
  alice.send('/tell bob still here');
  await bob.waitEvent((e) => e.event === 'message' && e['text'] === 'still here', 'bob gets the DM', 30_000);
  bob.send('/tell alice good');
  await alice.waitEvent((e) => e.event === 'message' && e['text'] === 'good', 'alice gets the DM', 30_000);
  expect(alice.events.filter((e) => e.event === 'warning')).toEqual([]);
  alice.send('/quit');
  expect(await alice.waitExit()).toBe(0);
});

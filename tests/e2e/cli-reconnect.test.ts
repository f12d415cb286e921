/**
 * The real `socp` binary (--json) rides out a restart of its server (docs/client.md "When the
 * server goes away"): real server process, real Redis, real RSA-4096 and OPAQUE log-ins. Two
 * users on one server; the server restarts; both CLIs reconnect on their own (same identity,
 * same pinned key, no password asked) and a DM between them is delivered. Then, with the server
 * down, network commands warn instead of hanging, /list still answers, and /quit exits 0 at once.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess, type CliEvent } from './helpers/cli-process';
import { useE2eMesh } from './helpers/e2e-mesh';

jest.setTimeout(300_000);

const PASSWORD = randomSecret();
/** A server socket silent this long is taken for dead (default 45 s; short here to see it). */
const DEAD_AFTER_MS = 3_000;
let alice: CliProcess;
let bob: CliProcess;
const fx = useE2eMesh('reconnect', { servers: 1 }, () => {
  alice?.kill();
  bob?.kill();
});

function signup(name: string): CliProcess {
  return CliProcess.start(['--server', fx.mesh.servers[0]!.wsUrl, '--home', join(fx.dir, `home-${name}`), 'signup', '--name', name], { SOCP_PASSWORD: PASSWORD, SOCP_DEAD_AFTER_MS: String(DEAD_AFTER_MS) });
}

const count = (c: CliProcess, pred: (e: CliEvent) => boolean): number => c.events.filter(pred).length;
const is = (event: string) => (e: CliEvent): boolean => e.event === event;

/** Ask /list until `name` is in it (presence after a reconnect arrives in any order). */
async function waitListed(c: CliProcess, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${name} in /list`, async () => {
    const before = count(c, is('list'));
    c.send('/list');
    const list = await c.waitEvent(() => count(c, is('list')) > before || undefined, '/list answer').then(() => c.events.filter(is('list')).at(-1)!);
    return (list['users'] as Array<{ name: string }>).some((u) => u.name === name) || undefined;
  }, timeoutMs, 250);
}

beforeAll(async () => {
  alice = signup('alice');
  bob = signup('bob');
  await alice.waitEvent(is('ready'), 'alice ready', 60_000);
  await bob.waitEvent(is('ready'), 'bob ready', 60_000);
  await alice.waitEvent((e) => e.event === 'presence' && e['action'] === 'online' && e['name'] === 'bob', 'alice sees bob', 30_000);
});

test('both CLIs reconnect after their server restarts, a file cut by it fails on both sides, and a DM is delivered', async () => {
  // A transfer under way when the server goes: reported failed on both sides, not resumed.
  const path = join(fx.dir, 'cut.bin');
  writeFileSync(path, randomBytes(400_000));
  alice.send(`/file bob ${path}`);
  await bob.waitEvent((e) => e.event === 'file-offered' && e['name'] === 'cut.bin', 'bob offered the file', 60_000);

  const t0 = Date.now();
  await fx.mesh.restart(0);
  const restartedMs = Date.now() - t0;
  const reconnectedMs: number[] = [];
  for (const c of [alice, bob]) {
    const r = await c.waitEvent(is('reconnecting'), 'reconnecting', 30_000);
    expect(r).toMatchObject({ attempt: 1, reason: expect.stringMatching(/server closed the connection/) });
    expect(r['delay_ms']).toBeGreaterThanOrEqual(800);
    expect(r['delay_ms']).toBeLessThanOrEqual(1200);
    await c.waitEvent(is('reconnected'), 'reconnected', 90_000);
    reconnectedMs.push(Date.now() - t0);
    expect(c.alive).toBe(true);
  }
  await alice.waitEvent((e) => e.event === 'warning' && /^file not sent: /.test(String(e['detail'])), 'alice: file not sent');
  expect(bob.events.find((e) => e.event === 'file-failed')).toMatchObject({ name: 'cut.bin', reason: 'disconnected' });
  expect(alice.events.some(is('file-sent'))).toBe(false);
  expect(readdirSync(join(fx.dir, 'home-bob', 'downloads'))).toEqual([]);
  const ready = alice.events.find(is('ready'))!;
  expect(alice.events.find(is('reconnected'))).toMatchObject({ server_id: ready['server_id'], server_fingerprint: ready['server_fingerprint'] });

  await waitListed(alice, 'bob');
  await waitListed(bob, 'alice');
  alice.send('/tell bob back after the restart');
  const m = await bob.waitEvent((e) => e.event === 'message' && e['text'] === 'back after the restart', 'the DM', 30_000);
  expect(m).toMatchObject({ kind: 'dm', from: ready['user_id'] });
  await alice.waitEvent((e) => e.event === 'delivery' && e['status'] === 'delivered' && e['to'] === 'bob', 'delivered receipt', 30_000);
  // No password asked, nothing fatal.
  for (const c of [alice, bob]) expect(c.events.some((e) => e.event === 'fatal' || e.event === 'closed')).toBe(false);
  const attempts = [alice, bob].map((c) => c.events.filter(is('reconnecting')).length);
  console.log(JSON.stringify({ test: 'cli-reconnect', server_restart_ms: restartedMs, reconnected_ms_after_restart_began: reconnectedMs, attempts }));
});

test('after a kill -9 of the server (no goodbye to anyone) they reconnect too, and chat goes on', async () => {
  const before = [alice, bob].map((c) => count(c, is('reconnected')));
  await fx.mesh.kill(0);
  await fx.mesh.restart(0);
  await alice.waitEvent(() => count(alice, is('reconnected')) > before[0]! || undefined, 'alice reconnected', 120_000);
  await bob.waitEvent(() => count(bob, is('reconnected')) > before[1]! || undefined, 'bob reconnected', 120_000);
  await waitListed(bob, 'alice');
  bob.send('/tell alice still here after kill -9');
  await alice.waitEvent((e) => e.event === 'message' && e['text'] === 'still here after kill -9', 'the DM', 30_000);
  console.log(JSON.stringify({ test: 'cli-reconnect-kill9', attempts: [alice, bob].map((c) => count(c, is('reconnecting'))) }));
});

test('a frozen server (a half-open link: no close, no answer) is noticed by the silence, and they reconnect once it answers again', async () => {
  const before = [alice, bob].map((c) => count(c, is('reconnected')));
  const since = [alice, bob].map((c) => count(c, is('reconnecting')));
  const t0 = Date.now();
  fx.mesh.pause(0); // SIGSTOP: the sockets stay open, nothing answers
  try {
    await alice.waitEvent(() => count(alice, is('reconnecting')) > since[0]! || undefined, 'alice notices the silence', 20_000);
    const noticedMs = Date.now() - t0;
    // Each CLI's silence timer runs on its own phase: keep the server frozen until bob noticed too,
    // or a SIGCONT in between would (rightly) let bob's link live on and never reconnect.
    await bob.waitEvent(() => count(bob, is('reconnecting')) > since[1]! || undefined, 'bob notices the silence', 20_000);
    for (const [c, n] of [[alice, since[0]!], [bob, since[1]!]] as const) {
      expect(c.events.filter(is('reconnecting'))[n]!['reason']).toMatch(/^no answer from the server for \d+ s$/);
    }
    expect(noticedMs).toBeGreaterThanOrEqual(DEAD_AFTER_MS);
    console.log(JSON.stringify({ test: 'cli-reconnect-frozen', dead_after_ms: DEAD_AFTER_MS, noticed_ms: noticedMs }));
  } finally {
    fx.mesh.resume(0);
  }
  await alice.waitEvent(() => count(alice, is('reconnected')) > before[0]! || undefined, 'alice reconnected', 120_000);
  await bob.waitEvent(() => count(bob, is('reconnected')) > before[1]! || undefined, 'bob reconnected', 120_000);
  await waitListed(alice, 'bob');
  alice.send('/tell bob thawed');
  await bob.waitEvent((e) => e.event === 'message' && e['text'] === 'thawed', 'the DM', 30_000);
});

test('while the server is down: /tell warns, /list answers, and /quit exits 0 at once', async () => {
  const before = count(alice, is('reconnecting'));
  await fx.mesh.stopServer(0);
  await alice.waitEvent(() => count(alice, is('reconnecting')) > before || undefined, 'alice reconnecting', 30_000);
  await bob.waitEvent(() => count(bob, is('reconnecting')) > before || undefined, 'bob reconnecting', 30_000);

  alice.send('/tell bob are you there?');
  const w = await alice.waitEvent((e) => e.event === 'warning' && e['code'] === 'NOT_CONNECTED', 'not-connected warning');
  expect(w['detail']).toMatch(/^not connected; reconnecting (in \d+ s|now)$/);
  const lists = count(alice, is('list'));
  alice.send('/list');
  await alice.waitEvent(() => count(alice, is('list')) > lists || undefined, '/list while away');

  for (const c of [alice, bob]) {
    const t0 = Date.now();
    c.send('/quit');
    expect(await c.waitExit(5_000)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(c.events.at(-1)).toEqual({ event: 'closed', reason: 'bye' });
  }
});

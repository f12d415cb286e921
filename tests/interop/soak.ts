/**
 * Soak (issue 14 "Done when"; run by hand, not in CI): our server joined to a stand-in of the
 * seed (peers/g43-server.ts: no HEARTBEAT at all, writes to us only on a second socket it opens
 * and keeps silent) through the seed's introducer, with the PRODUCTION liveness timings
 * (HEARTBEAT 15 s, dead after 45 s), for 10 minutes — more than ten dead windows. At the end a
 * user on each side logs in and a DM goes each way over the same sockets. Prints one JSON line:
 * link flaps (socp_peer_links_dead_total and "server link up/down" log lines), whether the
 * seed's silent socket survived and how many pings it answered, and the DMs. Exit 0 only with
 * zero flaps and both DMs delivered.
 *
 *   npx tsc -p tests/interop/tsconfig.soak.json && node tests/dist/soak/interop/soak.js [--minutes 10]
 */
import { generateKeyPair } from '@socp/protocol';
import WebSocket from 'ws';
import type { Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { G43Introducer } from './peers/g43-introducer';
import { G43Server } from './peers/g43-server';
import { linkEvents, ourServer } from './our-server';

/** The production dead window (SOCP_DEAD_AFTER_MS default; SPEC.md §13). */
const DEAD_WINDOW_MS = 45_000;
/** How often the soak prints a progress line to stderr. */
const PROGRESS_EVERY_MS = 60_000;

function minutes(argv: string[]): number {
  const i = argv.indexOf('--minutes');
  const n = i < 0 ? 10 : Number(argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error('usage: soak.js [--minutes N]');
  return n;
}

async function main(): Promise<number> {
  const durationMs = minutes(process.argv.slice(2)) * 60_000;
  const [seedKey, aliceKey] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  const intro = await G43Introducer.start();
  const seed = await G43Server.start({ key: seedKey });
  let mesh: Mesh | undefined;
  let alice: RawUser | undefined;
  try {
    await seed.joinIntroducer(`ws://127.0.0.1:${intro.port}`, `127.0.0.1:${intro.port}`);
    // No timings: the server runs with its defaults (15 s heartbeat, 45 s dead window).
    mesh = await ourServer({
      introducers: 0, timings: {},
      serverEnv: { SOCP_BOOTSTRAP: JSON.stringify([{ host: '127.0.0.1', port: intro.port }]), SOCP_ADMIT: `key:${seedKey.publicKey.fingerprint()}` },
    });
    const ours = mesh.servers[0]!.id;
    const channel = await seed.openChannelTo(ours, 60_000);
    const started = Date.now();
    process.stderr.write(`soak: linked; holding for ${durationMs / 60_000} min (dead window ${DEAD_WINDOW_MS / 1000} s)\n`);
    for (let next = started + PROGRESS_EVERY_MS; Date.now() - started < durationMs; next += PROGRESS_EVERY_MS) {
      const m = mesh;
      await waitFor('the next progress point (or a flap)', async () => Date.now() >= Math.min(next, started + durationMs) || (await linkEvents(m)).down > 0, PROGRESS_EVERY_MS + 10_000, 1_000);
      process.stderr.write(`soak: ${Math.round((Date.now() - started) / 1000)} s ${JSON.stringify(await linkEvents(m))} second socket pings ${channel.pings}\n`);
    }
    const heldMs = Date.now() - started;
    const quiet = { ...(await linkEvents(mesh)), secondSocketOpen: channel.ws.readyState === WebSocket.OPEN, secondSocketPings: channel.pings };

    // Then the sockets that stayed silent all along carry a DM each way.
    const bob = await seed.login('bob');
    alice = await RawUser.connect(mesh.servers[0]!.wsUrl, { key: aliceKey, name: 'alice' });
    await alice.waitForUser(bob.id, 30_000);
    await seed.users.waitFor(alice.id, 30_000);
    alice.sendDm(bob.id, 'after the soak, ours');
    const toSeed = await waitFor('our DM at the seed', () => seed.users.got.some((g) => g.text === 'after the soak, ours'), 30_000).catch(() => false);
    const m = alice.mark();
    seed.tell('bob', alice.id, 'after the soak, theirs');
    const toUs = await alice.waitMessage(bob.id, 30_000, m).then((r) => r.text === 'after the soak, theirs', () => false);

    const end = await linkEvents(mesh);
    const flaps = end.dead + end.down;
    const result = { soak: 'seed-without-heartbeat', minutes: heldMs / 60_000, deadWindows: Math.floor(heldMs / DEAD_WINDOW_MS), ...quiet, flaps, dmToSeed: toSeed, dmFromSeed: toUs };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return flaps === 0 && toSeed && toUs && quiet.secondSocketOpen ? 0 : 1;
  } finally {
    alice?.sock.terminate();
    await mesh?.stop();
    await seed.close();
    await intro.close();
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

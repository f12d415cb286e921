/**
 * Closed-loop DM latency: one DM in flight at a time over a fresh local mesh (introducer + 2
 * servers, real processes and Redis), so each figure is the path's own latency, not queueing.
 * A → B costs two server signatures (SERVER_DELIVER at A, USER_DELIVER at B); A → A costs one.
 * Next to each, the servers' own mean signing time from socp_crypto_duration_seconds{op="sign"}
 * (threadpool hand-off included). docs/benchmarks/findings.md §7.
 *
 *   node bench/dist/latency-probe.js [DMs per path, default 150]
 */
import { startMesh } from '@socp/tests/dist/harness/mesh';
import { RawUser } from '@socp/tests/dist/harness/raw-user';
import { httpGet, metricValue } from '@socp/tests/dist/harness/wait';
import { generateKeyPair } from '@socp/protocol';
import { summarise } from './stats';

const N = Number(process.argv[2] ?? 150);

async function signing(adminUrl: string): Promise<{ sum: number; count: number }> {
  const t = (await httpGet(`${adminUrl}/metrics`)).text;
  return { sum: metricValue(t, 'socp_crypto_duration_seconds_sum', { op: 'sign' }), count: metricValue(t, 'socp_crypto_duration_seconds_count', { op: 'sign' }) };
}

async function main(): Promise<void> {
  const mesh = await startMesh({ servers: 2, introducers: 1 });
  try {
    await mesh.waitReady();
    const [A, B] = [mesh.servers[0]!, mesh.servers[1]!];
    const key = await generateKeyPair();
    const alice = await RawUser.connect(A.wsUrl, { key, name: 'alice' });
    const bob = await RawUser.connect(B.wsUrl, { key, name: 'bob' });
    const carol = await RawUser.connect(A.wsUrl, { key, name: 'carol' });
    await alice.waitForUser(bob.id, 30_000);
    await alice.waitForUser(carol.id, 30_000);
    console.log(`closed loop, ${N} DMs per path, one in flight`);
    for (const [path, to] of [['A → B (2 signatures)', bob], ['A → A (1 signature)', carol]] as const) {
      const before = await Promise.all([signing(A.adminUrl), signing(B.adminUrl)]);
      const lat: number[] = [];
      for (let i = 0; i < N; i++) {
        const f = alice.dmFrame(to.id, `probe ${i}`); // built and signed before the clock starts
        const since = to.sock.received.length;
        const t0 = performance.now();
        alice.sock.send(f);
        await to.sock.waitFrame((x) => x.type === 'USER_DELIVER' && x.payload['content_sig'] === f.payload.content_sig, 10_000, since, `probe DM ${i}`);
        lat.push(performance.now() - t0);
      }
      const after = await Promise.all([signing(A.adminUrl), signing(B.adminUrl)]);
      const sign = after.map((a, i) => {
        const n = a.count - before[i]!.count;
        return n > 0 ? `${(((a.sum - before[i]!.sum) / n) * 1000).toFixed(2)} ms × ${n}` : '—';
      });
      const s = summarise(lat);
      console.log(`  ${path}: p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms; servers' mean signing time A ${sign[0]}, B ${sign[1]}`);
    }
    for (const u of [alice, bob, carol]) u.close();
  } finally {
    await mesh.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

#!/usr/bin/env node
/**
 * `npm run bench` (scripts/bench.sh builds first): one local mesh — introducer + 2 servers,
 * real processes, real Redis, loopback, default timings — and, in the same run:
 *   0. the machine's RSA-4096 private-op rates for the mesh's key kind and for two-prime keys
 *      (libs/socp-node crypto-rates, interleaved, mesh idle; again after the ramp)
 *   1. DM throughput A → B at rising offered load (10 %…125 % of the measured bound) up to saturation, p50/p95/p99 per step
 *   2. latency at ~10 % of saturation
 *   3. files A → B between our clients (multi-block chunks: 1 MiB and 10 MiB, progress shown) and on
 *      the spec-only path (one OAEP block per chunk: 1 MiB), each with its RSA bound
 *   4. presence: 1,000 and 10,000 users, convergence time, server RSS, Redis memory
 * Prints each figure, writes docs/benchmarks/results.json, README.md and throughput.svg.
 * Everything started is stopped on success, failure, SIGINT and SIGTERM.
 *   node bench/dist/run-bench.js [--quick] [--only dm,light,files,presence] [--profile DIR] [--primes 2|3|4]
 *     --primes   primes of every key the mesh and the generator make (SOCP_RSA_PRIMES; default DEFAULT_RSA_PRIMES)
 *     --quick    short ramp, 1 MiB files only (both paths), 1,000 users only
 *     --only     run just these phases (the light load needs dm for its rate, else uses 50/s)
 *     --profile  servers run with --cpu-prof; .cpuprofile files land in DIR at the end
 *     --server-node-options "FLAGS"  NODE_OPTIONS for the servers (e.g. "--max-semi-space-size=8")
 *     --rewrite  only regenerate README.md and throughput.svg from docs/benchmarks/results.json
 */
import { DEFAULT_RSA_PRIMES, isRsaPrimeCount } from '@socp/protocol';
import { endProcess } from '@socp/node';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { startMesh, type Mesh } from '@socp/tests/dist/harness/mesh';
import { repoRoot } from '@socp/tests/dist/harness/processes';
import { waitFor } from '@socp/tests/dist/harness/wait';
import type { DmStepResult } from './dm-load';
import type { FilePath, FileResult } from './file-transfer';
import type { PresenceCounters } from './presence-load';
import { USER_FILE_CHUNKS_PER_SEC, USER_FRAMES_PER_SEC } from '@socp/server/dist/transport/limits';
import { GeneratorClient } from './generator-client';
import { cpuMeter, redisUsedMemory, rssBytes, serverSample, settle, threadCpuSeconds, type CpuWindow } from './proc-stats';
import { writeReport, type BenchResults, type PresenceResult, type RampStep } from './report';
import { measureCryptoRates, signCpuMs, threadpoolSignRate, type CryptoRates } from './rsa-bound';
import { round } from './stats';

const argv = process.argv.slice(2);
const argAfter = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const QUICK = argv.includes('--quick');
const ONLY = argAfter('--only')?.split(',');
const PROFILE_DIR = argAfter('--profile');
/** Primes of the mesh's and the generator's keys; the report states it and measures its bound beside the two-prime one. */
const PRIMES = Number(argAfter('--primes') ?? DEFAULT_RSA_PRIMES);
/** Extra NODE_OPTIONS for the two servers (e.g. V8 heap flags), to compare runtime settings. */
const SERVER_NODE_OPTIONS = [argAfter('--server-node-options'), PROFILE_DIR ? `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` : undefined].filter(Boolean).join(' ');
const phase = (name: string): boolean => ONLY === undefined || ONLY.includes(name);
const PAIRS = 16;
const KEY_POOL = 4;
/** Offered loads as fractions of the bound measured at the start, so the ramp brackets saturation however busy the machine is. */
const RAMP = QUICK ? [0.2, 0.5, 0.8, 1.1] : [0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25];
const STEP_SECONDS = QUICK ? 3 : 4;
/** Past the listed fractions: each further step offers this much more, up to RAMP_MAX × the two-signature bound. */
const RAMP_BEYOND = 1.15;
const RAMP_MAX = 3;
const LIGHT_SECONDS = 10;
/** Files sent: between our clients (multi-block) and as a spec-only recipient gets them (one block per chunk; 10 MiB that way takes minutes). */
const FILE_RUNS: ReadonlyArray<{ size: number; path: FilePath }> = [
  { size: 1 << 20, path: 'multi-block' }, { size: 1 << 20, path: 'spec' }, ...(QUICK ? [] : [{ size: 10 << 20, path: 'multi-block' as const }]),
];
const PRESENCE_COUNTS = QUICK ? [1_000] : [1_000, 10_000];
const PRESENCE_DEADLINE_MS = 60_000;
/** Time budget of one file transfer (keeps the whole bench near 10 minutes on a busy machine). */
const FILE_BUDGET_MS = 180_000;
/** Abort a presence count when a server grows past this (protects the shared machine). */
const PRESENCE_RSS_ABORT_BYTES = 3 * 1024 ** 3;
/** Private-key operations the servers spend per cross-server DM: SERVER_DELIVER at A, USER_DELIVER at B. */
const SERVER_OPS_PER_DM = 2;
/** Per single-block file chunk: content_sig + envelope sig at the sender, one sig at A, one at B, OAEP decrypt at the receiver (a multi-block chunk: 4 + its blocks; file-transfer.ts counts each run's). */
const OPS_PER_CHUNK = 5;
/** Per user coming online: ACK, USER_ADVERTISE, PUBLIC_CHANNEL_ADD, PUBLIC_CHANNEL_UPDATED at its server, the re-signed USER_ADVERTISE at the other. */
const OPS_PER_USER = 5;
const SEED = { dms_per_s: 299, light_p50_ms: 7.9, light_p95_ms: 13.5, light_p99_ms: 17.6, file_1mib_s: 17.4 };

const out = (s: string): void => void process.stdout.write(`${s}\n`);
let progressShown = false;
let lastProgress = 0;
/** One overwritten status line on a terminal; a line every few seconds into a log. */
const progress = (s: string): void => {
  if (process.stdout.isTTY) {
    progressShown = true;
    process.stdout.write(`\r  ${s.padEnd(90)}`);
  } else if (Date.now() - lastProgress >= 3_000) {
    lastProgress = Date.now();
    process.stdout.write(`  ${s}\n`);
  }
};
const endProgress = (): void => {
  if (progressShown) process.stdout.write('\n');
  progressShown = false;
};

async function main(): Promise<void> {
  const root = repoRoot();
  if (argv.includes('--rewrite')) {
    const written = writeReport(root, JSON.parse(readFileSync(join(root, 'docs/benchmarks/results.json'), 'utf8')) as BenchResults);
    return out(`${written.summary}\nrewrote ${written.files.join(', ')} from results.json`);
  }
  let mesh: Mesh | undefined;
  let gen: GeneratorClient | undefined;
  let cleaning: Promise<void> | undefined;
  /** Stop everything started; every caller (signal, failure, success) waits for the same stop. */
  const cleanup = (): Promise<void> => (cleaning ??= (async () => {
    endProgress();
    gen?.stop();
    // A profiled server writes its .cpuprofile on a clean exit: give it time to drain and stop.
    if (PROFILE_DIR) await Promise.all((mesh?.servers ?? []).map((s) => s.proc?.stop('SIGTERM', 60_000)));
    await mesh?.stop();
  })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      out(`\n${sig}: stopping everything the bench started…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const started = Date.now();
  const loadStart = loadavg().map((l) => round(l, 2));
  try {
    if (!isRsaPrimeCount(PRIMES)) throw new Error(`--primes must be 2, 3 or 4 (got ${PRIMES})`);
    out(`SOCP bench${QUICK ? ' (quick)' : ''}: Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    out(`starting the mesh: introducer + 2 servers (own redis-server each), default timings, server and user keys of ${PRIMES} primes…`);
    mesh = await startMesh({
      servers: 2, introducers: 1, logLevel: 'info',
      // Every bench user connects from 127.0.0.1: lift the per-source caps (docs/server.md).
      serverEnv: { SOCP_RSA_PRIMES: String(PRIMES), SOCP_MAX_CONNS_PER_IP: '60000', SOCP_MAX_PENDING_PER_IP: '60000', ...(SERVER_NODE_OPTIONS ? { NODE_OPTIONS: SERVER_NODE_OPTIONS } : {}) },
    });
    await mesh.waitReady();
    const [A, B] = [mesh.servers[0]!, mesh.servers[1]!];
    const pids = { serverA: A.proc!.pid!, serverB: B.proc!.pid!, redisA: A.redis!.pid!, redisB: B.redis!.pid! };

    out(`\n[0] RSA-4096 private-op rates on this machine (mesh idle), ${PRIMES}-prime keys (in use) and 2-prime keys, interleaved`);
    const rates: CryptoRates[] = [measureCryptoRates(root, PRIMES, out)];
    const signRate = (primes = PRIMES): number => threadpoolSignRate(rates, primes);
    out(`  threadpool signing on both cores: ${signRate()} signatures/s (${PRIMES} primes) → bound ${(signRate() / SERVER_OPS_PER_DM).toFixed(0)} DMs/s; two-prime keys ${signRate(2)}/s → ${(signRate(2) / SERVER_OPS_PER_DM).toFixed(0)} DMs/s (measured again after the ramp)`);

    gen = new GeneratorClient(progress);
    const g = gen;
    const setup = await g.request<{ senders: string[] }>('setup', { urlA: A.wsUrl, urlB: B.wsUrl, pairs: PAIRS, keys: KEY_POOL, primes: PRIMES });
    /** One DM step: build its frames (untimed), then send them with the CPU of every process metered. */
    const serverThreads = (): Record<'main' | 'threadpool' | 'v8', number> => {
      const [a, b] = [threadCpuSeconds(pids.serverA), threadCpuSeconds(pids.serverB)];
      return { main: a.main + b.main, threadpool: a.threadpool + b.threadpool, v8: a.v8 + b.v8 };
    };
    const signatures = async (): Promise<number> => (await Promise.all([serverSample(A.adminUrl), serverSample(B.adminUrl)])).reduce((n, x) => n + x.signatures, 0);
    const dmStep = async (rate: number, seconds: number): Promise<{ result: DmStepResult; cpu: CpuWindow; threads: Record<'main' | 'threadpool' | 'v8', number>; sigs: number }> => {
      await g.request('dmPrepare', { rate, seconds });
      const s0 = await signatures();
      const meter = cpuMeter({ ...pids, generator: g.pid });
      const t0 = serverThreads();
      const result = await g.request<DmStepResult>('dmRun');
      const t1 = serverThreads();
      const cpu = meter();
      return { result, cpu, threads: { main: t1.main - t0.main, threadpool: t1.threadpool - t0.threadpool, v8: t1.v8 - t0.v8 }, sigs: (await signatures()) - s0 };
    };
    out(`\n[1] DM throughput: ${setup.senders.length} senders on A → ${setup.senders.length} receivers on B, ${STEP_SECONDS} s per step, messages pre-computed`);
    out('  offered  delivered   p50 ms   p95 ms   p99 ms  lost  srvA%  srvB%  redis%  gen%  loopA p99 ms  srv CPU ms/DM  sigs/DM');
    const ramp: RampStep[] = [];
    const startBound = signRate() / SERVER_OPS_PER_DM;
    // The listed fractions of the two-signature bound, then (delivery batches can pass it) ×RAMP_BEYOND until a step fails.
    const offered = phase('dm') ? [...new Set(RAMP.map((f) => Math.max(5, Math.round((f * startBound) / 5) * 5)))] : [];
    for (let i = 0; i < offered.length; i++) {
      const rate = offered[i]!;
      if (i === offered.length - 1 && rate * RAMP_BEYOND <= RAMP_MAX * startBound) offered.push(Math.round((rate * RAMP_BEYOND) / 5) * 5);
      const m = await dmStep(rate, STEP_SECONDS);
      const r = m.result;
      const cpu = m.cpu.pct;
      const [sa, sb] = await Promise.all([serverSample(A.adminUrl), serverSample(B.adminUrl)]);
      const serverCpuPerDm = (m.cpu.seconds['serverA']! + m.cpu.seconds['serverB']!) / Math.max(1, r.delivered);
      const step: RampStep = {
        ...r, cpu_pct: cpu, server_cpu_ms_per_dm: round(serverCpuPerDm * 1000, 2),
        server_cpu_ms_per_dm_by_thread: {
          main: round((m.threads.main * 1000) / Math.max(1, r.delivered), 2),
          threadpool: round((m.threads.threadpool * 1000) / Math.max(1, r.delivered), 2),
          v8: round((m.threads.v8 * 1000) / Math.max(1, r.delivered), 2),
        },
        event_loop_p99_ms: { A: round(sa.eventLoopP99Ms, 1), B: round(sb.eventLoopP99Ms, 1) },
        server_sigs_per_dm: round(m.sigs / Math.max(1, r.delivered), 2),
      };
      ramp.push(step);
      const L = r.latency_ms;
      out(`  ${String(rate).padStart(7)}  ${r.delivered_per_s.toFixed(0).padStart(9)}  ${L.p50.toFixed(1).padStart(7)}  ${L.p95.toFixed(1).padStart(7)}  ${L.p99.toFixed(1).padStart(7)}  ${String(r.lost).padStart(4)}  ${cpu['serverA']!.toFixed(0).padStart(5)}  ${cpu['serverB']!.toFixed(0).padStart(5)}  ${(cpu['redisA']! + cpu['redisB']!).toFixed(0).padStart(6)}  ${cpu['generator']!.toFixed(0).padStart(4)}  ${step.event_loop_p99_ms.A.toFixed(1).padStart(12)}  ${step.server_cpu_ms_per_dm.toFixed(2).padStart(13)}  ${step.server_sigs_per_dm!.toFixed(2).padStart(7)}`);
      if (r.lost > 0 || r.delivered_per_s < 0.9 * rate || L.p99 > 1_000) break;
    }
    // The last step overloads the servers on purpose: let them drain before measuring the machine again.
    if (!(await settle(pids))) out('  (the servers were still busy 30 s after the ramp; the rates below are skewed)');
    out('  RSA-4096 rates again, after the ramp (servers drained):');
    rates.push(measureCryptoRates(root, PRIMES, out));
    const machineOps = signRate();
    const bound = machineOps / SERVER_OPS_PER_DM;
    const twoPrimeBound = signRate(2) / SERVER_OPS_PER_DM;
    out(`  bound: ${machineOps} signatures/s (${PRIMES}-prime keys, threadpool, both cores, mean of before/after) ÷ ${SERVER_OPS_PER_DM} server signatures per DM = ${bound.toFixed(0)} DMs/s; with two-prime keys ${signRate(2)}/s → ${twoPrimeBound.toFixed(0)} DMs/s`);
    const sat = Math.max(0, ...ramp.map((s) => s.delivered_per_s));
    // Load-independent view: server CPU per DM against the CPU the two forced signatures cost.
    const signCpu = signCpuMs(rates, PRIMES);
    const satStep = ramp.find((s) => s.delivered_per_s === sat);
    const cpuPerDm = satStep?.server_cpu_ms_per_dm ?? NaN;
    const cpuView = {
      forced_cpu_ms_per_dm: round(SERVER_OPS_PER_DM * signCpu, 2), server_cpu_ms_per_dm: cpuPerDm,
      cpu_efficiency: round((SERVER_OPS_PER_DM * signCpu) / cpuPerDm, 2), idle_machine_projection_dms_per_s: Math.round((availableParallelism() * 1000) / cpuPerDm),
    };
    const split = satStep?.server_cpu_ms_per_dm_by_thread;
    if (split) out(`  by thread (A + B, per DM at saturation): main threads ${split.main} ms (decode, verify, routing, ws), threadpool ${split.threadpool} ms (signing), V8 ${split.v8} ms (GC)`);
    out(`  CPU view: the servers spent ${cpuPerDm} CPU-ms per DM at saturation; the 2 forced signatures cost ${cpuView.forced_cpu_ms_per_dm} CPU-ms → efficiency ${cpuView.cpu_efficiency}; on an otherwise idle ${availableParallelism()}-core machine that is ≈ ${cpuView.idle_machine_projection_dms_per_s} DMs/s`);
    out(`  saturation: ${sat.toFixed(0)} DMs/s = ${(sat / bound).toFixed(2)} × bound of the keys in use (${bound.toFixed(0)}), ${(sat / twoPrimeBound).toFixed(2)} × two-prime bound (${twoPrimeBound.toFixed(0)}), ${(sat / SEED.dms_per_s).toFixed(2)} × seed (${SEED.dms_per_s})`);
    // Delivery batches (docs/contracts.md) sign many SERVER_DELIVERs at once under load: the bound with the signatures really made.
    const sigsPerDm = satStep?.server_sigs_per_dm ?? SERVER_OPS_PER_DM;
    const measuredBound = machineOps / Math.max(0.01, sigsPerDm);
    out(`  signatures really made at saturation: ${sigsPerDm} per DM (A + B) → bound ${measuredBound.toFixed(0)} DMs/s; saturation = ${(sat / measuredBound).toFixed(2)} × that`);

    const lightRate = sat > 0 ? Math.max(10, Math.round(sat * 0.1)) : 50;
    out(`\n[2] light load: ${lightRate} DMs/s (~10 % of saturation) for ${LIGHT_SECONDS} s`);
    const light = (await dmStep(lightRate, phase('light') ? LIGHT_SECONDS : 0.1)).result;
    out(`  p50 ${light.latency_ms.p50} ms, p95 ${light.latency_ms.p95} ms, p99 ${light.latency_ms.p99} ms (seed: ${SEED.light_p50_ms} / ${SEED.light_p95_ms} / ${SEED.light_p99_ms}), ${light.delivered}/${light.sent} delivered`);

    out('\n[3] files A → B (sender encrypts + content-signs + seals, each server signs, receiver verifies + decrypts every block): multi-block chunks between our clients, one block per chunk on the spec-only path');
    const files: BenchResults['files'] = [];
    for (const { size, path } of phase('files') ? FILE_RUNS : []) {
      const r = await g.request<FileResult>('file', { size, timeoutMs: FILE_BUDGET_MS, path });
      endProgress();
      const boundS = r.private_ops / machineOps;
      files.push({ ...r, bound_s: round(boundS, 2), ratio_to_bound: r.completed ? round(boundS / r.seconds, 2) : 0, rate_limit_floor_s: round(r.chunks / USER_FILE_CHUNKS_PER_SEC, 1) });
      const what = `${(size / 1048576).toFixed(0).padStart(2)} MiB ${path.padEnd(11)}`;
      const cost = `${r.chunks} chunks × ${r.blocks_per_chunk} block(s), ${r.private_ops} private ops${r.acks ? ` (${r.acks} acks)` : ''}`;
      out(r.completed
        ? `  ${what}: ${r.seconds} s (${r.kib_per_s} KiB/s, ${cost}), RSA bound ${boundS.toFixed(1)} s → ratio ${(boundS / r.seconds).toFixed(2)}, sha256 ok`
        : `  ${what}: NOT complete within the ${FILE_BUDGET_MS / 1000} s budget: ${r.chunks_received}/${r.chunks} chunks (${r.kib_per_s} KiB/s; ${cost}); RSA bound ${boundS.toFixed(1)} s`);
    }

    out('\n[4] presence: users spread over both servers (key pool of 4 shared by distinct user_ids), until every server knows them all');
    const presence: PresenceResult[] = [];
    for (const n of phase('presence') ? PRESENCE_COUNTS : []) {
      const base = await Promise.all([serverSample(A.adminUrl), serverSample(B.adminUrl)]);
      await g.request('presencePrepare', { urls: [A.wsUrl, B.wsUrl], n });
      const meter = cpuMeter({ ...pids, generator: g.pid });
      const t0 = Date.now();
      const startP = g.request<PresenceCounters>('presenceStart');
      let aborted = '';
      let known = [0, 0];
      let maxRss = 0;
      /** Largest JS heap and Buffer (external) memory either server reported while users arrived. */
      const maxMem = { heap: 0, external: 0 };
      const converged = await waitFor(`${n} users visible on both servers`, async () => {
        maxRss = Math.max(maxRss, rssBytes(pids.serverA), rssBytes(pids.serverB));
        if (maxRss > PRESENCE_RSS_ABORT_BYTES) aborted = `server RSS passed ${PRESENCE_RSS_ABORT_BYTES / 1024 ** 3} GiB`;
        if (aborted) return true;
        const s = await Promise.all([serverSample(A.adminUrl, 10_000), serverSample(B.adminUrl, 10_000)]);
        known = s.map((x, i) => x.usersKnown - base[i]!.usersKnown);
        for (const x of s) [maxMem.heap, maxMem.external] = [Math.max(maxMem.heap, x.heapUsedBytes), Math.max(maxMem.external, x.externalBytes)];
        progress(`presence ${n}: A knows ${known[0]}, B knows ${known[1]} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        return known.every((k) => k >= n);
      }, PRESENCE_DEADLINE_MS, 100).then(() => !aborted, () => false);
      const seconds = (Date.now() - t0) / 1000;
      const cpu = meter();
      endProgress();
      const counters = await Promise.race([startP, g.request<PresenceCounters>('presenceCounters')]);
      // A server still flooding its users may not answer /metrics in time: that must not end the bench.
      const after = await Promise.all([serverSample(A.adminUrl, 10_000), serverSample(B.adminUrl, 10_000)].map((p) => p.catch(() => undefined)));
      const closes = (i: number): number => (after[i] ? after[i].slowConsumerCloses - base[i]!.slowConsumerCloses : NaN);
      const serversRssMb = (): { A: number; B: number } => ({ A: round(rssBytes(pids.serverA) / 1048576, 1), B: round(rssBytes(pids.serverB) / 1048576, 1) });
      const rssAtConvergence = serversRssMb();
      // The same users, online and quiet: what the servers hold once the arrival storm has been sent.
      const quiet = await settle({ serverA: pids.serverA, serverB: pids.serverB }, 5);
      const r: PresenceResult = {
        users: n, converged, seconds: round(seconds, 2), bound_s: round((n * OPS_PER_USER) / machineOps, 1), aborted: aborted || undefined, known_by: { A: known[0]!, B: known[1]! },
        rss_mb: rssAtConvergence,
        rss_settled_mb: quiet ? serversRssMb() : undefined,
        max_rss_mb: round(maxRss / 1048576, 1),
        max_heap_used_mb: round(maxMem.heap / 1048576, 1), max_external_mb: round(maxMem.external / 1048576, 1),
        redis_used_mb: { A: round((await redisUsedMemory(A.redisUrl)) / 1048576, 1), B: round((await redisUsedMemory(B.redisUrl)) / 1048576, 1) },
        slow_consumer_closes: { A: closes(0), B: closes(1) },
        generator: counters,
        cpu_s: Object.fromEntries(Object.entries(cpu.seconds).map(([k, v]) => [k, round(v, 1)])),
      };
      presence.push(r);
      out(`  ${String(n).padStart(6)} users: ${converged ? `visible on both servers in ${r.seconds} s` : `NOT converged after ${r.seconds} s (A ${known[0]}, B ${known[1]})${aborted ? ` — aborted: ${aborted}` : ''}`}; RSS A ${r.rss_mb.A} MB, B ${r.rss_mb.B} MB (max ${r.max_rss_mb}; once quiet ${r.rss_settled_mb ? `A ${r.rss_settled_mb.A} MB, B ${r.rss_settled_mb.B} MB` : 'not reached'}; JS heap max ${r.max_heap_used_mb} MB, Buffers max ${r.max_external_mb} MB); Redis used A ${r.redis_used_mb.A} MB, B ${r.redis_used_mb.B} MB; slow-consumer closes ${r.slow_consumer_closes.A + r.slow_consumer_closes.B}; generator received ${counters.frames_in} frames; CPU s until then: ${Object.entries(r.cpu_s!).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      await g.request('presenceStop');
      if (n !== PRESENCE_COUNTS[PRESENCE_COUNTS.length - 1]) {
        await waitFor('presence users gone', async () => {
          const s = await Promise.all([serverSample(A.adminUrl, 10_000), serverSample(B.adminUrl, 10_000)]);
          return s.every((x, i) => x.usersKnown <= base[i]!.usersKnown);
        }, PRESENCE_DEADLINE_MS, 250).catch(() => out('  (the servers were still removing those users; the next count starts from their current count)'));
      }
    }

    const gcpu = await g.request<{ cpu_s: number }>('cpu');
    const results: BenchResults = {
      date: new Date().toISOString(), quick: QUICK, node: process.version, cpus: availableParallelism(),
      wall_s: 0, generator_cpu_s: round(gcpu.cpu_s, 1), load_average: { start: loadStart, end: loadavg().map((l) => round(l, 2)) },
      keys: { primes: PRIMES, prime_bits: rates[0]!.by_primes[String(PRIMES)]!.prime_bits, setting: `SOCP_RSA_PRIMES=${PRIMES}` },
      crypto: rates,
      bound: {
        primes: PRIMES, two_prime: { private_ops_per_s: signRate(2), dms_per_s: round(twoPrimeBound, 1) },
        private_ops_per_s: machineOps, server_ops_per_dm: SERVER_OPS_PER_DM, dms_per_s: round(bound, 1), ops_per_file_chunk: OPS_PER_CHUNK, ops_per_user_online: OPS_PER_USER, user_frames_per_s_limit: USER_FRAMES_PER_SEC, user_file_chunks_per_s_limit: USER_FILE_CHUNKS_PER_SEC,
        why: 'Both servers (and the generator and both Redis) share this machine\'s 2 cores, so the servers together can at most do the machine\'s threadpool PSS-sign rate on both cores; each cross-server DM costs one signature at A (SERVER_DELIVER) and one at B (USER_DELIVER).',
      },
      ramp, saturation: {
        dms_per_s: sat, ratio_to_bound: round(sat / bound, 3), ratio_to_two_prime_bound: round(sat / twoPrimeBound, 3), ratio_to_seed: round(sat / SEED.dms_per_s, 2), ...cpuView,
        server_sigs_per_dm: sigsPerDm, measured_bound_dms_per_s: round(measuredBound, 1), ratio_to_measured_bound: round(sat / measuredBound, 3),
      },
      light, files, presence, seed: SEED,
    };
    results.wall_s = round((Date.now() - started) / 1000, 1);
    const written = writeReport(root, results);
    out(`\n${written.summary}`);
    out(`wrote ${written.files.join(', ')} (bench ran ${results.wall_s} s)`);
  } finally {
    await cleanup();
  }
}

// endProcess, not process.exit(): after minutes of JIT-heavy work an exit can hang (nodejs/node#54918).
const end = (code: number): void => endProcess(code, { onForced: (open) => process.stderr.write(`bench: exit forced; still open: ${open.join(', ')}\n`) });
main().then(
  () => end(0),
  (e: unknown) => {
    endProgress();
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    end(1);
  },
);

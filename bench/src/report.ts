/**
 * The bench's outputs in docs/benchmarks/: results.json (every figure), README.md (tables,
 * goals met or not, method) and throughput.svg (the chart the README links).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DmStepResult } from './dm-load';
import type { FileResult } from './file-transfer';
import type { PresenceCounters } from './presence-load';
import type { CryptoRates } from './rsa-bound';
import { throughputChart } from './svg-chart';

export interface RampStep extends DmStepResult {
  cpu_pct: Record<string, number>;
  /** Server CPU (A + B, all threads) per delivered DM: independent of how busy the machine is. */
  server_cpu_ms_per_dm: number;
  /** The same split by thread kind (A + B): main thread (JSON, verify, ws), threadpool (signing), V8 (GC). */
  server_cpu_ms_per_dm_by_thread: { main: number; threadpool: number; v8: number };
  event_loop_p99_ms: { A: number; B: number };
  /** RSA signatures both servers made per delivered DM (2 without delivery batches; absent in older runs). */
  server_sigs_per_dm?: number;
}
export interface PresenceResult {
  users: number; converged: boolean; seconds: number; bound_s: number; aborted: string | undefined; known_by: { A: number; B: number };
  rss_mb: { A: number; B: number };
  /** RSS with the same users online once both servers are quiet (under 5 % CPU); undefined if they never were within 30 s. */
  rss_settled_mb?: { A: number; B: number };
  max_rss_mb: number; max_heap_used_mb?: number; max_external_mb?: number; redis_used_mb: { A: number; B: number };
  slow_consumer_closes: { A: number; B: number }; generator: PresenceCounters;
  /** CPU seconds of each process from the first hello until convergence (or the deadline): who did the work. */
  cpu_s?: Record<string, number>;
}
export interface BenchResults {
  date: string; quick: boolean; node: string; cpus: number; wall_s: number; generator_cpu_s: number;
  /** 1/5/15-minute load averages: other work on the machine skews every figure. */
  load_average: { start: number[]; end: number[] };
  /** The primes of every key the mesh and the generator made (absent in runs before multi-prime keys: 2). */
  keys?: { primes: number; prime_bits: number[]; setting: string };
  /** crypto-rates before and after the DM ramp, for the keys in use and two-prime keys (older runs: one key kind, flat). */
  crypto: Array<CryptoRates | LegacyRates>;
  bound: {
    /** The bound of the keys in use (private_ops_per_s, dms_per_s) and, measured alongside, of two-prime keys. */
    primes?: number; two_prime?: { private_ops_per_s: number; dms_per_s: number };
    private_ops_per_s: number; server_ops_per_dm: number; dms_per_s: number; ops_per_file_chunk: number; ops_per_user_online: number; user_frames_per_s_limit: number; user_file_chunks_per_s_limit?: number; why: string };
  ramp: RampStep[];
  saturation: {
    dms_per_s: number; ratio_to_bound: number; ratio_to_two_prime_bound?: number; ratio_to_seed: number;
    forced_cpu_ms_per_dm: number; server_cpu_ms_per_dm: number; cpu_efficiency: number; idle_machine_projection_dms_per_s: number;
    /** Signatures per DM measured at saturation (delivery batches make A's fewer than one per DM), and the bound they give. */
    server_sigs_per_dm?: number; measured_bound_dms_per_s?: number; ratio_to_measured_bound?: number;
  };
  light: DmStepResult;
  files: Array<FileResult & { bound_s: number; ratio_to_bound: number; rate_limit_floor_s: number }>;
  presence: PresenceResult[];
  seed: { dms_per_s: number; light_p50_ms: number; light_p95_ms: number; light_p99_ms: number; file_1mib_s: number };
  goals?: Goal[];
}
export interface Goal { goal: string; value: string; met: boolean }
interface LegacyRates { wall_ops_per_s: Record<string, number>; ops_per_cpu_s: Record<string, number>; load: number }

/** One line per crypto-rates measurement and key kind: ops per wall second (per CPU second). */
function cryptoLines(r: BenchResults): string[] {
  const ops = (wall: Record<string, number>, cpu: Record<string, number>): string => Object.entries(wall).map(([k, v]) => `${k} ${v} (${cpu[k]})`).join(', ');
  return r.crypto.flatMap((c, i) => {
    const when = `${i === 0 ? 'before' : 'after'} (load ${c.load.toFixed(1)})`;
    if (!('by_primes' in c)) return [`- ${when}: ${ops(c.wall_ops_per_s, c.ops_per_cpu_s)}`];
    const kinds = Object.entries(c.by_primes).map(([p, k]) => {
      const ratio = Object.entries(k.ratio_to_2_primes).map(([op, x]) => `${op} ${x.min}–${x.max}`).join(', ');
      return `  - ${p} primes (${k.prime_bits.join(' + ')} bits)${p === String(r.keys?.primes) ? ', in use' : ''}: ${ops(k.wall_ops_per_s, k.ops_per_cpu_s)}${ratio ? `; × 2-prime per round: ${ratio}` : ''}`;
    });
    return [`- ${when}, ${c.rounds} interleaved round(s) × ${c.seconds} s per figure (medians):`, ...kinds, `  - public-key operations (any prime count): ${ops(c.public_ops.wall_ops_per_s, c.public_ops.ops_per_cpu_s)}`];
  });
}

const DIR = 'docs/benchmarks';

const fileValue = (f: FileResult | undefined): string =>
  !f ? 'not run' : f.completed ? `${f.seconds} s` : `${f.chunks_received}/${f.chunks} chunks in ${f.seconds} s (budget)`;
/** Runs before the two paths were measured apart were all one block per chunk. */
const pathOf = (f: FileResult): string => f.path ?? 'spec';
/** The run of `bytes` on `path`; the goals are about files between our clients (multi-block, or older runs' only path). */
const fileRun = (r: BenchResults, bytes: number, path?: string): FileResult | undefined =>
  r.files.find((f) => f.bytes === bytes && pathOf(f) === (path ?? 'multi-block')) ?? (path === undefined ? r.files.find((f) => f.bytes === bytes) : undefined);

export function goals(r: BenchResults): Goal[] {
  const f1 = fileRun(r, 1 << 20);
  const f10 = fileRun(r, 10 << 20);
  const p1k = r.presence.find((p) => p.users === 1_000);
  const p10k = r.presence.find((p) => p.users === 10_000);
  const L = r.light.latency_ms;
  return [
    { goal: 'server DM path ≥ 0.85 × bound of the keys in use', value: `${r.saturation.dms_per_s.toFixed(0)} / ${r.bound.dms_per_s.toFixed(0)} = ${r.saturation.ratio_to_bound.toFixed(2)}`, met: r.saturation.ratio_to_bound >= 0.85 },
    { goal: 'cross-server DMs/s ≥ 2.2 × seed (658)', value: `${r.saturation.dms_per_s.toFixed(0)} = ${r.saturation.ratio_to_seed.toFixed(2)} × 299`, met: r.saturation.ratio_to_seed >= 2.2 },
    { goal: 'light load p50 < 4 ms', value: `${L.p50} ms`, met: L.p50 < 4 },
    { goal: 'light load p99 < 10 ms', value: `${L.p99} ms`, met: L.p99 < 10 },
    { goal: '1 MiB file < 6 s', value: fileValue(f1), met: !!f1 && f1.completed && f1.seconds < 6 },
    { goal: '10 MiB file with progress < 60 s', value: fileValue(f10), met: !!f10 && f10.completed && f10.sha256_ok && f10.seconds < 60 },
    { goal: '1,000 users visible on both servers < 5 s', value: p1k ? (p1k.converged ? `${p1k.seconds} s (signature floor ${p1k.bound_s} s)` : `not converged in ${p1k.seconds} s`) : 'not run', met: !!p1k && p1k.converged && p1k.seconds < 5 },
    { goal: '10,000 users converge', value: p10k ? (p10k.converged ? `${p10k.seconds} s = ${(p10k.seconds / p10k.bound_s).toFixed(1)} × its signature floor (${p10k.bound_s} s)` : `not converged in ${p10k.seconds} s (signature floor ${p10k.bound_s} s)`) : 'not run', met: !!p10k && p10k.converged },
    { goal: 'server RSS < 200 MB at 1,000 users', value: p1k ? `A ${p1k.rss_mb.A} MB, B ${p1k.rss_mb.B} MB as the last arrive${p1k.rss_settled_mb ? `; once quiet A ${p1k.rss_settled_mb.A} MB, B ${p1k.rss_settled_mb.B} MB` : ''}` : 'not run', met: !!p1k && Math.max(p1k.rss_mb.A, p1k.rss_mb.B) < 200 },
  ];
}

/** NaN (a server did not answer /metrics) is written to JSON as null. */
const closes = (p: PresenceResult): number | string =>
  Number.isFinite(p.slow_consumer_closes.A) && Number.isFinite(p.slow_consumer_closes.B) ? p.slow_consumer_closes.A + p.slow_consumer_closes.B : 'unknown (no /metrics answer)';
const row = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;

function markdown(r: BenchResults, g: Goal[]): string {
  const L = r.light.latency_ms;
  const f1 = fileRun(r, 1 << 20);
  const lines = [
    '# Benchmarks',
    '',
    `Produced by \`npm run bench\` (bench/, scripts/bench.sh) on ${r.date}: Node ${r.node}, ${r.cpus} CPUs, one local mesh`,
    '(introducer + 2 servers, each with its own redis-server, real processes on loopback, default timings) and a',
    'separate load-generator process. Every figure below comes from the same run; raw numbers in [results.json](results.json).',
    `Load average at start ${r.load_average.start.join(' / ')}, at end ${r.load_average.end.join(' / ')} (1/5/15 min; anything above ~2 means other work shared the 2 cores).`,
    `Keys: both servers' keys and the generator's user keys have **${r.keys?.primes ?? 2} primes**${r.keys ? ` (${r.keys.prime_bits.join(' + ')} bits, \`${r.keys.setting}\`)` : ''}; public keys are ordinary RSA-4096 / e = 65537 either way (docs/protocol.md "Multi-prime RSA-4096").`,
    r.quick ? '\n**Quick run (`--quick`): shortened ramp, no 10 MiB file, no 10,000 users.**' : '',
    '',
    'What the figures mean, where the time goes (profiles) and what was changed in the server: [findings.md](findings.md).',
    '',
    '![delivered DMs/s and p99 latency against offered load](throughput.svg)',
    '',
    '## Summary against the seed (G43, same topology and machine kind)',
    '',
    row(['figure', 'this mesh', 'G43 seed', 'ratio (> 1: this mesh is better)']),
    row(['---', '---', '---', '---']),
    row(['cross-server DMs/s at saturation', r.saturation.dms_per_s.toFixed(0), r.seed.dms_per_s, r.saturation.ratio_to_seed.toFixed(2)]),
    row(['saturation ÷ RSA bound: keys in use / two-prime keys', `${r.saturation.ratio_to_bound.toFixed(2)} / ${r.saturation.ratio_to_two_prime_bound?.toFixed(2) ?? '—'}`, '—', '—']),
    row(['light-load p50 / p95 / p99 (ms)', `${L.p50} / ${L.p95} / ${L.p99}`, `${r.seed.light_p50_ms} / ${r.seed.light_p95_ms} / ${r.seed.light_p99_ms}`, `${(r.seed.light_p50_ms / L.p50).toFixed(2)} / ${(r.seed.light_p95_ms / L.p95).toFixed(2)} / ${(r.seed.light_p99_ms / L.p99).toFixed(2)}`]),
    row(['1 MiB file A → B (s)', f1?.completed ? f1.seconds : '—', r.seed.file_1mib_s, f1?.completed ? (r.seed.file_1mib_s / f1.seconds).toFixed(2) : '—']),
    '',
    '## Goals',
    '',
    row(['goal', 'measured', 'met']),
    row(['---', '---', '---']),
    ...g.map((x) => row([x.goal, x.value, x.met ? 'yes' : '**no**'])),
    '',
    '## The bound',
    '',
    'RSA-4096 on this machine, measured in the same run with the mesh idle, before and after the DM ramp (ops per wall second; per CPU second in brackets):',
    '',
    ...cryptoLines(r),
    '',
    `Bound of the keys in use (${r.bound.primes ?? 2} primes) = ${r.bound.private_ops_per_s} private ops/s ÷ ${r.bound.server_ops_per_dm} per DM = **${r.bound.dms_per_s.toFixed(0)} DMs/s**; saturation reached ${r.saturation.ratio_to_bound.toFixed(2)} × it.${r.bound.two_prime ? ` With two-prime keys the same machine would be bound at ${r.bound.two_prime.private_ops_per_s} ÷ ${r.bound.server_ops_per_dm} = ${r.bound.two_prime.dms_per_s.toFixed(0)} DMs/s (saturation ÷ that: ${r.saturation.ratio_to_two_prime_bound?.toFixed(2)}).` : ''} ${r.bound.why}`,
    '',
    ...(r.saturation.server_sigs_per_dm !== undefined
      ? [`Signatures really made: under load server A sends the SERVER_DELIVERs that queue for a busy link as one SERVER_DELIVER_BATCH under one signature (docs/contracts.md "Delivery batches"), so a DM costs fewer than two signatures (column sigs/DM below). At saturation the servers made ${r.saturation.server_sigs_per_dm} per DM, a bound of ${r.bound.private_ops_per_s} ÷ ${r.saturation.server_sigs_per_dm} = ${r.saturation.measured_bound_dms_per_s?.toFixed(0)} DMs/s; saturation reached ${r.saturation.ratio_to_measured_bound?.toFixed(2)} × that. The two-signature bound above stays the reference the goals use.`, '']
      : []),
    `CPU view (independent of other load on the machine): at saturation the two servers spent ${r.saturation.server_cpu_ms_per_dm} CPU-ms per DM (all threads); two signatures cost ${r.saturation.forced_cpu_ms_per_dm} CPU-ms (1-core PSS sign CPU rate)${r.saturation.cpu_efficiency > 1 ? ', more than the servers spent in all: delivery batches sign fewer' : `, so ${Math.round(r.saturation.cpu_efficiency * 100)} % of the servers' CPU went to forced signatures`}. With both cores free for the servers this projects to ≈ ${r.saturation.idle_machine_projection_dms_per_s} DMs/s.`,
    '',
    `A file chunk of k OAEP blocks costs 4 + k private operations (sender content_sig + envelope sig, A, B, and the receiver's k OAEP decrypts); a multi-block transfer adds 5 per ack (one per 8 chunks). So a file's bound is (chunks × 4 + blocks + acks × 5) ÷ ${r.bound.private_ops_per_s} s: for 1 MiB, 2,352 chunks × 5 = 11,760 operations one block per chunk, 147 × 4 + 2,352 + 18 × 5 = 3,030 at 16 blocks (docs/protocol.md "Multi-block file chunks").`,
    '',
    '## 1. DM throughput (16 pairs, senders on A, receivers on B)',
    '',
    'Each step sends pre-computed MSG_DIRECT frames open-loop at the offered rate; latency is client send → receiving client socket.',
    'CPU % is of one core (200 % = the whole machine).',
    '',
    row(['offered/s', 'delivered/s', 'p50 ms', 'p95 ms', 'p99 ms', 'lost', 'server A %', 'server B %', 'redis %', 'generator %', 'loop p99 A/B ms', 'server CPU ms/DM', 'of which main / threadpool / GC', 'signatures/DM']),
    row(Array(14).fill('---')),
    ...r.ramp.map((s) => row([s.offered_per_s, s.delivered_per_s.toFixed(0), s.latency_ms.p50, s.latency_ms.p95, s.latency_ms.p99, s.lost, s.cpu_pct['serverA']!, s.cpu_pct['serverB']!, (s.cpu_pct['redisA']! + s.cpu_pct['redisB']!).toFixed(1), s.cpu_pct['generator']!, `${s.event_loop_p99_ms.A} / ${s.event_loop_p99_ms.B}`, s.server_cpu_ms_per_dm, s.server_cpu_ms_per_dm_by_thread ? `${s.server_cpu_ms_per_dm_by_thread.main} / ${s.server_cpu_ms_per_dm_by_thread.threadpool} / ${s.server_cpu_ms_per_dm_by_thread.v8}` : '', s.server_sigs_per_dm ?? ''])),
    '',
    `## 2. Light load (${r.light.offered_per_s} DMs/s for ${r.light.duration_s} s)`,
    '',
    `p50 ${L.p50} ms, p95 ${L.p95} ms, p99 ${L.p99} ms, max ${L.max} ms; ${r.light.delivered}/${r.light.sent} delivered.`,
    '',
    '## 3. Files A → B',
    '',
    r.bound.user_file_chunks_per_s_limit === undefined
      ? `The server admits ${r.bound.user_frames_per_s_limit} frames/s per user connection (services/server transport limits), so one sender cannot go faster than the rate-limit floor below, whatever the CPU.`
      : `The server admits ${r.bound.user_file_chunks_per_s_limit} FILE_CHUNKs/s per user connection (besides ${r.bound.user_frames_per_s_limit} other frames/s; services/server transport limits), so one sender cannot go faster than the rate-limit floor below, whatever the CPU.`,
    '',
    'Paths: **multi-block** = between our clients (both declare `file-blocks`: 16 OAEP blocks per chunk under one content_sig, paced by the receiver\'s acks); **spec** = what a spec-only recipient gets (one block per chunk, no acks).',
    '',
    row(['size', 'path', 'chunks × blocks', 'private ops (per chunk)', 'seconds', 'KiB/s', 'RSA bound s', 'bound ÷ time', 'rate-limit floor s']),
    row(Array(9).fill('---')),
    ...r.files.map((f) => row([
      `${f.bytes / 1048576} MiB`, pathOf(f), `${f.completed ? f.chunks : `${f.chunks_received}/${f.chunks} (budget ran out)`} × ${f.blocks_per_chunk ?? 1}`,
      f.private_ops !== undefined ? `${f.private_ops} (${(f.private_ops / f.chunks).toFixed(1)})` : `${f.chunks * r.bound.ops_per_file_chunk} (${r.bound.ops_per_file_chunk})`,
      f.seconds, f.kib_per_s, f.bound_s, f.completed ? f.ratio_to_bound : '—', f.rate_limit_floor_s,
    ])),
    '',
    '## 4. Presence',
    '',
    `Each user coming online costs ${r.bound.ops_per_user_online} signatures in the mesh (ACK, USER_ADVERTISE, PUBLIC_CHANNEL_ADD and _UPDATED at its server, the re-signed USER_ADVERTISE at the other), so N users need at least N × ${r.bound.ops_per_user_online} ÷ ${r.bound.private_ops_per_s} s; and every user is sent every other user's USER_ADVERTISE (snapshot or broadcast), N² frames in all.`,
    '',
    row(['users', 'visible on both servers', 'RSA bound s', 'server RSS A / B MB (as the last arrive)', 'once quiet', 'Redis used A / B MB', 'slow-consumer closes', 'frames to the users']),
    row(Array(8).fill('---')),
    ...r.presence.map((p) => row([p.users, p.converged ? `${p.seconds} s` : `no (A ${p.known_by.A}, B ${p.known_by.B} after ${p.seconds} s${p.aborted ? `; ${p.aborted}` : ''})`, p.bound_s, `${p.rss_mb.A} / ${p.rss_mb.B}`, p.rss_settled_mb ? `${p.rss_settled_mb.A} / ${p.rss_settled_mb.B}` : 'not quiet in 30 s', `${p.redis_used_mb.A} / ${p.redis_used_mb.B}`, closes(p), p.generator.frames_in])),
    '',
    '## Method',
    '',
    '- Keys: RSA-4096 keygen is slow, so the generator makes a pool of 4 keys; distinct user_ids share them (a user_id binds to its first key; sharing one across ids is allowed and changes nothing on the server path).',
    '- DMs: ciphertext (OAEP to the rostered recipient key), variant-C content_sig and envelope sig are all computed before each timed step. Receivers only timestamp arrivals in the timed phase; afterwards one delivered DM per receiver is fully checked (server sig, content_sig, decrypt to the sent text).',
    '- A step is delivered/(last arrival − first send); the ramp stops at the first step that loses a DM, delivers < 90 % of the offered rate or has p99 > 1 s.',
    '- Files: nothing pre-computed; both sides run the user core as the CLI does. The sender signs on the threadpool a few chunks ahead, paces under the server\'s per-connection limits and, on the multi-block path, keeps at most 32 chunks beyond the receiver\'s last ack; the receiver checks every frame\'s server sig and content_sig, decrypts every block on the threadpool (in order, as the CLI\'s session), acks, and the manifest\'s size and sha256 decide.',
    '- Presence: every USER_HELLO is signed beforehand (its sig covers the payload only, which names no user, so one signature per pool key); users connect 256 handshakes at a time, alternating servers; "visible" = the server\'s `socp_users_online` (local + remote) reached the count on both servers.',
    `- Generator CPU over the whole run: ${r.generator_cpu_s} s; the bench took ${r.wall_s} s.`,
    '',
  ];
  return lines.join('\n');
}

export function writeReport(root: string, r: BenchResults): { files: string[]; summary: string } {
  const dir = join(root, DIR);
  mkdirSync(dir, { recursive: true });
  r.goals = goals(r);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(dir, 'throughput.svg'), throughputChart(r.ramp.map((s) => ({ offered: s.offered_per_s, delivered: s.delivered_per_s, p99: s.latency_ms.p99 })), r.bound.dms_per_s, 'SOCP cross-server DMs: throughput and p99 latency vs offered load'));
  writeFileSync(join(dir, 'README.md'), markdown(r, r.goals));
  const summary = ['goals:', ...r.goals.map((x) => `  ${x.met ? 'MET   ' : 'MISSED'}  ${x.goal.padEnd(40)} ${x.value}`)].join('\n');
  return { files: [`${DIR}/results.json`, `${DIR}/README.md`, `${DIR}/throughput.svg`], summary };
}

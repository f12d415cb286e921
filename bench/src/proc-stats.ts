/** What the bench reads about the processes it started: CPU and RSS from /proc, Redis INFO, /metrics. */
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { httpGet, metricValue } from '@socp/tests/dist/harness/wait';

const CLK_TCK = 100;

/** utime + stime of a process in seconds (Linux /proc). */
export function cpuSeconds(pid: number, statPath = `/proc/${pid}/stat`): number {
  const stat = readFileSync(statPath, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds of a process by thread kind: Node's main thread, libuv threadpool (signing), V8 workers (GC, JIT). */
export function threadCpuSeconds(pid: number): Record<'main' | 'threadpool' | 'v8', number> {
  const out = { main: 0, threadpool: 0, v8: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let comm: string;
    let cpu: number;
    try {
      comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      cpu = cpuSeconds(Number(tid), `/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    if (comm === 'libuv-worker') out.threadpool += cpu;
    else if (comm.startsWith('V8')) out.v8 += cpu;
    else out.main += cpu; // MainThread and Node's few small helper threads
  }
  return out;
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Redis `INFO memory` used_memory in bytes. */
export async function redisUsedMemory(url: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const info = await r.info('memory');
    return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
  } finally {
    r.disconnect();
  }
}

export interface ServerSample { usersKnown: number; eventLoopP99Ms: number; slowConsumerCloses: number; rejected: number; heapUsedBytes: number; externalBytes: number; signatures: number }

/** Users a server knows (local + remote), its event-loop lag p99, slow-consumer closes, RSA signatures made so far. */
export async function serverSample(adminUrl: string, timeoutMs = 5_000): Promise<ServerSample> {
  const t = (await httpGet(`${adminUrl}/metrics`, timeoutMs)).text;
  return {
    usersKnown: metricValue(t, 'socp_users_online'),
    eventLoopP99Ms: metricValue(t, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    slowConsumerCloses: metricValue(t, 'socp_slow_consumer_closes_total'),
    rejected: metricValue(t, 'socp_frames_rejected_total'),
    heapUsedBytes: metricValue(t, 'nodejs_heap_size_used_bytes'),
    externalBytes: metricValue(t, 'nodejs_external_memory_bytes'),
    signatures: metricValue(t, 'socp_crypto_duration_seconds_count', { op: 'sign' }),
  };
}

export interface CpuWindow { pct: Record<string, number>; seconds: Record<string, number> }

/** CPU use of several processes over a window: call cpuMeter() at its start, the result at its end. */
export function cpuMeter(pids: Record<string, number>): () => CpuWindow {
  const t0 = process.hrtime.bigint();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const seconds = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p) - c0[k]!]));
    return { seconds, pct: Object.fromEntries(Object.entries(seconds).map(([k, s]) => [k, Math.round((s / wall) * 1000) / 10])) };
  };
}

/**
 * Resolves once the processes are quiet: together under `maxPct` % of one core over a 500 ms
 * window (e.g. servers that have drained the backlog of an overloaded step). Gives up after
 * `timeoutMs` and says so, so a busy machine never hangs the bench.
 */
export async function settle(pids: Record<string, number>, maxPct = 10, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = cpuMeter(pids);
    await new Promise((r) => setTimeout(r, 500));
    if (Object.values(m().pct).reduce((a, b) => a + b, 0) < maxPct) return true;
  }
  return false;
}

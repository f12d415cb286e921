/**
 * Crypto rate benchmark (not a test): RSA-4096 operations per second with the library's fixed
 * algorithms, for keys of 2, 3 and 4 primes (RFC 8017 multi-prime; docs/protocol.md
 * "Multi-prime RSA-4096"), measured INTERLEAVED so a busy machine skews every key kind alike:
 * each round measures one operation for every key kind back to back (the kinds' order rotates
 * per round), then the next operation.
 *
 *   npm run bench:crypto                                   # 5 rounds × 1 s per figure, 2, 3, 4 primes
 *   node libs/socp/dist/bench/crypto-rates.js --rounds 9 --seconds 2 --primes 2,4
 *
 * Private-key operations (PSS sign, OAEP decrypt, PSS sign on the threadpool) depend on the
 * prime count; public ones (verify, encrypt) do not and are measured once. Prints each round,
 * a summary (min / median / max over rounds, and each kind ÷ the 2-prime key of the same round)
 * and a final JSON line (read by bench/src/run-bench.ts).
 */
import { availableParallelism, loadavg } from 'node:os';
import { generateKeyPair, isRsaPrimeCount, primeSizesBits, OAEP_MAX_PLAINTEXT_BYTES, signingBytes, type RsaPrivateKey, type RsaPrimeCount } from '@socp/protocol';

const arg = (flag: string, def: string): string => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const SECONDS = Number(arg('--seconds', '1'));
const ROUNDS = Number(arg('--rounds', '5'));
const PRIMES = arg('--primes', '2,3,4').split(',').map(Number);
const THREADS = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
/** Signatures kept in flight on the threadpool: twice its threads, so no thread waits for work. */
const ASYNC_IN_FLIGHT = THREADS * 2;
/** Untimed operations before each figure (caches, JIT, the key's Montgomery contexts). */
const WARMUP_OPS = 3;

/** ops per wall second, and per CPU second of this process (estimates one free core when others compete). */
interface Rate { wall: number; cpu: number }
type PrivateOp = 'pss_sign' | 'oaep_decrypt' | 'pss_sign_async';
const PRIVATE_OPS: Record<PrivateOp, string> = { pss_sign: 'PSS sign (max salt), 1 core', oaep_decrypt: 'OAEP decrypt, 1 core', pss_sign_async: 'PSS signAsync, threadpool' };

/** CPU seconds this process used since `from` (user + system, all threads). */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

function rate(op: () => void): Rate {
  for (let i = 0; i < WARMUP_OPS; i++) op();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    op();
    n++;
    if ((n & 3) === 0) elapsed = process.hrtime.bigint() - start;
  }
  elapsed = process.hrtime.bigint() - start;
  return { wall: n / (Number(elapsed) / 1e9), cpu: n / cpuSeconds(cpu0) };
}

async function rateAsync(key: RsaPrivateKey, data: Buffer): Promise<Rate> {
  await Promise.all(Array.from({ length: ASYNC_IN_FLIGHT }, () => key.signAsync(data)));
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < deadline) {
      await key.signAsync(data);
      n++;
    }
  };
  await Promise.all(Array.from({ length: ASYNC_IN_FLIGHT }, worker));
  return { wall: n / (Number(process.hrtime.bigint() - start) / 1e9), cpu: n / cpuSeconds(cpu0) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const spread = (xs: number[]): { min: number; median: number; max: number } => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
const fmt = (s: { min: number; median: number; max: number }, digits = 0): string => `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
const r2 = (x: number): number => Math.round(x * 100) / 100;

interface Kind { primes: RsaPrimeCount; key: RsaPrivateKey; ct: Buffer; rounds: Record<PrivateOp, Rate[]> }

async function main(): Promise<void> {
  if (!PRIMES.every(isRsaPrimeCount) || !(SECONDS > 0) || !(Number.isInteger(ROUNDS) && ROUNDS > 0)) throw new Error('usage: crypto-rates [--rounds N] [--seconds S] [--primes 2,3,4]');
  const primes = [...new Set(PRIMES as RsaPrimeCount[])];
  const keys = await Promise.all(primes.map((p) => generateKeyPair(p)));
  const pt = Buffer.alloc(OAEP_MAX_PLAINTEXT_BYTES, 0x5a);
  const kinds: Kind[] = keys.map((key, i) => ({ primes: primes[i]!, key, ct: key.publicKey.encrypt(pt), rounds: { pss_sign: [], oaep_decrypt: [], pss_sign_async: [] } }));
  const pub = keys[0]!.publicKey;
  // A realistic signed thing: the canonical payload of a USER_ADVERTISE (~1.6 KB).
  const payload = signingBytes({ user_id: 'u'.repeat(36), server_id: 's'.repeat(36), pubkey: pub.toBase64Url(), meta: { display_name: 'Alice', pubkey: pub.toBase64Url() } });
  const sig = keys[0]!.sign(payload);
  process.stdout.write(`RSA-4096, Node ${process.version}, ${availableParallelism()} CPUs, libuv threadpool ${THREADS}, keys of ${primes.map((p) => `${p} primes (${primeSizesBits(p).join('+')} bits)`).join(', ')}; ${ROUNDS} round(s) × ${SECONDS} s per figure, interleaved; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  for (let round = 0; round < ROUNDS; round++) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
    const cells: string[] = [];
    for (const op of Object.keys(PRIVATE_OPS) as PrivateOp[]) {
      for (const k of order) {
        const r = op === 'pss_sign' ? rate(() => k.key.sign(payload)) : op === 'oaep_decrypt' ? rate(() => k.key.decrypt(k.ct)) : await rateAsync(k.key, payload);
        k.rounds[op].push(r);
      }
      cells.push(`${op} ${kinds.map((k) => `${k.primes}p ${k.rounds[op][round]!.wall.toFixed(0)}`).join(' ')}`);
    }
    process.stdout.write(`  round ${round + 1}/${ROUNDS} (wall ops/s): ${cells.join(' | ')}\n`);
  }
  const pss_verify = rate(() => pub.verify(payload, sig));
  const oaep_encrypt = rate(() => pub.encrypt(pt));

  const two = kinds.find((k) => k.primes === 2);
  process.stdout.write(`summary — ops/s min / median / max over rounds (wall; CPU-time rate in brackets)${two ? '; × 2-prime = the ratio within each round, min / median / max' : ''}:\n`);
  const summary = kinds.map((k) => {
    const ops = Object.fromEntries((Object.keys(PRIVATE_OPS) as PrivateOp[]).map((op) => {
      const wall = spread(k.rounds[op].map((r) => r.wall));
      const cpu = spread(k.rounds[op].map((r) => r.cpu));
      // pss_sign_async runs on every core: its CPU rate is per CPU-second of all threads, its ratio is by wall rate.
      const ratio = two && k !== two ? spread(k.rounds[op].map((r, i) => (op === 'pss_sign_async' ? r.wall / two.rounds[op][i]!.wall : r.cpu / two.rounds[op][i]!.cpu))) : undefined;
      process.stdout.write(`  ${PRIVATE_OPS[op].padEnd(28)} ${k.primes} primes  ${fmt(wall).padStart(18)}  (${fmt(cpu)})${ratio ? `  × 2-prime ${fmt(ratio, 2)}` : ''}\n`);
      return [op, { wall, cpu, ratio }] as const;
    }));
    return { primes: k.primes, prime_bits: primeSizesBits(k.primes), ops };
  });
  process.stdout.write(`  PSS verify (auto salt), 1 core  ${pss_verify.wall.toFixed(0)} (${pss_verify.cpu.toFixed(0)});  OAEP encrypt 446 B, 1 core  ${oaep_encrypt.wall.toFixed(0)} (${oaep_encrypt.cpu.toFixed(0)})  (public key: the same for every prime count)\n`);

  const byPrimes = Object.fromEntries(summary.map((s) => [String(s.primes), {
    prime_bits: s.prime_bits,
    wall_ops_per_s: Object.fromEntries(Object.entries(s.ops).map(([op, v]) => [op, Math.round(v.wall.median)])),
    ops_per_cpu_s: Object.fromEntries(Object.entries(s.ops).map(([op, v]) => [op, Math.round(v.cpu.median)])),
    wall_spread: Object.fromEntries(Object.entries(s.ops).map(([op, v]) => [op, { min: Math.round(v.wall.min), median: Math.round(v.wall.median), max: Math.round(v.wall.max) }])),
    ratio_to_2_primes: Object.fromEntries(Object.entries(s.ops).flatMap(([op, v]) => (v.ratio ? [[op, { min: r2(v.ratio.min), median: r2(v.ratio.median), max: r2(v.ratio.max) }]] : []))),
  }]));
  process.stdout.write(JSON.stringify({
    bench: 'crypto-rates', node: process.version, cpus: availableParallelism(), load: loadavg()[0], rounds: ROUNDS, seconds: SECONDS,
    by_primes: byPrimes,
    public_ops: { wall_ops_per_s: { pss_verify: Math.round(pss_verify.wall), oaep_encrypt: Math.round(oaep_encrypt.wall) }, ops_per_cpu_s: { pss_verify: Math.round(pss_verify.cpu), oaep_encrypt: Math.round(oaep_encrypt.cpu) } },
  }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`crypto-rates: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/**
 * The RSA bound of a bench run: libs/socp-node's crypto-rates for the key kind the mesh uses AND for
 * two-prime keys, interleaved in the same measurement, so "achieved ÷ bound" is honest both
 * for the keys in use and against the classic two-prime RSA-4096 (docs/protocol.md
 * "Multi-prime RSA-4096"). Measured before and after the DM ramp; the bound is their mean.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

type Ops = Record<'pss_sign' | 'oaep_decrypt' | 'pss_sign_async', number>;
interface Spread { min: number; median: number; max: number }
/** One key kind's figures: medians over crypto-rates' rounds, and each round's ratio to the 2-prime key. */
export interface KindRates { prime_bits: number[]; wall_ops_per_s: Ops; ops_per_cpu_s: Ops; wall_spread: Record<keyof Ops, Spread>; ratio_to_2_primes: Partial<Record<keyof Ops, Spread>> }
/** crypto-rates' final JSON line. */
export interface CryptoRates {
  load: number; rounds: number; seconds: number;
  by_primes: Record<string, KindRates>;
  public_ops: { wall_ops_per_s: Record<string, number>; ops_per_cpu_s: Record<string, number> };
}

/** Rounds × seconds per figure: short, because it runs twice per bench with the mesh idle (~12 s each). */
const ROUNDS = 2;
const SECONDS_PER_FIGURE = 0.75;

/** Run crypto-rates for `primes` and 2 (its lines printed indented through `out`); its JSON result. */
export function measureCryptoRates(root: string, primes: number, out: (line: string) => void): CryptoRates {
  const kinds = [...new Set([2, primes])].join(',');
  const r = spawnSync(process.execPath, [join(root, 'libs/socp-node/dist/crypto-rates.js'), '--primes', kinds, '--rounds', String(ROUNDS), '--seconds', String(SECONDS_PER_FIGURE)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`crypto-rates failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  for (const l of lines.slice(0, -1)) out(`  ${l}`);
  return JSON.parse(lines[lines.length - 1]!) as CryptoRates;
}

const kindOf = (r: CryptoRates, primes: number): KindRates => {
  const k = r.by_primes[String(primes)];
  if (!k) throw new Error(`crypto-rates measured no ${primes}-prime key`);
  return k;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Threadpool PSS signatures per wall second on both cores, mean over the measurements: the bound's numerator. */
export const threadpoolSignRate = (rates: CryptoRates[], primes: number): number => Math.round(mean(rates.map((r) => kindOf(r, primes).wall_ops_per_s.pss_sign_async)));
/** CPU-ms of one PSS signature on one core (load-independent), mean over the measurements. */
export const signCpuMs = (rates: CryptoRates[], primes: number): number => 1000 / mean(rates.map((r) => kindOf(r, primes).ops_per_cpu_s.pss_sign));

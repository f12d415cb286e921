/**
 * Crypto rate benchmark (not a test): how many RSA-4096 operations per second one core does
 * with the library's fixed algorithms, plus signing on the libuv threadpool.
 *
 *   npm run bench:crypto                 # ~2 s per figure
 *   node libs/socp/dist/bench/crypto-rates.js --seconds 5
 *
 * Prints one line per operation (ops per wall second and per CPU second) and a final JSON line.
 */
import { availableParallelism, loadavg } from 'node:os';
import { generateKeyPair, type RsaPrivateKey } from '../crypto/keys';
import { OAEP_MAX_PLAINTEXT_BYTES } from '../constants';
import { signingBytes } from '../wire/canonical-json';

const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx >= 0 ? Number(process.argv[secIdx + 1]) : 2;

/** CPU seconds this process used since `from` (user + system, all threads). */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/**
 * Two figures per operation: ops per wall-clock second, and ops per CPU second of this
 * process. On an idle core they agree; when other processes compete for the CPU the wall
 * rate drops while the CPU-time rate still estimates what one free core does.
 */
function line(name: string, n: number, wallS: number, cpuS: number, note: string): { wall: number; cpu: number } {
  const wall = n / wallS;
  const cpu = n / cpuS;
  process.stdout.write(`${name.padEnd(32)} ${wall.toFixed(0).padStart(6)} ops/s wall  ${cpu.toFixed(0).padStart(6)} ops/CPU-s  (${n} ops, ${note})\n`);
  return { wall, cpu };
}

function rate(name: string, op: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 5; i++) op(); // warm up
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    op();
    n++;
    if ((n & 7) === 0) elapsed = process.hrtime.bigint() - start;
  }
  elapsed = process.hrtime.bigint() - start;
  const cpuS = cpuSeconds(cpu0);
  return line(name, n, Number(elapsed) / 1e9, cpuS, `${((cpuS * 1000) / n).toFixed(3)} CPU-ms each`);
}

async function rateAsync(name: string, key: RsaPrivateKey, data: Buffer, inFlight: number): Promise<{ wall: number; cpu: number }> {
  await Promise.all(Array.from({ length: inFlight }, () => key.signAsync(data)));
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
  await Promise.all(Array.from({ length: inFlight }, worker));
  return line(name, n, Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds(cpu0), `${inFlight} in flight, all cores`);
}

async function main(): Promise<void> {
  const key = await generateKeyPair();
  const pub = key.publicKey;
  // A realistic signed thing: the canonical payload of a USER_ADVERTISE (~1.6 KB).
  const payload = signingBytes({ user_id: 'u'.repeat(36), server_id: 's'.repeat(36), pubkey: pub.toBase64Url(), meta: { display_name: 'Alice', pubkey: pub.toBase64Url() } });
  const sig = key.sign(payload);
  const pt = Buffer.alloc(OAEP_MAX_PLAINTEXT_BYTES, 0x5a);
  const ct = pub.encrypt(pt);
  const threads = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
  process.stdout.write(`RSA-4096, Node ${process.version}, ${availableParallelism()} CPUs, libuv threadpool ${threads}, ${SECONDS} s per figure, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes skew the figures)\n`);
  const rates = {
    pss_sign: rate('PSS sign (max salt), 1 core', () => key.sign(payload)),
    pss_verify: rate('PSS verify (auto salt), 1 core', () => pub.verify(payload, sig)),
    oaep_encrypt: rate('OAEP encrypt 446 B, 1 core', () => pub.encrypt(pt)),
    oaep_decrypt: rate('OAEP decrypt, 1 core', () => key.decrypt(ct)),
    pss_sign_async: await rateAsync('PSS signAsync (threadpool)', key, payload, threads * 2),
  };
  process.stdout.write(JSON.stringify({ bench: 'crypto-rates', node: process.version, cpus: availableParallelism(), load: loadavg()[0], wall_ops_per_s: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, Math.round(v.wall)])), ops_per_cpu_s: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, Math.round(v.cpu)])) }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`crypto-rates: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

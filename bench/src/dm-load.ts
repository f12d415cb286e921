/**
 * One step of the DM throughput ramp, inside the load generator: 16 pairs (senders on server
 * A, receivers on server B). Every MSG_DIRECT is built before the timed phase (the user core's
 * builder: OAEP to the recipient, variant-C content_sig and envelope sig, both on the threadpool), then sent
 * open-loop at the offered rate; the receivers only note the arrival time of each USER_DELIVER
 * (no decrypt in the timed phase — a sample per receiver is fully checked afterwards).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  b64urlDecode, directDraft, encodeFrame, sealDraftAsync, verifyContent, verifyFrame,
  type Frame, type RsaPublicKey,
} from '@socp/protocol';
import type { BenchUser } from './bench-user';
import { round, summarise, type LatencySummary } from './stats';

export interface Pair { sender: BenchUser; receiver: BenchUser; recipientKey: RsaPublicKey; senderKey: RsaPublicKey }

/** Signatures in flight on the threadpool while pre-computing. */
const PRECOMPUTE_IN_FLIGHT = 64;
/** How long after the last send we wait for stragglers before counting them lost. */
const DRAIN_MS = 20_000;

export interface DmStepResult {
  offered_per_s: number;
  duration_s: number;
  sent: number;
  delivered: number;
  lost: number;
  errors: number;
  delivered_per_s: number;
  latency_ms: LatencySummary;
  /** Worst lag of the open-loop scheduler behind its schedule (generator health). */
  max_send_lag_ms: number;
  generator_cpu_pct: number;
  precompute_s: number;
  samples_checked: number;
}

interface Msg { pair: number; text: string; sig: string; plain: string }

async function precompute(pairs: readonly Pair[], n: number): Promise<Msg[]> {
  const out: Msg[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const p = pairs[i % pairs.length]!;
      const plain = `bench dm ${i} ${randomUUID()}`;
      const draft = directDraft({ userId: p.sender.id, key: p.sender.key }, { userId: p.receiver.id, key: p.recipientKey }, Buffer.from(plain, 'utf8'), Date.now());
      const f = await sealDraftAsync(draft, p.sender.key);
      out[i] = { pair: i % pairs.length, text: encodeFrame(f), sig: f.payload.content_sig, plain };
    }
  };
  await Promise.all(Array.from({ length: PRECOMPUTE_IN_FLIGHT }, worker));
  return out;
}

/** Full end-to-end check of one delivered frame: server sig, content_sig under the sender's key, plaintext. */
function check(raw: string, p: Pair, plain: string): void {
  const f = JSON.parse(raw) as Frame & { payload: { ciphertext: string; content_sig: string; sender: string } };
  if (!verifyFrame(f, p.receiver.serverPub).ok) throw new Error('USER_DELIVER not signed by the receiver\'s server');
  if (!verifyContent(p.senderKey, { ciphertext: f.payload.ciphertext, from: p.sender.id, to: p.receiver.id, ts: f.ts }, f.payload.content_sig)) {
    throw new Error('content_sig of a delivered DM does not verify');
  }
  if (p.receiver.key.decrypt(b64urlDecode(f.payload.ciphertext)!).toString('utf8') !== plain) throw new Error('delivered DM decrypts to other text');
}

export interface PreparedStep { pairs: readonly Pair[]; rate: number; seconds: number; msgs: Msg[]; precomputeS: number }

/** Build every frame of a step (not timed). */
export async function prepareDmStep(pairs: readonly Pair[], rate: number, seconds: number): Promise<PreparedStep> {
  const tp = performance.now();
  const msgs = await precompute(pairs, Math.max(1, Math.round(rate * seconds)));
  return { pairs, rate, seconds, msgs, precomputeS: (performance.now() - tp) / 1000 };
}

/** Send a prepared step open-loop and collect arrivals (timed). */
export async function runDmStep(step: PreparedStep): Promise<DmStepResult> {
  const { pairs, rate, seconds, msgs, precomputeS } = step;
  const n = msgs.length;
  const index = new Map<string, number>(msgs.map((m, i) => [m.sig, i]));
  const sendAt = new Float64Array(n);
  const recvAt = new Float64Array(n).fill(NaN);
  const sampleRaw = new Map<number, string>();
  let delivered = 0;
  let errors = 0;
  let maxLag = 0;
  let allIn: () => void = () => {};
  const done = new Promise<void>((res) => (allIn = res));
  for (const p of pairs) {
    p.receiver.onFrame = (f) => {
      if (f.type !== 'USER_DELIVER') return;
      const i = index.get(f.payload['content_sig'] as string);
      if (i === undefined || !Number.isNaN(recvAt[i]!)) return;
      recvAt[i] = f.at;
      if (!sampleRaw.has(msgs[i]!.pair)) sampleRaw.set(msgs[i]!.pair, f.raw);
      if (++delivered === n) allIn();
    };
    p.sender.onFrame = (f) => void (f.type === 'ERROR' && errors++);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((res) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(n, Math.floor(((now - t0) * rate) / 1000) + 1);
      if (due > next) maxLag = Math.max(maxLag, now - (t0 + (next * 1000) / rate));
      for (; next < due; next++) {
        sendAt[next] = performance.now();
        pairs[msgs[next]!.pair]!.sender.send(msgs[next]!.text);
      }
      if (next < n) setTimeout(tick, 1);
      else res();
    };
    tick();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((res) => (timer = setTimeout(res, DRAIN_MS)))]);
  clearTimeout(timer);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const p of pairs) p.receiver.onFrame = p.sender.onFrame = undefined;
  const lat: number[] = [];
  let last = t0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(recvAt[i]!)) continue;
    lat.push(recvAt[i]! - sendAt[i]!);
    last = Math.max(last, recvAt[i]!);
  }
  for (const [pi, raw] of sampleRaw) {
    const i = index.get((JSON.parse(raw) as { payload: { content_sig: string } }).payload.content_sig)!;
    check(raw, pairs[pi]!, msgs[i]!.plain);
  }
  return {
    offered_per_s: rate, duration_s: seconds, sent: n, delivered, lost: n - delivered, errors,
    delivered_per_s: round(delivered / ((last - t0) / 1000), 1),
    latency_ms: summarise(lat),
    max_send_lag_ms: round(maxLag, 1),
    generator_cpu_pct: round(((cpu.user + cpu.system) / 1000 / wall) * 100, 1),
    precompute_s: round(precomputeS, 2),
    samples_checked: sampleRaw.size,
  };
}

/**
 * Signing and serialising what the routing core sends (S1 shell side, for effect-runner.ts).
 * Every `seal` is signed once with the server's key and serialised once; the same bytes then go
 * to every socket it is for. Around that:
 *  - identical unsigned frames of the presence types (a snapshot sends the same USER_ADVERTISE to
 *    every new user) reuse one signature (SEAL_CACHE_ENTRIES), and so do payloads that say nothing
 *    about their recipient (transport/reusable-signatures.ts);
 *  - signing runs on the libuv threadpool, except the first signature of an event-loop turn when
 *    nothing else is being signed: that one is made at once on this thread, since a hand-off
 *    would only add its wake-up to the latency (~0.3 ms a hop at light load, bench:latency);
 *  - from MAX_PENDING_SIGNATURES queued until half of them are done, `backlogged` is true and
 *    connections are not read (transport/read-gate.ts).
 */
import { hash } from 'node:crypto';
import {
  encodeFrame, sealFrameAsync, sealFrameToWire, sealFrameToWireSync, withBind, type Frame, type Outbound, type RoutingState, type RsaPrivateKey, type UnsignedFrame,
} from '@socp/protocol';
import type { ServerMetrics } from './metrics';
import { MAX_PENDING_SIGNATURES, SEAL_CACHE_ENTRIES } from './transport/limits';
import { ReusableSignatures, reusableKey } from './transport/reusable-signatures';

/** A frame ready to send: UTF-8 encoded once, the same bytes written to every socket it goes to. */
export interface Prepared { data: Buffer; type: string }
/** Only presence frames repeat verbatim (the snapshot every new user receives); others are not cached. */
const CACHED_TYPES = new Set(['USER_ADVERTISE', 'USER_REMOVE', 'PUBLIC_CHANNEL_UPDATED']);

/**
 * Identical frames get identical keys: a presence snapshot rebuilds every advertisement per new
 * user, so this runs N times per arrival. JSON.stringify + one native hash instead of canonical
 * JSON (a miss for a differently ordered but equal payload only costs a signature).
 */
const sealCacheKey = (f: UnsignedFrame): string => hash('sha256', JSON.stringify([f.type, f.from, f.to, f.ts, f.payload]), 'base64');

export class FrameSealer {
  private readonly sealCache = new Map<string, Prepared>();
  /** Cached-type seals being signed right now (a presence burst asks for the same one many times). */
  private readonly sealing = new Map<string, Promise<Prepared>>();
  /** Signatures of payloads that say nothing about their recipient (generic ERRORs to peers that are not servers). */
  private readonly reusable = new ReusableSignatures((f) => this.signed(async () => (await sealFrameAsync(f, this.key())).sig));
  /** Signatures queued or running on the threadpool. */
  private signing = 0;
  /** Whether this event-loop turn has made its one signature on this thread. */
  private inlineThisTurn = false;
  /** True from MAX_PENDING_SIGNATURES signatures queued until half of them are done: stop reading. */
  backlogged = false;
  /** Called when `backlogged` turns false again. */
  onBacklogCleared: () => void = () => undefined;

  constructor(private readonly state: RoutingState, private readonly key: () => RsaPrivateKey, private readonly metrics: ServerMetrics) {}

  /** The frame ready to send: at once when relayed or cached, else once signed. */
  prepare(out: Outbound): Prepared | Promise<Prepared> {
    if ('relay' in out) return { data: Buffer.from(encodeFrame(out.relay)), type: out.relay.type };
    const f = out.seal;
    // Frames to a server are bound to their envelope (unique per frame): never a reused signature.
    const rk = this.state.serverPubkeys.has(f.to) ? undefined : reusableKey(f);
    if (rk !== undefined) {
      const withSig = (sig: string): Prepared => ({ data: Buffer.from(encodeFrame({ ...f, sig } as Frame)), type: f.type });
      const sig = this.reusable.sigFor(f, rk);
      if (typeof sig !== 'string') return sig.then(withSig);
      this.metrics.answerSigReuses.inc({ type: f.type });
      return withSig(sig);
    }
    if (!CACHED_TYPES.has(f.type)) return this.sign(f, undefined);
    const ck = sealCacheKey(f);
    const hit = this.sealCache.get(ck);
    if (hit !== undefined) return hit;
    const pending = this.sealing.get(ck);
    if (pending !== undefined) return pending;
    const p = this.sign(f, ck).finally(() => this.sealing.delete(ck));
    this.sealing.set(ck, p);
    return p;
  }

  /** Run one signing job, counted in the backlog (MAX_PENDING_SIGNATURES) and in socp_crypto_duration_seconds{op="sign"}. */
  private async signed<T>(job: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    if (++this.signing >= MAX_PENDING_SIGNATURES) this.backlogged = true;
    try {
      return await job();
    } finally {
      if (--this.signing <= MAX_PENDING_SIGNATURES / 2 && this.backlogged) {
        this.backlogged = false;
        this.onBacklogCleared();
      }
      this.metrics.cryptoSeconds.observe({ op: 'sign' }, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }

  /** A signature made on this thread, timed like the others. */
  private signedNow<T>(job: () => T): T {
    const t0 = process.hrtime.bigint();
    try {
      return job();
    } finally {
      this.metrics.cryptoSeconds.observe({ op: 'sign' }, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }

  /** Sign and serialise once; `ck` set = a cached type, kept for reuse. */
  async sign(f: UnsignedFrame, ck?: string): Promise<Prepared> {
    // Every frame we sign binds its envelope (wire/bind.ts). One signature per turn at most on
    // this thread, and only when the threadpool is idle: a burst still uses every core.
    const bound = withBind(f);
    let text: string;
    if (this.signing === 0 && !this.inlineThisTurn) {
      this.inlineThisTurn = true;
      setImmediate(() => (this.inlineThisTurn = false));
      text = this.signedNow(() => sealFrameToWireSync(bound, this.key()));
    } else {
      text = await this.signed(() => sealFrameToWire(bound, this.key()));
    }
    const prepared = { data: Buffer.from(text), type: f.type };
    if (ck !== undefined) {
      if (this.sealCache.size >= SEAL_CACHE_ENTRIES) this.sealCache.delete(this.sealCache.keys().next().value!);
      this.sealCache.set(ck, prepared);
    }
    return prepared;
  }
}

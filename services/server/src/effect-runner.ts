/**
 * The only code that carries the routing core's effects out (S1): sockets, Redis, metrics, logs.
 *
 * Each batch (the effects of one input) is prepared as soon as it is queued — every `seal`
 * signed once on the libuv threadpool and serialised once, in parallel with the batches ahead —
 * then sent in order: sending runs batch after batch so frames leave in the order the core
 * produced them. Identical unsigned frames (presence
 * snapshots send the same USER_ADVERTISE to every new user) reuse one signature, and so do
 * frames whose payload says nothing about their recipient (transport/reusable-signatures.ts).
 * A connection that has not identified itself gets at most MAX_ANSWERS_BEFORE_HELLO answers;
 * the one past that is replaced by a 1008 close, before anything is signed for it.
 */
import { hash } from 'node:crypto';
import {
  encodeFrame, sealFrameAsync, sealFrameToWire, withBind, type Effect, type Frame, type Outbound, type PersistOp, type RoutingState, type RsaPrivateKey, type UnsignedFrame,
} from '@socp/protocol';
import type { Logger } from './logger';
import type { ServerMetrics } from './metrics';
import type { RedisStore } from './adapters/redis-store';
import { StorageGuard } from './adapters/storage-guard';
import { WriteBehind } from './adapters/write-behind';
import type { Connection } from './transport/connection';
import { MAX_PENDING_SIGNATURES, SEAL_CACHE_ENTRIES } from './transport/limits';
import { ReusableSignatures, reusableKey } from './transport/reusable-signatures';
import { HopAckBatcher } from './hop-ack-batcher';
import { DeliverBatcher } from './transport/deliver-batcher';

export interface EffectTargets {
  /** Connection by id (users and inbound servers). */
  connection(connId: string): Connection | undefined;
  /** The socket we write to for a server (our outbound link, else its inbound one). */
  serverLink(serverId: string): Connection | undefined;
  dial(serverId: string, host: string, port: number): void;
}

/** A frame ready to send: UTF-8 encoded once, the same bytes written to every socket it goes to. */
interface Prepared { data: Buffer; type: string }
/** Only presence frames repeat verbatim (the snapshot every new user receives); others are not cached. */
const CACHED_TYPES = new Set(['USER_ADVERTISE', 'USER_REMOVE', 'PUBLIC_CHANNEL_UPDATED']);

/**
 * Identical frames get identical keys: a presence snapshot rebuilds every advertisement per new
 * user, so this runs N times per arrival. JSON.stringify + one native hash instead of canonical
 * JSON (a miss for a differently ordered but equal payload only costs a signature).
 */
const sealCacheKey = (f: UnsignedFrame): string => hash('sha256', JSON.stringify([f.type, f.from, f.to, f.ts, f.payload]), 'base64');

export class EffectRunner {
  private tail: Promise<void> = Promise.resolve();
  private readonly sealCache = new Map<string, Prepared>();
  /** Cached-type seals being signed right now (a presence burst asks for the same one many times). */
  private readonly sealing = new Map<string, Promise<Prepared>>();
  /** Signatures of payloads that say nothing about their recipient (generic ERRORs to peers that are not servers). */
  private readonly reusable = new ReusableSignatures((f) => this.signed(async () => (await sealFrameAsync(f, this.key())).sig));
  /** Signatures queued or running. */
  private signing = 0;
  /** True from MAX_PENDING_SIGNATURES signatures queued until half of them are done: stop reading users. */
  backlogged = false;
  /** Called when `backlogged` turns false again. */
  onBacklogCleared: () => void = () => undefined;
  /** Acknowledgements of accepted SERVER_DELIVERs, one signed ACK per connection and batch. */
  readonly hopAcks = new HopAckBatcher((effects) => void this.run(effects));
  /** SERVER_DELIVERs that queue for a busy link go out as one signed SERVER_DELIVER_BATCH. */
  private readonly batcher = new DeliverBatcher<Prepared>({
    batches: (sid) => this.state.batchingServers.has(sid),
    seal: (f) => this.sign(f, undefined),
    sent: (items) => this.metrics.batchedDeliveriesSent.observe(items),
  });

  constructor(
    private readonly state: RoutingState,
    private readonly key: () => RsaPrivateKey,
    private readonly targets: EffectTargets,
    private readonly store: RedisStore,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly seenCapacity: number,
  ) {
    this.storage = new StorageGuard(store, metrics, log);
    this.writes = new WriteBehind(store, seenCapacity, (err) => {
      this.storage.written(err);
      // OOM is Redis refusing to grow (noeviction), not Redis being down.
      if (err === undefined || this.storage.full) this.metrics.redisUp.set(1);
      else this.metrics.redisUp.set(0);
      if (err) this.log.warn({ err: err.message }, 'redis write failed');
    });
  }

  /** Redis writes of the batches carried out, sent a few at a time. */
  readonly writes: WriteBehind;
  /** Whether Redis can take new state (adapters/storage-guard.ts). */
  readonly storage: StorageGuard;

  /** Queue a batch; resolves when it has been sent. Never rejects. */
  run(batch: readonly Effect[]): Promise<void> {
    const { effects, deferred } = this.batcher.take(this.withinAnswerBudget(batch));
    if (effects.length === 0) {
      this.updateGauges(); // the core may have changed state without effects (an ACK settling a DM)
      return this.tail;
    }
    // Sign now, in parallel with the batches ahead of this one; only the sending is ordered.
    // Cached frames are ready at once (no promise per frame); the others fill their slot when signed.
    const slots = effects.map((e) => deferred.get(e) ?? ('out' in e ? this.prepare(e.out) : undefined));
    const signing: Array<Promise<void>> = [];
    slots.forEach((s, i) => {
      if (s instanceof Promise) signing.push(s.then((p) => void (slots[i] = p)));
    });
    const ready = signing.length === 0 ? undefined : Promise.all(signing);
    ready?.catch(() => undefined);
    // While the batch waits its turn, keep only where each frame goes, not the frame itself: a
    // presence snapshot is a fresh frame per known user, and a burst of arrivals queued
    // hundreds of them (the frames were most of the servers' heap at 1,000 users).
    const targets = effects.map((e) => ('out' in e ? ({ ...e, out: undefined } as unknown as Effect) : e));
    this.tail = this.tail
      .then(async () => {
        await ready;
        this.runBatch(targets, slots as ReadonlyArray<Prepared | undefined>);
      })
      .catch((e: unknown) => this.log.error({ err: e }, 'effect batch failed'));
    return this.tail;
  }

  /** Resolves when everything queued so far has been carried out. */
  idle(): Promise<void> {
    return this.tail;
  }

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

  /** Sign and serialise once; `ck` set = a cached type, kept for reuse. */
  private async sign(f: UnsignedFrame, ck: string | undefined): Promise<Prepared> {
    const text = await this.signed(() => sealFrameToWire(withBind(f), this.key())); // every frame we sign binds its envelope (wire/bind.ts)
    const prepared = { data: Buffer.from(text), type: f.type };
    if (ck !== undefined) {
      if (this.sealCache.size >= SEAL_CACHE_ENTRIES) this.sealCache.delete(this.sealCache.keys().next().value!);
      this.sealCache.set(ck, prepared);
    }
    return prepared;
  }

  /**
   * Answers to connections that have not identified themselves, within their budget
   * (Connection.takeAnswer); the first one past it becomes a 1008 close, in its place in the
   * batch, and the connection is read no more. The batch itself when nothing is over.
   */
  private withinAnswerBudget(effects: readonly Effect[]): readonly Effect[] {
    let kept: Effect[] | undefined;
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      const c = e.kind === 'sendToConnection' ? this.targets.connection(e.connId) : undefined;
      if (c === undefined || c.takeAnswer()) {
        kept?.push(e);
        continue;
      }
      kept ??= effects.slice(0, i);
      if (c.closing) continue;
      c.closing = true;
      this.metrics.answersWithheld.inc();
      c.log.info({ code: 'SOCP_ERR_RATE_LIMITED' }, 'too many answers before hello: closing without signing more');
      kept.push({ kind: 'close', connId: c.id, code: 1008, reason: 'too many frames before hello' });
    }
    return kept ?? effects;
  }

  private runBatch(effects: readonly Effect[], prepared: ReadonlyArray<Prepared | undefined>): void {
    const ops: PersistOp[] = [];
    const presence: Array<{ userId: string; location: string | undefined }> = [];
    effects.forEach((e, i) => {
      try {
        this.perform(e, prepared[i], ops, presence);
      } catch (err) {
        this.log.error({ err: (err as Error).message, effect: e.kind }, 'effect failed');
      }
    });
    this.updateGauges();
    if (ops.length > 0 || presence.length > 0) this.writes.add(ops, presence);
  }

  private perform(e: Effect, p: Prepared | undefined, ops: PersistOp[], presence: Array<{ userId: string; location: string | undefined }>): void {
      switch (e.kind) {
        case 'sendToUser': {
          const c = this.userConn(e.userId);
          if (c && p) c.send(p.data, p.type);
          break;
        }
        case 'broadcastUsers':
          this.sendEach(this.state.localUsers.keys(), e.except, (uid) => this.userConn(uid), p);
          break;
        case 'sendToServer': {
          const c = this.targets.serverLink(e.serverId);
          if (c && p) c.send(p.data, p.type);
          break;
        }
        case 'broadcastServers':
          this.sendEach(this.state.servers, e.except, (sid) => this.targets.serverLink(sid), p);
          break;
        case 'sendToConnection': {
          const c = this.targets.connection(e.connId);
          if (c && p) c.send(p.data, p.type);
          break;
        }
        case 'hopAck':
          this.hopAcks.add(e);
          break;
        case 'close':
          this.targets.connection(e.connId)?.close(e.code, e.reason);
          break;
        case 'presenceSet':
          presence.push({ userId: e.userId, location: e.location });
          break;
        case 'presenceDelete':
          presence.push({ userId: e.userId, location: undefined });
          break;
        case 'persist':
          ops.push(e.op);
          break;
        case 'dial':
          this.targets.dial(e.serverId, e.host, e.port);
          break;
        case 'reject':
          this.metrics.framesRejected.inc({ type: e.frameType, reason: e.reason });
          this.log.info({ frameType: e.frameType, reason: e.reason, detail: e.detail }, 'frame rejected');
          break;
        case 'log':
          this.log[e.level](e.fields ?? {}, e.msg);
          break;
      }
  }

  /** `p` to the connection of every id but the excepted ones. */
  private sendEach(ids: Iterable<string>, except: readonly string[], conn: (id: string) => Connection | undefined, p: Prepared | undefined): void {
    if (!p) return;
    for (const id of ids) {
      if (except.includes(id)) continue;
      conn(id)?.send(p.data, p.type);
    }
  }

  private userConn(userId: string): Connection | undefined {
    const id = this.state.localUsers.get(userId);
    return id === undefined ? undefined : this.targets.connection(id);
  }

  private updateGauges(): void {
    this.metrics.usersOnline.set({ scope: 'local' }, this.state.localUsers.size);
    this.metrics.usersOnline.set({ scope: 'remote' }, this.state.directory.size - this.state.localUsers.size);
    let unconfirmed = 0;
    for (const peer of this.state.inflight.values()) unconfirmed += peer.size;
    this.metrics.dmsUnconfirmed.set(unconfirmed);
  }
}

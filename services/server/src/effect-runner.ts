/**
 * The only code that carries the routing core's effects out (S1): sockets, Redis, metrics, logs.
 *
 * Each batch (the effects of one input) is prepared as soon as it is queued — every `seal`
 * signed once and serialised once (frame-sealer.ts), in parallel with the batches ahead — then
 * sent in order: sending runs batch after batch so frames leave in the order the core produced
 * them. SERVER_DELIVERs that queue for a busy link go out as one batch (transport/deliver-batcher.ts).
 * A connection that has not identified itself gets at most MAX_ANSWERS_BEFORE_HELLO answers;
 * the one past that is replaced by a 1008 close, before anything is signed for it.
 */
import type { Effect, Outbound, PersistOp, RoutingState, RsaPrivateKey } from '@socp/protocol';
import type { Logger } from './logger';
import type { ServerMetrics } from './metrics';
import type { RedisStore } from './adapters/redis-store';
import { StorageGuard } from './adapters/storage-guard';
import { WriteBehind } from './adapters/write-behind';
import type { Connection } from './transport/connection';
import { FrameSealer, type Prepared } from './frame-sealer';
import { HopAckBatcher } from './hop-ack-batcher';
import { DeliverBatcher } from './transport/deliver-batcher';

export interface EffectTargets {
  /** Connection by id (users and inbound servers). */
  connection(connId: string): Connection | undefined;
  /** The socket we write to for a server (our outbound link, else its inbound one). */
  serverLink(serverId: string): Connection | undefined;
  dial(serverId: string, host: string, port: number): void;
}

export class EffectRunner {
  private tail: Promise<void> = Promise.resolve();
  /** Signs and serialises what the core sends (signature caches, the backlog bound). */
  private readonly sealer: FrameSealer;
  /** Called when the signing backlog clears. */
  set onBacklogCleared(f: () => void) {
    this.sealer.onBacklogCleared = f;
  }
  /** Acknowledgements of accepted SERVER_DELIVERs, one signed ACK per connection and batch. */
  readonly hopAcks = new HopAckBatcher((effects) => void this.run(effects));
  /** SERVER_DELIVERs that queue for a busy link go out as one signed SERVER_DELIVER_BATCH. */
  private readonly batcher = new DeliverBatcher<Prepared>({
    batches: (sid) => this.state.batchingServers.has(sid),
    seal: (f) => this.sealer.sign(f),
    sent: (items) => this.metrics.batchedDeliveriesSent.observe(items),
  });

  constructor(
    private readonly state: RoutingState,
    key: () => RsaPrivateKey,
    private readonly targets: EffectTargets,
    private readonly store: RedisStore,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly seenCapacity: number,
  ) {
    this.sealer = new FrameSealer(state, key, metrics);
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

  /** The frame ready to send (frame-sealer.ts). */
  prepare(out: Outbound): Prepared | Promise<Prepared> {
    return this.sealer.prepare(out);
  }

  /** True while too many signatures are queued: connections are not read (transport/read-gate.ts). */
  get backlogged(): boolean {
    return this.sealer.backlogged;
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
        case 'sendToUser':
          this.sendTo(this.userConn(e.userId), p);
          break;
        case 'broadcastUsers':
          this.sendEach(this.state.localUsers.keys(), e.except, (uid) => this.userConn(uid), p);
          break;
        case 'sendToServer':
          this.sendTo(this.targets.serverLink(e.serverId), p);
          break;
        case 'broadcastServers':
          this.sendEach(this.state.servers, e.except, (sid) => this.targets.serverLink(sid), p);
          break;
        case 'sendToConnection':
          this.sendTo(this.targets.connection(e.connId), p);
          break;
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

  /** `p` on `c`, when both are there (a connection may have closed meanwhile). */
  private sendTo(c: Connection | undefined, p: Prepared | undefined): void {
    if (c && p) c.send(p.data, p.type);
  }

  /** `p` to the connection of every id but the excepted ones. */
  private sendEach(ids: Iterable<string>, except: readonly string[], conn: (id: string) => Connection | undefined, p: Prepared | undefined): void {
    for (const id of ids) if (!except.includes(id)) this.sendTo(conn(id), p);
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

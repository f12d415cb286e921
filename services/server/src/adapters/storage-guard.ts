/**
 * Bounded storage (docs/redis.md "When Redis is full"). Redis runs with `maxmemory` and
 * `maxmemory-policy noeviction`: it never drops a binding or a queued DM to make room, it
 * refuses writes that would grow it ("OOM command not allowed…"). Our writes go out behind the
 * routing core's state change (write-behind.ts), so a refused write cannot be undone; instead
 * the server stops taking NEW durable state while storage is full:
 *   - a USER_HELLO that would bind a new user id or a new name,
 *   - an account registration (AccountShell.storage),
 *   - a DM that would be queued here for an offline account user (from a user or a server),
 * each refused with SOCP_ERR_STORAGE_FULL (wire TIMEOUT: try again later), counted in
 * socp_storage_refused_total{what} and socp_frames_rejected_total, logged. Everything that
 * only uses what exists goes on: connected users chat, known users reconnect.
 *
 * "Full" = INFO memory, polled every STORAGE_PROBE_INTERVAL_MS, shows used_memory at or past
 * STORAGE_REFUSE_AT_RATIO of maxmemory, or a write pipeline got OOM since (cleared by the next
 * one that goes through, or a probe below the bound). Gauge socp_storage_full; /readyz reports it.
 */
import {
  bindMatches, SocpError, dedupeKey, innerTypeOf, refuse,
  type Effect, type Frame, type RoutingCtx, type RoutingState,
} from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import type { RedisStore } from './redis-store';

/** How often INFO memory is read (one small command; the OOM error itself is seen at once). */
export const STORAGE_PROBE_INTERVAL_MS = 1_000;
/**
 * New state is refused from 90 % of maxmemory: the last 10 % is headroom for what existing users
 * still write (dedupe keys of their DMs, presence), so they do not run into OOM themselves.
 */
export const STORAGE_REFUSE_AT_RATIO = 0.9;

const isOom = (e: Error): boolean => /^OOM\b/.test(e.message);

export class StorageGuard {
  private oom = false;
  private near = false;
  private timer: NodeJS.Timeout | undefined;
  /** Memory as last probed (bytes; max 0 = no maxmemory set). */
  lastProbe = { usedBytes: 0, maxBytes: 0 };

  constructor(private readonly store: RedisStore, private readonly metrics: ServerMetrics, private readonly log: Logger) {}

  get full(): boolean {
    return this.oom || this.near;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.probe(), STORAGE_PROBE_INTERVAL_MS);
    this.timer.unref();
    void this.probe();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read INFO memory now (also what /readyz waits for). Never throws: a Redis that does not answer is /readyz's redis check. */
  async probe(): Promise<void> {
    try {
      this.lastProbe = await this.store.memory();
      const { usedBytes, maxBytes } = this.lastProbe;
      const near = maxBytes > 0 && usedBytes >= STORAGE_REFUSE_AT_RATIO * maxBytes;
      // Below the bound there is room: an earlier OOM no longer holds (a quiet server may write nothing to find out).
      this.set(this.oom && near, near);
    } catch {
      /* unreachable Redis: reported by /readyz's ping */
    }
  }

  /** The outcome of one write pipeline (write-behind.ts). */
  written(err: Error | undefined): void {
    if (err !== undefined) this.metrics.redisWriteErrors.inc({ reason: isOom(err) ? 'oom' : 'other' });
    if (err === undefined || isOom(err)) this.set(err !== undefined, this.near);
  }

  /**
   * When storage is full and `f` (authenticated, from a user or a server link) would create new
   * durable state: the effects refusing it. Otherwise undefined (go on).
   */
  refusal(state: RoutingState, f: Frame, connId: string, ctx: RoutingCtx): Effect[] | undefined {
    if (!this.full) return undefined;
    const what = newState(state, f);
    if (what === undefined) return undefined;
    this.metrics.storageRefused.inc({ what });
    const ref = f.type === 'MSG_DIRECT' ? { msg_ref: dedupeKey(f), to: f.to, ts: f.ts } : f.type === 'SERVER_DELIVER' ? { msg_ref: dedupeKey(f) } : {};
    return refuse(connId, f, new SocpError('SOCP_ERR_STORAGE_FULL', `this server's storage is full: ${what} refused; try again later`), ctx.selfId, ctx.now, ref);
  }

  /** For callers outside the frame path (registration): count one refusal and give the error. */
  refuseNew(what: string): SocpError {
    this.metrics.storageRefused.inc({ what });
    return new SocpError('SOCP_ERR_STORAGE_FULL', `this server's storage is full: ${what} refused; try again later`);
  }

  private set(oom: boolean, near: boolean): void {
    const was = this.full;
    this.oom = oom;
    this.near = near;
    if (was === this.full) return;
    this.metrics.storageFull.set(this.full ? 1 : 0);
    if (this.full) this.log.warn({ code: 'SOCP_ERR_STORAGE_FULL', oom, ...this.lastProbe }, 'storage full: refusing new bindings, registrations and queued DMs');
    else this.log.info({ ...this.lastProbe }, 'storage has room again: accepting new state');
  }
}

/** What new durable state `f` would create (a label for the metric), if any. */
function newState(state: RoutingState, f: Frame): string | undefined {
  switch (f.type) {
    case 'USER_HELLO':
      // Only a proven hello stores anything (its key binding, its user row); names of users
      // without an account are held in memory while they are online (routing/user-session.ts).
      return f.sig !== '' && bindMatches(f) === true && !state.userKeys.has(f.from) ? 'binding' : undefined;
    case 'MSG_DIRECT':
      return queuesHere(state, f.to) ? 'queued_dm' : undefined;
    case 'SERVER_DELIVER':
      return innerTypeOf(f.payload) === 'MSG_DIRECT' && queuesHere(state, f.payload.user_id) ? 'queued_dm' : undefined;
    default:
      return undefined;
  }
}

/** An offline account user of ours, not online elsewhere: a DM to them is queued in our Redis (routing/deliver.ts routeOffline). */
function queuesHere(state: RoutingState, userId: string): boolean {
  if (!state.accounts.has(userId) || state.localUsers.has(userId)) return false;
  const loc = state.userLocations.get(userId);
  return loc === undefined || loc === 'local' || !state.servers.has(loc);
}

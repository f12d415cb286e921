/**
 * Offline delivery (docs/accounts.md "Offline delivery"): what queued for an account user while
 * it was away goes out, in order, after its hello's ACK. A client that ACKs queued DMs
 * (routing/queue-acks.ts) gets them without their deletion (each entry goes when ACKed); one
 * that does not gets them taken (LRANGE+DEL). Nothing is read once the user has left.
 */
import { offerQueued, queueReadMode, type RoutingCtx, type RoutingState } from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import type { RedisStore } from '../adapters/redis-store';
import type { EffectRunner } from '../effect-runner';

export interface OfflineQueueComponents {
  state: RoutingState;
  store: Pick<RedisStore, 'readQueue' | 'drainQueue'>;
  runner: Pick<EffectRunner, 'run' | 'idle' | 'writes'>;
  metrics: ServerMetrics;
  log: Logger;
  ctx(): RoutingCtx;
}

/** Send `userId` (just accepted on `connId`) its offline queue. Never rejects: a failure is logged. */
export async function deliverQueued(c: OfflineQueueComponents, userId: string, connId: string): Promise<void> {
  try {
    // Whatever was queued for it up to its hello is in Redis before the queue is read.
    await c.runner.idle();
    await c.runner.writes.flush();
    const mode = queueReadMode(c.state, userId, connId);
    if (mode === undefined) return;
    const raws = mode === 'ack' ? await c.store.readQueue(userId) : await c.store.drainQueue(userId);
    if (raws.length === 0) return;
    const r = offerQueued(c.state, userId, connId, raws, c.ctx());
    c.metrics.queuedDelivered.inc({ mode }, r.sent);
    await c.runner.run(r.effects);
  } catch (e) {
    c.log.warn({ userId, err: (e as Error).message }, 'could not deliver the offline queue');
  }
}

/**
 * Link liveness (§13): decide, from the last inbound frame time, whether a link is alive,
 * needs a HEARTBEAT, or is dead. Pure; the transport calls it on a timer.
 */
import { HEARTBEAT_INTERVAL_MS, PEER_DEAD_AFTER_MS } from '../constants';

export interface LivenessTimings { heartbeatIntervalMs: number; deadAfterMs: number }
export const DEFAULT_LIVENESS: LivenessTimings = { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, deadAfterMs: PEER_DEAD_AFTER_MS };

export function linkIsDead(lastInboundAt: number, now: number, t: LivenessTimings = DEFAULT_LIVENESS): boolean {
  return now - lastInboundAt >= t.deadAfterMs;
}

/**
 * Link liveness (§13): the one dead-link rule, and when a HEARTBEAT is due. Pure; every watch
 * over a link uses them — @socp/node keep-alive.ts (the server's introducer sessions, the
 * introducer's joined servers, the CLI's server socket) and the servers' tickers over many
 * sockets (transport/link-manager.ts, transport/silent-sockets.ts).
 *
 * "Heard" is any sign of life on the link: a frame, a WebSocket ping or pong (a peer that never
 * sends HEARTBEAT still answers pings).
 */
import { HEARTBEAT_INTERVAL_MS, PEER_DEAD_AFTER_MS } from '../constants';

export interface LivenessTimings { heartbeatIntervalMs: number; deadAfterMs: number }
export const DEFAULT_LIVENESS: LivenessTimings = { heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, deadAfterMs: PEER_DEAD_AFTER_MS };

/** Dead: nothing heard for `deadAfterMs` or more. */
export function linkIsDead(lastHeardAt: number, now: number, t: LivenessTimings = DEFAULT_LIVENESS): boolean {
  return now - lastHeardAt >= t.deadAfterMs;
}

/** A HEARTBEAT (and a ping) is due: none sent for `heartbeatIntervalMs` or more. */
export function heartbeatDue(lastSentAt: number, now: number, t: LivenessTimings = DEFAULT_LIVENESS): boolean {
  return now - lastSentAt >= t.heartbeatIntervalMs;
}

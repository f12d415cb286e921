/**
 * Watching one link (S8): every `everyMs`, the link is dead by the one rule of @socp/protocol
 * (liveness/heartbeat.ts `linkIsDead`: nothing heard for `deadAfterMs`) — then `dead()` is
 * called once and the watch ends — or else it is kept alive by `beat()` (a WebSocket ping, a
 * HEARTBEAT: the caller's choice). The port holds everything socket-shaped, so the watch runs
 * the same for the server's introducer sessions, the introducer's joined servers and the CLI's
 * server socket. Whoever closes the link calls `stop()`.
 */
import { linkIsDead } from '@socp/protocol';

export interface KeepAliveInit {
  /** ms between checks (and beats). */
  everyMs: number;
  /** ms of silence after which the link is dead. */
  deadAfterMs: number;
}

export interface KeepAlivePort {
  /** When the peer last showed life on the link (ms): a frame, a ping or a pong. */
  lastHeard(): number;
  /** Alive at this check: keep it so (ping, HEARTBEAT). */
  beat(now: number): void;
  /** Silent for `silentMs` ≥ deadAfterMs: close it. The watch has already ended. */
  dead(silentMs: number): void;
  /** While true no dead verdict is given (we are not reading, or the link is closing); beats go on. */
  paused?(): boolean;
}

export interface KeepAlive { stop(): void }

export function keepAlive(init: KeepAliveInit, port: KeepAlivePort): KeepAlive {
  const timings = { heartbeatIntervalMs: init.everyMs, deadAfterMs: init.deadAfterMs };
  const timer = setInterval(() => {
    const now = Date.now();
    const heard = port.lastHeard();
    if (!port.paused?.() && linkIsDead(heard, now, timings)) {
      clearInterval(timer);
      port.dead(now - heard);
    } else port.beat(now);
  }, init.everyMs);
  return { stop: () => clearInterval(timer) };
}

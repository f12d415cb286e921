/**
 * Backpressure on reading (S8). While the effect runner has MAX_PENDING_SIGNATURES signatures
 * queued, every connection that delivers a frame stops being read — users, not-yet-identified
 * connections and server links alike (a peer may send 5,000 frames/s) — until half of them are
 * done; TCP then holds the senders back. Silence while we are not reading is our doing, not the
 * peer's: the link manager is told, so it does not declare a paused link dead.
 */
import type { ServerMetrics } from '../metrics';
import type { Connection } from './connection';

/** The liveness side of pausing (LinkManager). */
export interface PausedReads {
  readsPaused(now: number): void;
  readsResumed(now: number): void;
}

export class ReadGate {
  private readonly paused = new Set<Connection>();
  private pausing = false;

  constructor(private readonly liveness: PausedReads, private readonly metrics: ServerMetrics) {}

  /** After a frame from `c`: while `backlogged`, stop reading it. */
  after(c: Connection, backlogged: boolean): void {
    if (!backlogged || c.closed || this.paused.has(c)) return;
    if (!this.pausing) {
      this.pausing = true;
      this.liveness.readsPaused(Date.now());
    }
    this.paused.add(c);
    this.metrics.readPauses.inc({ role: c.role });
    c.pauseReading(Date.now());
  }

  /** The backlog cleared: read everything again. */
  resumeAll(): void {
    const now = Date.now();
    for (const c of this.paused) if (!c.closed) c.resumeReading(now);
    this.paused.clear();
    if (!this.pausing) return;
    this.pausing = false;
    this.liveness.readsResumed(Date.now());
  }

  /** `c` closed. */
  forget(c: Connection): void {
    this.paused.delete(c);
  }
}

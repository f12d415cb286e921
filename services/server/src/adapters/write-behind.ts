/**
 * Redis writes of many effect batches in one pipeline: a DM writes its dedupe key at each server
 * (and presence, bindings…), so one pipeline per batch was one Redis round trip per DM. Writes
 * gather for WRITE_BEHIND_MS (or until WRITE_BEHIND_MAX_OPS) and go out together, in order.
 * Nothing on the delivery path waits for them; `flush()` is for readers that need them applied
 * (the offline queue is drained after it) and for shutdown.
 */
import type { PersistOp } from '@socp/protocol';
import type { RedisStore } from './redis-store';

/** How long writes gather before they are sent (they are never read on the message path). */
export const WRITE_BEHIND_MS = 10;
/** Writes gathered before they are sent at once, whatever the time. */
export const WRITE_BEHIND_MAX_OPS = 1_000;

type Presence = { userId: string; location: string | undefined };

export class WriteBehind {
  private ops: PersistOp[] = [];
  private presence: Presence[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: Promise<void> = Promise.resolve();

  /** `done` hears the outcome of every pipeline (undefined: applied). */
  constructor(private readonly store: RedisStore, private readonly seenCapacity: number, private readonly done: (err: Error | undefined) => void) {}

  add(ops: readonly PersistOp[], presence: readonly Presence[]): void {
    this.ops.push(...ops);
    this.presence.push(...presence);
    if (this.ops.length + this.presence.length >= WRITE_BEHIND_MAX_OPS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), WRITE_BEHIND_MS);
  }

  /** Send what has gathered; resolves when it (and everything before it) has been applied or failed. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ops.length === 0 && this.presence.length === 0) return this.last;
    const [ops, presence] = [this.ops, this.presence];
    this.ops = [];
    this.presence = [];
    this.last = this.store.apply(ops, presence, this.seenCapacity).then(
      () => this.done(undefined),
      (e: unknown) => this.done(e instanceof Error ? e : new Error(String(e))),
    );
    return this.last;
  }
}

/**
 * Acknowledging queued DMs to our server (docs/accounts.md "Delivery at log-in"): our hello says
 * `queue_ack: true`; the server then keeps each queued DM until we ACK its `queue_ref`, so a DM
 * handed over just before the connection died comes again at the next log-in instead of being
 * lost. Refs gather for QUEUE_ACK_BATCH_MS and go out as one signed ACK in the hop-ACK form
 * (`msg_ref` = the first, `msg_refs` = all, at most MAX_ACK_REFS), so a burst of queued DMs
 * costs one signature, not one each. Which refs to acknowledge the user core decides (its
 * `ackQueued` effects, @socp/protocol user/incoming.ts); the ACK itself is its queueAckDraft.
 */
import { MAX_ACK_REFS } from '@socp/protocol';

/** How long handled refs gather before they are acknowledged. */
export const QUEUE_ACK_BATCH_MS = 20;
/** Refs waiting to be acknowledged; past it they are not (the server sends them again next time). */
export const MAX_PENDING_QUEUE_ACKS = 1_000;

export class QueueAcks {
  private refs: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: Promise<void> = Promise.resolve();

  /** `send` delivers one ACK's refs; `failed` hears why one could not be sent. */
  constructor(private readonly send: (refs: string[]) => Promise<void>, private readonly failed: (e: unknown) => void) {}

  add(refs: readonly string[]): void {
    for (const r of refs) if (this.refs.length < MAX_PENDING_QUEUE_ACKS) this.refs.push(r);
    if (this.refs.length >= MAX_ACK_REFS) void this.flush();
    else if (this.refs.length > 0) this.timer ??= setTimeout(() => void this.flush(), QUEUE_ACK_BATCH_MS);
  }

  /** Send what has gathered; resolves when it (and every earlier batch) was sent or failed. */
  flush(): Promise<void> {
    this.stop();
    while (this.refs.length > 0) {
      const batch = this.refs.splice(0, MAX_ACK_REFS);
      this.last = this.last.then(() => this.send(batch)).catch(this.failed);
    }
    return this.last;
  }

  /**
   * The connection is gone: its refs mean nothing to the next one (the server hands those DMs
   * over again, with new refs), so they are dropped, not sent on the new connection.
   */
  reset(): void {
    this.stop();
    this.refs = [];
  }

  /** Forget the timer (the connection is gone: what is not acknowledged comes again next time). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

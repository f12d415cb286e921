/**
 * Batches the routing core's `hopAck` effects (routing/delivery-acks.ts): every SERVER_DELIVER
 * this server accepts is acknowledged, but one signed ACK per connection covers all the keys
 * gathered during ACK_BATCH_MS (at most MAX_ACK_REFS each), so acknowledging costs one RSA
 * signature per batch instead of one per DM.
 */
import { MAX_ACK_REFS, hopAckFrame, type Effect } from '@socp/protocol';

/** How long acknowledgements gather before one ACK goes out (latency of a confirmation, not of a DM). Each ACK costs
 * one RSA signature: at 20 ms a link carrying DMs paid up to 50 extra signatures/s. */
export const ACK_BATCH_MS = 100;

type HopAck = Extract<Effect, { kind: 'hopAck' }>;

export class HopAckBatcher {
  private readonly pending = new Map<string, { from: string; to: string; refs: string[] }>();
  private timer: NodeJS.Timeout | undefined;

  /** `send` gets the ACK effects to carry out (the runner queues them like any batch). */
  constructor(private readonly send: (effects: Effect[]) => void) {}

  add(e: HopAck): void {
    const p = this.pending.get(e.connId);
    if (p === undefined) this.pending.set(e.connId, { from: e.from, to: e.to, refs: [e.msgRef] });
    else p.refs.push(e.msgRef);
    this.timer ??= setTimeout(() => this.flush(), ACK_BATCH_MS).unref();
  }

  flush(): void {
    this.timer = undefined;
    const effects: Effect[] = [];
    const now = Date.now();
    for (const [connId, p] of this.pending) {
      for (let i = 0; i < p.refs.length; i += MAX_ACK_REFS) {
        effects.push({ kind: 'sendToConnection', connId, out: { seal: hopAckFrame(p.from, p.to, p.refs.slice(i, i + MAX_ACK_REFS), now) } });
      }
    }
    this.pending.clear();
    if (effects.length > 0) this.send(effects);
  }
}

/**
 * The sending side of delivery batches (routing/deliver-batch.ts, docs/contracts.md "Delivery
 * batches"). Every SERVER_DELIVER we originate costs a signature, and under load those
 * signatures queue: while MAX_LINK_SIGNINGS of them are being made for a link, the next
 * SERVER_DELIVERs for that link wait together and are then signed once, as one
 * SERVER_DELIVER_BATCH (to a peer that takes it). At light load nothing waits and every frame
 * goes out alone, as before; a batch of one is sent as a plain SERVER_DELIVER.
 *
 * Order on a link is kept: a SERVER_DELIVER joins the waiting batch only if nothing else was
 * queued for that link since the batch's last item (a USER_ADVERTISE of its sender, say, must
 * still arrive first). The batch goes out in the place of its first item.
 */
import { MAX_DELIVER_BATCH, MAX_DELIVER_BATCH_BYTES, deliverBatchFrame, type Effect, type UnsignedFrame } from '@socp/protocol';

/** Signatures in flight per link before its SERVER_DELIVERs wait to be batched: one per core. */
export const MAX_LINK_SIGNINGS = 2;

export interface DeliverBatcherComponents<P> {
  /** Whether `serverId` takes SERVER_DELIVER_BATCH (its hello said so). */
  batches(serverId: string): boolean;
  /** Sign and serialise a frame. */
  seal(f: UnsignedFrame): Promise<P>;
  /** How many items the signed frame carried (metrics). */
  sent(items: number): void;
}

interface Waiting<P> {
  frames: Array<UnsignedFrame<'SERVER_DELIVER'>>;
  bytes: number;
  /** Position of the last item (see `pos`). */
  last: number;
  done: (p: Promise<P>) => void;
}

/** A sendToServer of a SERVER_DELIVER we originate: a candidate. */
function deliverOf(e: Effect): UnsignedFrame<'SERVER_DELIVER'> | undefined {
  return e.kind === 'sendToServer' && 'seal' in e.out && e.out.seal.type === 'SERVER_DELIVER' ? (e.out.seal as UnsignedFrame<'SERVER_DELIVER'>) : undefined;
}

export class DeliverBatcher<P> {
  /** Every effect that passes gets the next position: "queued after" is a larger one. */
  private pos = 0;
  /** Per link: the position of the last effect other than a batched SERVER_DELIVER queued for it. */
  private readonly touched = new Map<string, number>();
  /** Position of the last broadcast to every server. */
  private broadcast = 0;
  /** Per link: batches waiting for a signing slot, oldest first (only the newest may still grow). */
  private readonly waiting = new Map<string, Array<Waiting<P>>>();
  private readonly signing = new Map<string, number>();

  constructor(private readonly c: DeliverBatcherComponents<P>) {}

  /**
   * The effects of one batch with our SERVER_DELIVERs to batching peers taken in: each either
   * joins a waiting batch (and is dropped from the list) or starts one, whose frame (signed when
   * its link has a free slot) is `deferred.get(effect)`.
   */
  take(effects: readonly Effect[]): { effects: readonly Effect[]; deferred: Map<Effect, Promise<P>> } {
    const deferred = new Map<Effect, Promise<P>>();
    let kept: Effect[] | undefined;
    effects.forEach((e, i) => {
      const pos = ++this.pos;
      const f = deliverOf(e);
      if (f === undefined || e.kind !== 'sendToServer' || !this.c.batches(e.serverId)) {
        this.touch(e, pos);
        kept?.push(e);
        return;
      }
      const sid = e.serverId;
      const q = this.waiting.get(sid) ?? [];
      this.waiting.set(sid, q);
      const open = q[q.length - 1];
      const bytes = JSON.stringify(f.payload).length;
      if (open !== undefined && open.last > Math.max(this.touched.get(sid) ?? 0, this.broadcast) && open.frames.length < MAX_DELIVER_BATCH && open.bytes + bytes <= MAX_DELIVER_BATCH_BYTES) {
        open.frames.push(f);
        open.bytes += bytes;
        open.last = pos;
        kept ??= effects.slice(0, i);
        return;
      }
      let done!: (p: Promise<P>) => void;
      deferred.set(e, new Promise<P>((resolve) => (done = (p) => resolve(p))));
      q.push({ frames: [f], bytes, last: pos, done });
      kept?.push(e);
    });
    for (const sid of this.waiting.keys()) this.pump(sid);
    return { effects: kept ?? effects, deferred };
  }

  private touch(e: Effect, pos: number): void {
    if (e.kind === 'sendToServer') this.touched.set(e.serverId, pos);
    else if (e.kind === 'broadcastServers') this.broadcast = pos;
  }

  /** Sign the oldest waiting batches of `sid` while it has free slots. */
  private pump(sid: string): void {
    const q = this.waiting.get(sid);
    while (q !== undefined && q.length > 0 && (this.signing.get(sid) ?? 0) < MAX_LINK_SIGNINGS) {
      const b = q.shift()!;
      this.signing.set(sid, (this.signing.get(sid) ?? 0) + 1);
      const frame = b.frames.length === 1 ? b.frames[0]! : deliverBatchFrame(b.frames[0]!.from, sid, b.frames, Date.now());
      const sealed = this.c.seal(frame);
      this.c.sent(b.frames.length);
      b.done(sealed);
      sealed.catch(() => undefined).finally(() => {
        this.signing.set(sid, (this.signing.get(sid) ?? 1) - 1);
        this.pump(sid);
      });
    }
    if (q !== undefined && q.length === 0 && (this.signing.get(sid) ?? 0) === 0) {
      this.waiting.delete(sid);
      this.signing.delete(sid);
    }
  }
}

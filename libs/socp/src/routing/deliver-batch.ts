/**
 * Delivery batches (our extension, docs/contracts.md "Delivery batches"): while a server is
 * still signing for a link, the SERVER_DELIVERs that queue up for it go out together as one
 * SERVER_DELIVER_BATCH under one signature, to peers that said they take it (capability
 * CAP_DELIVER_BATCH in their hello or ticket). The receiver checks the batch once (transport
 * signature, envelope binding, addressed to it) and then each item exactly as the
 * SERVER_DELIVER it stands for: the same dedupe key, the same final-hop checks, the same hop
 * ACK, its own freshness. An item has no signature of its own, so it is never relayed to a
 * third server (refused USER_NOT_FOUND by its msg_ref: the sender reports it to its user).
 *
 * The sender's side (when to batch) is the shell's (services/server/src/transport/deliver-batcher.ts).
 */
import { SocpError, type Result } from '../errors';
import type { FrameOf } from '../messages';
import { bindMatches } from '../wire/bind';
import type { UnsignedFrame, Verified } from '../wire/envelope';
import { fail } from './effects';
import type { RoutingCtx, RoutingState } from './state';

/** The capability a server announces (hello `caps`, ticket `caps`) when it takes SERVER_DELIVER_BATCH. */
export const CAP_DELIVER_BATCH = 'deliver-batch';

/** The batch carrying `frames` (SERVER_DELIVERs from `from` to `to`, unbound: the batch is bound when sealed). */
export function deliverBatchFrame(from: string, to: string, frames: ReadonlyArray<UnsignedFrame<'SERVER_DELIVER'>>, now: number): UnsignedFrame<'SERVER_DELIVER_BATCH'> {
  return { type: 'SERVER_DELIVER_BATCH', from, to, ts: now, payload: { deliveries: frames.map((f) => ({ ts: f.ts, payload: f.payload })) } };
}

/** One item of a batch: the SERVER_DELIVER it stands for, or why it is refused (with that frame, for its msg_ref). */
export type BatchItem = { ok: true; frame: Verified<FrameOf<'SERVER_DELIVER'>> } | { ok: false; frame: FrameOf<'SERVER_DELIVER'>; error: SocpError };

/**
 * The items of a verified batch, each as a SERVER_DELIVER verified by the batch's signature
 * (which covers every item). The batch itself must be bound to its envelope and addressed to
 * us; an item must be as fresh as a bound frame (±seen TTL), else that item alone is refused.
 */
export function unpackDeliverBatch(state: RoutingState, f: Verified<FrameOf<'SERVER_DELIVER_BATCH'>>, ctx: RoutingCtx): Result<BatchItem[]> {
  if (bindMatches(f) !== true) return { ok: false, error: fail('SOCP_ERR_REPLAY', 'SERVER_DELIVER_BATCH must carry its envelope binding') };
  if (f.to !== ctx.selfId) return { ok: false, error: fail('SOCP_ERR_NOT_ALLOWED', `SERVER_DELIVER_BATCH addressed to ${f.to.slice(0, 64)}, not to this server`) };
  return {
    ok: true,
    value: f.payload.deliveries.map((d): BatchItem => {
      const frame = { type: 'SERVER_DELIVER', from: f.from, to: f.to, ts: d.ts, payload: d.payload, sig: '' } as FrameOf<'SERVER_DELIVER'>;
      if (Math.abs(ctx.now - d.ts) > state.seen.ttlMs) return { ok: false, frame, error: fail('SOCP_ERR_REPLAY', `batched SERVER_DELIVER ts ${d.ts} is outside the ±${state.seen.ttlMs} ms window`) };
      return { ok: true, frame: frame as Verified<FrameOf<'SERVER_DELIVER'>> };
    }),
  };
}

/** A SERVER_DELIVER that came as an item of a batch (no signature of its own: never relayed). */
export function isBatchItem(f: FrameOf<'SERVER_DELIVER'>): boolean {
  return f.sig === '';
}

/**
 * The hop-ACK form (docs/contracts.md "Delivery acks"): servers acknowledge SERVER_DELIVERs with
 * it (routing/delivery-acks.ts) and users acknowledge queued DMs with it (routing/queue-acks.ts,
 * user/outbound.ts): `msg_ref` = the first key, extension `msg_refs` = every key the ACK covers.
 */
import type { AckPayload } from '../messages/control';
import type { UnsignedFrame } from './envelope';

/** Keys one ACK may list (an ACK of 256 keys is ~40 KiB). */
export const MAX_ACK_REFS = 256;

/** Receiver: the one ACK frame for a batch of keys (1..MAX_ACK_REFS) bound for one peer. */
export function hopAckFrame(from: string, to: string, refs: readonly string[], now: number): UnsignedFrame<'ACK'> {
  return { type: 'ACK', from, to, ts: now, payload: { msg_ref: refs[0]!, msg_refs: [...refs] } };
}

/** The keys an ACK from a server covers (`msg_ref` plus our batch extension), bounded. */
export function ackedRefs(p: AckPayload): string[] {
  const extra = Array.isArray(p['msg_refs']) ? (p['msg_refs'] as unknown[]).slice(0, MAX_ACK_REFS) : [];
  return [p.msg_ref, ...extra.filter((r): r is string => typeof r === 'string' && r.length <= 512)];
}


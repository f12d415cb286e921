/**
 * Hop-by-hop delivery confirmation between servers (docs/contracts.md "Delivery acks"), so a DM
 * is never lost silently when a link dies with frames still in flight (a partition: the socket
 * accepts writes until the dead-link timer fires).
 *
 *  receiver  every SERVER_DELIVER it accepts (delivered, forwarded, queued, or a duplicate it
 *            had already accepted) is acknowledged on the connection it came on with the spec's
 *            ACK: `msg_ref` = the dedupe key of that SERVER_DELIVER (§12 format). The shell
 *            batches them (one signature per batch): extension `msg_refs` lists every key the
 *            ACK covers, `msg_ref` repeats the first. A refused one gets its ERROR with `msg_ref`.
 *  sender    a DM of one of OUR users handed to a peer is "in flight" until that peer ACKs it.
 *            ERROR with its msg_ref → the user gets that ERROR; the link goes down → the user
 *            gets ERROR TIMEOUT "not confirmed". Each report names the user's own frame:
 *            `msg_ref` = dedupe key of the user's MSG_DIRECT, `to`, `ts`.
 *
 * A report for a sender who is no longer connected but has an account here is queued like a DM
 * (payload `queued: true`, docs/accounts.md "Queueing"): it arrives at the next log-in, so a
 * failure is never silent because the sender left. Others' reports are dropped with the link.
 *
 * ACK is optional in the spec and G43 never sends it: entries for a peer that has never ACKed
 * expire silently after INFLIGHT_TTL_MS; for a peer that does ACK, expiry is reported as
 * TIMEOUT too. A reported DM may still have arrived (only its confirmation was lost): the
 * end-to-end receipt, if any, settles it. Nothing is re-sent, so nothing is shown twice.
 */
import type { UnsignedFrame, Verified } from '../wire/envelope';
import { ackedRefs } from '../wire/acks';
import type { AckPayload } from '../messages/control';
import type { FrameOf } from '../messages';
import { seal, type Effect } from './effects';
import type { InflightDm, RoutingCtx, RoutingState } from './state';

/** How long a forwarded DM may wait for its peer's ACK (a live peer answers in milliseconds). */
export const INFLIGHT_TTL_MS = 30_000;
/** Unconfirmed DMs remembered per peer; the oldest give way (reported) past this. */
export const MAX_INFLIGHT_PER_PEER = 10_000;

/** Receiver: acknowledge an accepted SERVER_DELIVER whose dedupe key is `key` (the shell batches these per connection). */
export function hopAck(f: Verified<FrameOf<'SERVER_DELIVER'>>, key: string, connId: string, ctx: RoutingCtx): Effect {
  return { kind: 'hopAck', connId, from: ctx.selfId, to: f.from, msgRef: key };
}

/** Sender: remember a DM of a local user just handed to `serverId` as `hop` (the SERVER_DELIVER). */
export function trackInflight(state: RoutingState, serverId: string, hopRef: string, dm: Omit<InflightDm, 'sentAt'>, ctx: RoutingCtx, effects: Effect[]): void {
  expireInflight(state, serverId, ctx, effects);
  let peer = state.inflight.get(serverId);
  if (peer === undefined) state.inflight.set(serverId, (peer = new Map()));
  while (peer.size >= MAX_INFLIGHT_PER_PEER) {
    const [oldest, entry] = peer.entries().next().value as [string, InflightDm];
    peer.delete(oldest);
    if (state.ackingPeers.has(serverId)) effects.push(notConfirmed(state, entry, 'too many unconfirmed messages to its server', ctx));
  }
  peer.set(hopRef, { ...dm, sentAt: ctx.now });
}

/** Sender: an ACK from `serverId` settles the DMs it names. */
export function onHopAck(state: RoutingState, serverId: string, p: AckPayload, ctx: RoutingCtx): Effect[] {
  const effects: Effect[] = [];
  state.ackingPeers.add(serverId);
  const peer = state.inflight.get(serverId);
  if (peer !== undefined) for (const ref of ackedRefs(p)) peer.delete(ref);
  expireInflight(state, serverId, ctx, effects);
  return effects;
}

/** Sender: an ERROR from `serverId` naming one of our in-flight DMs → passed on to its sender. */
export function onHopError(state: RoutingState, serverId: string, msgRef: string, code: string, detail: string, ctx: RoutingCtx): Effect[] {
  const peer = state.inflight.get(serverId);
  const entry = peer?.get(msgRef);
  if (peer === undefined || entry === undefined) return [];
  peer.delete(msgRef);
  return [report(state, entry, code, `delivery to ${entry.to} failed at its server: ${detail.slice(0, 256)}`, ctx)];
}

/** Sender: the link to `serverId` is gone; everything still in flight on it is reported. */
export function failInflight(state: RoutingState, serverId: string, ctx: RoutingCtx): Effect[] {
  const peer = state.inflight.get(serverId);
  state.inflight.delete(serverId);
  return [...(peer?.values() ?? [])].map((e) => notConfirmed(state, e, 'the link to its server was lost', ctx));
}

/** Drop entries older than INFLIGHT_TTL_MS (insertion order = send order); report them for acking peers. */
export function expireInflight(state: RoutingState, serverId: string, ctx: RoutingCtx, effects: Effect[]): void {
  const peer = state.inflight.get(serverId);
  if (peer === undefined) return;
  for (const [ref, e] of peer) {
    if (ctx.now - e.sentAt < INFLIGHT_TTL_MS) break;
    peer.delete(ref);
    if (state.ackingPeers.has(serverId)) effects.push(notConfirmed(state, e, 'its server did not confirm it in time', ctx));
  }
  if (peer.size === 0) state.inflight.delete(serverId);
}

const notConfirmed = (state: RoutingState, e: InflightDm, why: string, ctx: RoutingCtx): Effect => report(state, e, 'TIMEOUT', `delivery to ${e.to} not confirmed: ${why}`, ctx);

/** The ERROR naming the sender's DM: to its connection, or into its offline queue (an account user who left). */
function report(state: RoutingState, e: InflightDm, code: string, detail: string, ctx: RoutingCtx): Effect {
  const frame: UnsignedFrame<'ERROR'> = { type: 'ERROR', from: ctx.selfId, to: e.sender, ts: ctx.now, payload: { code, detail, msg_ref: e.userRef, to: e.to, ts: e.ts } };
  if (!state.localUsers.has(e.sender) && state.accounts.has(e.sender)) {
    return { kind: 'persist', op: { op: 'enqueue', userId: e.sender, frame: { ...frame, payload: { ...frame.payload, queued: true } } } };
  }
  return { kind: 'sendToUser', userId: e.sender, out: seal(frame) };
}

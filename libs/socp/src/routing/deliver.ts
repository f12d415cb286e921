/**
 * §12 route_to_user, shared by user frames (MSG_DIRECT, MSG_PUBLIC_CHANNEL per recipient,
 * FILE_*) and SERVER_DELIVER arriving from a link.
 *
 *  1. recipient local            → final-hop frame to the user, signed by us
 *  2. user_locations → server S  → SERVER_DELIVER to S (envelope ts = original ts, payload
 *                                  user_id + inner payload + inner_type + orig_ts)
 *  3. otherwise                  → ERROR USER_NOT_FOUND to the originating endpoint
 *
 * Final-hop forms ([profile] + docs/contracts.md):
 *  - MSG_DIRECT          → USER_DELIVER {ciphertext, sender, sender_pub, content_sig, orig_ts (+public)}
 *  - MSG_PUBLIC_CHANNEL  → USER_DELIVER as above plus group_id "public" and inner_type
 *  - FILE_*              → the FILE_* frame itself, envelope from = sending user, payload + sender
 */
import type { InnerType, ServerDeliverPayload } from '../messages';
import { dedupeKey, type UnsignedFrame } from '../wire/envelope';
import { trackInflight } from './delivery-acks';
import { seal, type Effect } from './effects';
import type { RoutingCtx, RoutingState } from './state';

/** One deliverable item, already stripped of routing fields. */
export interface Deliverable {
  innerType: InnerType;
  sender: string;
  recipient: string;
  /** The original (content_sig) timestamp. */
  ts: number;
  /** The inner payload as the user sent it (without user_id / inner_type). */
  payload: Record<string, unknown>;
  /** Dedupe key of the user's own frame, when a local user sent it: a DM is then tracked until the next hop ACKs it. */
  userRef?: string;
}

/** The frame handed to a local recipient. */
export function finalHopFrame(d: Deliverable, ctx: RoutingCtx): UnsignedFrame {
  if (d.innerType === 'MSG_DIRECT' || d.innerType === 'MSG_PUBLIC_CHANNEL') {
    const payload: Record<string, unknown> = { ...d.payload, sender: d.sender, orig_ts: d.ts };
    if (d.innerType === 'MSG_PUBLIC_CHANNEL') {
      payload['group_id'] = 'public';
      payload['inner_type'] = 'MSG_PUBLIC_CHANNEL';
    }
    return { type: 'USER_DELIVER', from: ctx.selfId, to: d.recipient, ts: d.ts, payload: payload as never };
  }
  return { type: d.innerType, from: d.sender, to: d.recipient, ts: d.ts, payload: { ...d.payload, sender: d.sender } as never };
}

export function serverDeliverFrame(d: Deliverable, serverId: string, ctx: RoutingCtx): UnsignedFrame<'SERVER_DELIVER'> {
  const payload = { ...d.payload, user_id: d.recipient, inner_type: d.innerType, sender: d.sender, orig_ts: d.ts } as unknown as ServerDeliverPayload;
  return { type: 'SERVER_DELIVER', from: ctx.selfId, to: serverId, ts: d.ts, payload };
}

export type RouteOutcome = 'local' | 'remote' | 'queued' | 'not_found';

/** §12 steps 1–2; returns 'not_found' (step 3 is the caller's: it knows the origin). */
export function routeToUser(state: RoutingState, d: Deliverable, ctx: RoutingCtx, effects: Effect[]): RouteOutcome {
  if (state.localUsers.has(d.recipient)) {
    effects.push({ kind: 'sendToUser', userId: d.recipient, out: seal(finalHopFrame(d, ctx)) });
    return 'local';
  }
  const loc = state.userLocations.get(d.recipient);
  if (loc !== undefined && loc !== 'local' && loc !== ctx.selfId && state.servers.has(loc)) {
    forward(state, d, loc, ctx, effects);
    return 'remote';
  }
  return 'not_found';
}

/**
 * Offline delivery (docs/accounts.md), after §12 steps 1–2 failed, DMs only: an account user of
 * ours is queued here (final-hop frame, payload `queued: true`); an account user whose home is
 * another linked server gets the SERVER_DELIVER there, where it is queued.
 */
export function routeOffline(state: RoutingState, d: Deliverable, ctx: RoutingCtx, effects: Effect[]): RouteOutcome {
  if (d.innerType !== 'MSG_DIRECT') return 'not_found';
  if (state.accounts.has(d.recipient)) {
    const f = finalHopFrame(d, ctx);
    effects.push({ kind: 'persist', op: { op: 'enqueue', userId: d.recipient, frame: { ...f, payload: { ...(f.payload as object), queued: true } as never } } });
    return 'queued';
  }
  const home = state.homes.get(d.recipient);
  if (home !== undefined && home !== ctx.selfId && state.servers.has(home)) {
    forward(state, d, home, ctx, effects);
    return 'queued';
  }
  return 'not_found';
}

/** §12 step 2: SERVER_DELIVER to the hosting server; a local user's DM waits for that hop's ACK. */
function forward(state: RoutingState, d: Deliverable, serverId: string, ctx: RoutingCtx, effects: Effect[]): void {
  const frame = serverDeliverFrame(d, serverId, ctx);
  effects.push({ kind: 'sendToServer', serverId, out: seal(frame) });
  if (d.userRef !== undefined && d.innerType === 'MSG_DIRECT') trackInflight(state, serverId, dedupeKey(frame), { sender: d.sender, to: d.recipient, ts: d.ts, userRef: d.userRef }, ctx, effects);
}

/** Strip the SERVER_DELIVER routing fields (and its envelope binding), leaving the inner payload as the user sent it. */
export function innerPayloadOf(p: ServerDeliverPayload): Record<string, unknown> {
  const { user_id: _u, inner_type: _t, sender: _s, orig_ts: _o, bind: _b, ...rest } = p as ServerDeliverPayload & { sender?: string; orig_ts?: number; bind?: unknown };
  return rest;
}

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
import type { UnsignedFrame } from '../wire/envelope';
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
    effects.push({ kind: 'sendToServer', serverId: loc, out: seal(serverDeliverFrame(d, loc, ctx)) });
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
    effects.push({ kind: 'sendToServer', serverId: home, out: seal(serverDeliverFrame(d, home, ctx)) });
    return 'queued';
  }
  return 'not_found';
}

/** Strip the SERVER_DELIVER routing fields, leaving the inner payload as the user sent it. */
export function innerPayloadOf(p: ServerDeliverPayload): Record<string, unknown> {
  const { user_id: _u, inner_type: _t, sender: _s, orig_ts: _o, ...rest } = p as ServerDeliverPayload & { sender?: string; orig_ts?: number };
  return rest;
}

/**
 * Presence (§9.2 [profile]): the USER_ADVERTISE / USER_REMOVE frames this server originates,
 * the snapshot a newly connected user receives, and the state changes shared by local
 * connects/disconnects, gossip and dead links.
 */
import type { UnsignedFrame } from '../wire/envelope';
import type { UserAdvertisePayload } from '../messages';
import { seal, type Effect } from './effects';
import type { DirectoryEntry, RoutingCtx, RoutingState } from './state';

/** Our advertisement form: the user's key as it sent it, at top level and in meta; meta.display_name + meta.username; the hello `proof` of a user we host. */
export function advertiseFrame(e: DirectoryEntry, from: string, to: string): UnsignedFrame<'USER_ADVERTISE'> {
  const name = typeof e.meta['display_name'] === 'string' ? e.meta['display_name'] : typeof e.meta['username'] === 'string' ? e.meta['username'] : undefined;
  const pubkey = e.sentPubkey ?? e.pubkey;
  const meta: Record<string, unknown> = { ...e.meta, pubkey };
  if (name !== undefined) {
    meta['display_name'] ??= name;
    meta['username'] ??= name;
  }
  const payload: UserAdvertisePayload = { user_id: e.userId, server_id: e.serverId, meta, pubkey };
  // Extension: the user's own bound hello, so other servers can check it holds this key (routing/hello-proof.ts).
  if (e.proof !== undefined && e.serverId === from) payload.proof = { ...e.proof };
  return { type: 'USER_ADVERTISE', from, to, ts: e.ts, payload };
}

export function removeFrame(userId: string, serverId: string, from: string, ts: number): UnsignedFrame<'USER_REMOVE'> {
  return { type: 'USER_REMOVE', from, to: '*', ts, payload: { user_id: userId, server_id: serverId } };
}

/**
 * Everything online anywhere, as USER_ADVERTISE frames signed by us, to one user. Frames are
 * keyed only by the entry (to "*", original ts), so the runner's seal cache signs each once.
 */
export function presenceSnapshot(state: RoutingState, userId: string, ctx: RoutingCtx): Effect[] {
  const out: Effect[] = [];
  for (const e of state.directory.values()) {
    if (e.userId === userId) continue;
    out.push({ kind: 'sendToUser', userId, out: seal(advertiseFrame(e, ctx.selfId, '*')) });
  }
  return out;
}

/** Forget a remote user everywhere and tell local users (USER_REMOVE signed by us). */
export function dropRemoteUser(state: RoutingState, userId: string, serverId: string, ctx: RoutingCtx, effects: Effect[]): void {
  state.userLocations.delete(userId);
  state.directory.delete(userId);
  effects.push({ kind: 'presenceDelete', userId });
  effects.push({ kind: 'broadcastUsers', except: [], out: seal(removeFrame(userId, serverId, ctx.selfId, ctx.now)) });
}

/**
 * Our local users' advertisements for one server (§13 [profile] state sync). Fresh `ts` each
 * time: the peer may have dropped these users (dead link) while still remembering the old
 * frames in its seen_ids, or restarted with a persisted seen set.
 */
export function replayLocalUsers(state: RoutingState, serverId: string, ctx: RoutingCtx): Effect[] {
  const out: Effect[] = [];
  for (const uid of state.localUsers.keys()) {
    const e = state.directory.get(uid);
    if (e) out.push({ kind: 'sendToServer', serverId, out: seal(advertiseFrame({ ...e, ts: ctx.now }, ctx.selfId, '*')) });
  }
  return out;
}

/** Our outbound link to a server came up: it joins `servers` and gets our local users. */
export function handleLinkUp(state: RoutingState, serverId: string, ctx: RoutingCtx): Effect[] {
  state.servers.add(serverId);
  return replayLocalUsers(state, serverId, ctx);
}

/**
 * The session around the frames: our server's link comes up (again), goes down, and time passes.
 * The client calls these; each returns what to show.
 */
import { warn, labelById, refOf, type UserEvent } from './events';
import type { Transfer } from './incoming-files';
import type { UserState } from './state';

/**
 * Linked to the server `serverId`: the roster holds us too (the server's presence snapshot
 * leaves us out; /list and /whois show us).
 */
export function attachSelf(state: UserState, serverId: string): void {
  const { me } = state;
  state.roster.upsert({ user_id: me.userId, server_id: serverId, meta: { display_name: me.name }, pubkey: me.key.publicKey.b64url });
}

/** Linked again (maybe to another server): from now on, count who its presence snapshot re-advertises. */
export function beginResync(state: UserState, serverId: string): void {
  state.roster.beginResync();
  attachSelf(state, serverId);
}

/** The new link's snapshot is in: users it did not re-advertise go offline (a DM to them may still queue). */
export function endResync(state: UserState): UserEvent[] {
  return state.roster.endResync().map((e) => ({ event: 'presence', action: 'offline', user: refOf(e) }));
}

/** The link is gone: every open transfer is incomplete (the client deletes what it kept). */
export function linkLost(state: UserState): UserEvent[] {
  return state.files.closeAll().map((t) => ({ event: 'file-failed', transfer: t, reason: 'disconnected', detail: 'connection lost before FILE_END' }));
}

/** The client could not keep a transfer's bytes (its disk refused): the transfer ends here. */
export function dropTransfer(state: UserState, t: Transfer): void {
  state.files.end(t.sender, t.fileId);
}

/** Periodic: split messages that never completed, and idle transfers. */
export function sweepStale(state: UserState, now: number): UserEvent[] {
  const out: UserEvent[] = state.parts.sweep(now).map((s) => warn('TIMEOUT', `an incomplete long message from ${labelById(state.roster, s.split('|')[0]!)} was dropped`));
  for (const t of state.files.sweep(now)) out.push({ event: 'file-failed', transfer: t, reason: 'idle', detail: 'no data for too long' });
  return out;
}

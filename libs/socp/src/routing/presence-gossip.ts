/**
 * Presence from other servers (§9.2 [profile]): USER_ADVERTISE and USER_REMOVE on a link, and a
 * link going down. A server speaks only for its own users, and may not take a user that another
 * linked server hosts (docs/SECURITY.md "User identity"):
 *
 *  - the originator must be the advertised host (payload.server_id == from; G43's "local" = from);
 *  - a key must match the user's binding (BAD_KEY); only an advertisement whose hello `proof`
 *    checks (routing/hello-proof.ts) binds a new key for good, and one without is refused for a
 *    bound user;
 *  - a user hosted here, or by another linked server, is not taken — unless that session is
 *    unproven and this advertisement proven (the key holder wins; a local session is closed).
 *    Otherwise the claim waits (PendingClaim, bounded) and is applied when the host lets go
 *    (USER_REMOVE, or its link dies);
 *  - an offline home (meta.home) is set once and never moved by another server;
 *  - meta is bounded (MAX_ADVERTISE_META_CHARS) and only display_name / username / home and the
 *    user's capabilities (caps, bounded: MAX_USER_CAPS × MAX_USER_CAP_CHARS) are kept;
 *  - removal only if user_locations still points at that server.
 * Accepted frames are deduped, pushed to local users (signed by us) and relayed unchanged.
 */
import { SocpError } from '../errors';
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { checkHelloProof } from './hello-proof';
import { canonicalJson } from '../encoding/canonical-json';
import { dedupeKey, type Verified } from '../wire/envelope';
import { advertisedPubkey, userCaps, type Frame, type FrameOf } from '../messages';
import { failInflight } from './delivery-acks';
import { fail, refuse, seal, type Effect } from './effects';
import { MAX_ADVERTISE_META_CHARS, MAX_KNOWN_USERS, MAX_PENDING_CLAIMS, MAX_USER_BINDINGS } from './limits';
import { advertiseFrame, dropRemoteUser } from './presence';
import { evictLocal } from './user-session';
import type { DirectoryEntry, RoutingCtx, RoutingState } from './state';

/** Remember a relayed/gossiped frame; false when it was already seen (drop silently). */
export function firstSeen(state: RoutingState, f: Frame, ctx: RoutingCtx, effects: Effect[], key = dedupeKey(f)): boolean {
  if (!state.seen.firstSeen(key, ctx.now)) return false;
  effects.push({ kind: 'persist', op: { op: 'seen', key, expiresAt: ctx.now + state.seen.ttlMs } });
  return true;
}

function hostOf(f: FrameOf<'USER_ADVERTISE'> | FrameOf<'USER_REMOVE'>): string {
  const sid = f.payload.server_id === 'local' ? f.from : f.payload.server_id;
  if (sid !== f.from) throw fail('SOCP_ERR_NOT_ALLOWED', `server ${f.from} spoke for a user hosted by ${sid.slice(0, 64)}`);
  return sid;
}

export function relay(f: Verified<Frame>, linkServerId: string): Effect {
  return { kind: 'broadcastServers', except: [linkServerId, f.from], out: { relay: f } };
}

/**
 * The meta we keep and show: decorative names (≤ 64 chars), the offline home, and the user's
 * capabilities (well-formed tokens only, at most MAX_USER_CAPS: a peer cannot grow what we
 * store per user with them); nothing else is stored.
 */
function keptMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['display_name', 'username', 'home']) {
    const v = meta[k];
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) out[k] = v;
  }
  const caps = userCaps(meta);
  if (caps.length > 0) out['caps'] = caps;
  return out;
}

export function onAdvertise(state: RoutingState, f: Verified<FrameOf<'USER_ADVERTISE'>>, linkServerId: string, connId: string, ctx: RoutingCtx): Effect[] {
  const sid = hostOf(f);
  const uid = f.payload.user_id;
  if (canonicalJson(f.payload.meta).length > MAX_ADVERTISE_META_CHARS) throw fail('SOCP_ERR_SCHEMA', `USER_ADVERTISE meta is longer than ${MAX_ADVERTISE_META_CHARS} characters`);
  const encoded = advertisedPubkey(f.payload);
  if (encoded === undefined) throw fail('SOCP_ERR_SCHEMA', 'USER_ADVERTISE carries no pubkey');
  let key: RsaPublicKey;
  try {
    key = importPublicKeyCached(encoded);
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'bad key');
  }
  const pub = key.toBase64Url();
  const proven = f.payload.proof !== undefined && checkHelloProof(f.payload.proof, uid, sid, key);
  const bound = state.userKeys.get(uid);
  if (bound !== undefined && bound !== pub) throw fail('BAD_KEY', `user ${uid} is bound to another key`);
  if (bound !== undefined && !proven) throw fail('SOCP_ERR_NOT_ALLOWED', `user ${uid} is bound to a key, and server ${sid} shows no hello of that user proving it`);
  const current = state.directory.get(uid);
  const displaces = proven && current !== undefined && !current.proven;
  const loc = state.userLocations.get(uid);
  const hostedElsewhere = loc !== undefined && loc !== sid && (loc === 'local' || state.servers.has(loc));
  if (hostedElsewhere && !displaces) {
    if (state.pendingClaims.has(uid) || state.pendingClaims.size < MAX_PENDING_CLAIMS) state.pendingClaims.set(uid, { frame: f, linkServerId, at: ctx.now });
    const where = loc === 'local' ? 'here' : `at server ${loc}`;
    return refuse(connId, f, fail('NAME_IN_USE', `user ${uid} is online ${where}; the claim waits until that session ends`), ctx.selfId, ctx.now);
  }
  if (!state.directory.has(uid) && state.directory.size >= MAX_KNOWN_USERS) throw fail('SOCP_ERR_RATE_LIMITED', 'directory full');
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  state.pendingClaims.delete(uid);
  if (displaces && loc === 'local') evictLocal(state, uid, `this user id was claimed by the holder of its key at server ${sid}`, ctx, effects);
  const meta = keptMeta(f.payload.meta);
  const entry: DirectoryEntry = { userId: uid, serverId: sid, pubkey: pub, meta, ts: f.ts, proven };
  if (encoded !== pub) entry.sentPubkey = encoded;
  state.userLocations.set(uid, sid);
  state.directory.set(uid, entry);
  if (proven && bound === undefined && state.userKeys.size < MAX_USER_BINDINGS) {
    state.userKeys.set(uid, pub);
    effects.push({ kind: 'persist', op: { op: 'bindUserKey', userId: uid, pubkey: pub } });
  }
  if (proven) effects.push({ kind: 'persist', op: { op: 'userUpsert', userId: uid, pubkey: pub, meta } });
  // Offline delivery: the advertising (authenticated) server says it is this account's home — once.
  const home = meta['home'];
  if (home === sid && proven && !state.accounts.has(uid) && !state.homes.has(uid) && state.homes.size < MAX_USER_BINDINGS) {
    state.homes.set(uid, sid);
    effects.push({ kind: 'persist', op: { op: 'home', userId: uid, serverId: sid } });
  } else if (home !== undefined && state.homes.get(uid) !== home) {
    effects.push({ kind: 'log', level: 'warn', msg: 'USER_ADVERTISE home ignored: a home is set once, by a proven advertisement of its own server', fields: { userId: uid, serverId: sid } });
  }
  effects.push({ kind: 'presenceSet', userId: uid, location: sid });
  effects.push({ kind: 'broadcastUsers', except: [], out: seal(advertiseFrame(entry, ctx.selfId, '*')) });
  effects.push(relay(f, linkServerId));
  return effects;
}

/** Claims that waited for `userId` (its host let go): apply the newest, if still fresh. */
function applyPending(state: RoutingState, userId: string, ctx: RoutingCtx, effects: Effect[]): void {
  const p = state.pendingClaims.get(userId);
  if (p === undefined) return;
  state.pendingClaims.delete(userId);
  if (ctx.now - p.at > state.seen.ttlMs || !state.servers.has(p.linkServerId)) return;
  try {
    effects.push(...onAdvertise(state, p.frame, p.linkServerId, '', ctx).filter((e) => e.kind !== 'sendToConnection'));
  } catch (e) {
    effects.push({ kind: 'log', level: 'info', msg: 'waiting USER_ADVERTISE dropped', fields: { userId, reason: e instanceof SocpError ? e.code : String(e) } });
  }
}

export function onRemove(state: RoutingState, f: Verified<FrameOf<'USER_REMOVE'>>, linkServerId: string, ctx: RoutingCtx): Effect[] {
  const sid = hostOf(f);
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  const uid = f.payload.user_id;
  if (state.userLocations.get(uid) === sid) {
    dropRemoteUser(state, uid, sid, ctx, effects);
    applyPending(state, uid, ctx, effects);
  } else effects.push({ kind: 'log', level: 'debug', msg: 'USER_REMOVE ignored: user not hosted there', fields: { serverId: sid } });
  effects.push(relay(f, linkServerId));
  return effects;
}

/**
 * A link was declared dead or lost: the server leaves `servers`, and every user it hosted is
 * removed (USER_REMOVE to local users), and our users' DMs it had not confirmed are reported
 * to them (ERROR TIMEOUT, routing/delivery-acks.ts). Its pinned key and address stay (for re-dial).
 * Claims that waited for its users are applied.
 */
export function handleLinkDown(state: RoutingState, serverId: string, ctx: RoutingCtx): Effect[] {
  state.servers.delete(serverId);
  const out: Effect[] = failInflight(state, serverId, ctx);
  for (const [uid, loc] of [...state.userLocations]) {
    if (loc !== serverId) continue;
    dropRemoteUser(state, uid, serverId, ctx, out);
    applyPending(state, uid, ctx, out);
  }
  return out;
}

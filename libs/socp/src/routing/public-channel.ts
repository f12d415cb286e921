/**
 * The public channel's bookkeeping (§10.3 [profile]). Messages themselves go per recipient
 * (routed like DMs); these frames keep membership and a per-version group key:
 *  - a random 32-byte key per server, wrapped with RSA-OAEP for each member whose key we know;
 *  - on a local join we emit PUBLIC_CHANNEL_ADD {add:[u], if_version} and
 *    PUBLIC_CHANNEL_UPDATED {version, wraps} with wraps for the NEW local user only, so the
 *    cost of a join stays O(1) OAEP encryptions (O(new users)).
 * PUBLIC_CHANNEL_KEY_SHARE frames are routed to each listed member's server/user unchanged.
 *
 * What a peer's ADD/UPDATED may make us keep is bounded: members only for users we know (bound
 * here or online in the directory), at most MAX_CHANNEL_MEMBERS of them; wraps persisted
 * (group_members) only for users bound on this server, so they never outnumber the bindings
 * (MAX_USER_BINDINGS). A wrap for anyone else is dropped (one `reject` per frame: counted and logged, no ERROR sent).
 */
import { b64urlEncode } from '../encoding/base64url';
import { importPublicKeyCached } from '../crypto/keys';
import { verifyKeyShare } from '../crypto/content-sig';
import type { FrameOf } from '../messages';
import type { Verified } from '../wire/envelope';
import { fail, seal, type Effect } from './effects';
import type { RoutingCtx, RoutingState } from './state';
import { keyOfUser } from './user-keys';
import { MAX_KNOWN_USERS, MAX_LOCAL_USERS } from './limits';

const CHANNEL_KEY_BYTES = 32;
/**
 * Channel members kept in memory: everyone this server can know at once (its own users and the
 * mesh's online users); a peer listing ids beyond that cannot grow the set further.
 */
export const MAX_CHANNEL_MEMBERS = MAX_LOCAL_USERS + MAX_KNOWN_USERS;

/** A member id we may record: a user bound here or online somewhere, within the cap. */
function admitMember(state: RoutingState, id: string): boolean {
  if (state.channel.members.has(id)) return true;
  if (!state.userKeys.has(id) && !state.directory.has(id)) return false;
  if (state.channel.members.size >= MAX_CHANNEL_MEMBERS) return false;
  state.channel.members.add(id);
  return true;
}

export function channelKey(state: RoutingState, ctx: RoutingCtx): Buffer {
  state.channel.key ??= ctx.random(CHANNEL_KEY_BYTES);
  return state.channel.key;
}

/** Local user joined: add, bump version, wrap for that user, gossip ADD + UPDATED to servers and push UPDATED to the user. */
export function channelJoin(state: RoutingState, userId: string, pubkey: string, ctx: RoutingCtx): Effect[] {
  const key = channelKey(state, ctx);
  const ifVersion = state.channel.version;
  state.channel.members.add(userId);
  state.channel.version += 1;
  const version = state.channel.version;
  const wrapped = b64urlEncode(importPublicKeyCached(pubkey).encrypt(key));
  const updated = seal({ type: 'PUBLIC_CHANNEL_UPDATED', from: ctx.selfId, to: '*', ts: ctx.now, payload: { version, wraps: [{ member_id: userId, wrapped_key: wrapped }] } });
  return [
    { kind: 'persist', op: { op: 'channelVersion', version } },
    { kind: 'persist', op: { op: 'channelMember', memberId: userId, wrappedKey: wrapped, version, addedAt: ctx.now } },
    { kind: 'broadcastServers', except: [], out: seal({ type: 'PUBLIC_CHANNEL_ADD', from: ctx.selfId, to: '*', ts: ctx.now, payload: { add: [userId], if_version: ifVersion } }) },
    { kind: 'broadcastServers', except: [], out: updated },
    { kind: 'sendToUser', userId, out: updated },
  ];
}

/** PUBLIC_CHANNEL_ADD from a server (verified, deduped): record members, adopt a newer version. */
export function onChannelAdd(state: RoutingState, f: Verified<FrameOf<'PUBLIC_CHANNEL_ADD'>>): Effect[] {
  for (const m of f.payload.add) admitMember(state, m);
  const v = f.payload.if_version + 1;
  if (v > state.channel.version) {
    state.channel.version = v;
    return [{ kind: 'persist', op: { op: 'channelVersion', version: v } }];
  }
  return [];
}

/**
 * PUBLIC_CHANNEL_UPDATED from a server: the version, and the wraps (group_members.wrapped_key)
 * of users bound on this server; other wraps are dropped (see the header).
 */
export function onChannelUpdated(state: RoutingState, f: Verified<FrameOf<'PUBLIC_CHANNEL_UPDATED'>>, ctx: RoutingCtx): Effect[] {
  const out: Effect[] = [];
  if (f.payload.version > state.channel.version) {
    state.channel.version = f.payload.version;
    out.push({ kind: 'persist', op: { op: 'channelVersion', version: f.payload.version } });
  }
  let strangers = 0;
  for (const w of f.payload.wraps) {
    if (!admitMember(state, w.member_id)) {
      strangers++;
      continue;
    }
    // An online user who never proved its key (routing/user-session.ts) is a member, but nothing of it is stored.
    if (state.userKeys.has(w.member_id)) out.push({ kind: 'persist', op: { op: 'channelMember', memberId: w.member_id, wrappedKey: w.wrapped_key, version: f.payload.version, addedAt: ctx.now } });
  }
  // Wraps for ids nobody here knows: counted (socp_frames_rejected_total) and logged by the shell; the rest of the frame stands.
  if (strangers > 0) out.push({ kind: 'reject', frameType: f.type, reason: 'SOCP_ERR_NOT_ALLOWED', detail: `${strangers} of ${f.payload.wraps.length} wraps name users unknown here: not kept` });
  return out;
}

/** Check a user's KEY_SHARE: creator_pub is the user's bound key and content_sig verifies. Throws SocpError. */
export function checkKeyShare(state: RoutingState, f: FrameOf<'PUBLIC_CHANNEL_KEY_SHARE'>, userId: string): void {
  const bound = keyOfUser(state, userId);
  let pub;
  try {
    pub = importPublicKeyCached(f.payload.creator_pub);
  } catch {
    throw fail('BAD_KEY', 'creator_pub is not an acceptable RSA-4096 key');
  }
  if (bound === undefined || pub.toBase64Url() !== bound) throw fail('BAD_KEY', 'creator_pub differs from the key bound to the sender');
  if (!verifyKeyShare(pub, f.payload.shares, f.payload.creator_pub, f.payload.content_sig)) throw fail('INVALID_SIG', 'key share content_sig does not verify');
}

/**
 * Route a KEY_SHARE (payload unchanged, so members can check content_sig): to each local
 * member signed by us, and once to each other server hosting a member (unless it came from
 * a server: full mesh, one hop).
 */
export function routeKeyShare(state: RoutingState, f: FrameOf<'PUBLIC_CHANNEL_KEY_SHARE'>, ctx: RoutingCtx, fromServer: boolean): Effect[] {
  const out: Effect[] = [];
  const servers = new Set<string>();
  for (const s of f.payload.shares) {
    if (state.localUsers.has(s.member)) {
      out.push({ kind: 'sendToUser', userId: s.member, out: seal({ type: 'PUBLIC_CHANNEL_KEY_SHARE', from: ctx.selfId, to: s.member, ts: f.ts, payload: f.payload }) });
    } else if (!fromServer) {
      const loc = state.userLocations.get(s.member);
      if (loc !== undefined && loc !== 'local' && state.servers.has(loc)) servers.add(loc);
    }
  }
  for (const sid of servers) out.push({ kind: 'sendToServer', serverId: sid, out: seal({ type: 'PUBLIC_CHANNEL_KEY_SHARE', from: ctx.selfId, to: sid, ts: f.ts, payload: f.payload }) });
  return out;
}

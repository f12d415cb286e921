/**
 * Frames arriving on a server link, already authenticated by `authenticateServerFrame`
 * (so `from` is the ORIGINATING server and its pinned key verified the sig).
 *
 *  USER_ADVERTISE / USER_REMOVE  §9.2: the originator may only speak for its own users
 *      (payload.server_id == from; G43's "local" means from). Deduped, never overrides a
 *      LOCAL user, a user's key must match its binding (BAD_KEY), removal only if
 *      user_locations still points at that server. Pushed to local users (signed by us) and
 *      relayed unchanged to the other servers.
 *  SERVER_DELIVER  §9.3: deduped; local recipient → final hop; else forward unchanged to the
 *      server user_locations names; else ERROR USER_NOT_FOUND upstream.
 *  MSG_PUBLIC_CHANNEL to "*"  fan-out to local users, deduped.
 *  PUBLIC_CHANNEL_ADD / UPDATED / KEY_SHARE  bookkeeping and per-member routing, deduped.
 *  HEARTBEAT  nothing (the transport resets the dead timer on any inbound frame).
 */
import { SocpError } from '../errors';
import { importPublicKeyCached } from '../crypto/keys';
import { dedupeKey, type Verified } from '../wire/envelope';
import { advertisedPubkey, innerTypeOf, welcomeServers, type Frame, type FrameOf, type ServerWelcomePayload } from '../messages';
import { fail, refuse, seal, type Effect, type Step } from './effects';
import { finalHopFrame, innerPayloadOf, routeOffline } from './deliver';
import { hopAck, onHopAck, onHopError } from './delivery-acks';
import { MAX_KNOWN_USERS, MAX_USER_BINDINGS } from './limits';
import { advertiseFrame, dropRemoteUser } from './presence';
import { onChannelAdd, onChannelUpdated, routeKeyShare } from './public-channel';
import { handleServerHello, pinServer } from './server-trust';
import type { DirectoryEntry, RoutingCtx, RoutingState } from './state';

/** Remember a relayed/gossiped frame; false when it was already seen (drop silently). */
function firstSeen(state: RoutingState, f: Frame, ctx: RoutingCtx, effects: Effect[], key = dedupeKey(f)): boolean {
  if (!state.seen.firstSeen(key, ctx.now)) return false;
  effects.push({ kind: 'persist', op: { op: 'seen', key, expiresAt: ctx.now + state.seen.ttlMs } });
  return true;
}

function hostOf(f: FrameOf<'USER_ADVERTISE'> | FrameOf<'USER_REMOVE'>): string {
  const sid = f.payload.server_id === 'local' ? f.from : f.payload.server_id;
  if (sid !== f.from) throw fail('SOCP_ERR_NOT_ALLOWED', `server ${f.from} spoke for a user hosted by ${sid.slice(0, 64)}`);
  return sid;
}

function relay(f: Verified<Frame>, linkServerId: string): Effect {
  return { kind: 'broadcastServers', except: [linkServerId, f.from], out: { relay: f } };
}

function onAdvertise(state: RoutingState, f: Verified<FrameOf<'USER_ADVERTISE'>>, linkServerId: string, ctx: RoutingCtx): Effect[] {
  const sid = hostOf(f);
  const uid = f.payload.user_id;
  if (state.userLocations.get(uid) === 'local') throw fail('SOCP_ERR_NOT_ALLOWED', `gossip may not override local user ${uid}`);
  const encoded = advertisedPubkey(f.payload);
  if (encoded === undefined) throw fail('SOCP_ERR_SCHEMA', 'USER_ADVERTISE carries no pubkey');
  let pub: string;
  try {
    pub = importPublicKeyCached(encoded).toBase64Url();
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'bad key');
  }
  const bound = state.userKeys.get(uid);
  if (bound !== undefined && bound !== pub) throw fail('BAD_KEY', `user ${uid} is bound to another key`);
  if (!state.directory.has(uid) && state.directory.size >= MAX_KNOWN_USERS) throw fail('SOCP_ERR_RATE_LIMITED', 'directory full');
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  const meta = { ...f.payload.meta };
  delete meta['pubkey'];
  const entry: DirectoryEntry = { userId: uid, serverId: sid, pubkey: pub, meta, ts: f.ts };
  state.userLocations.set(uid, sid);
  state.directory.set(uid, entry);
  if (bound === undefined) {
    state.userKeys.set(uid, pub);
    effects.push({ kind: 'persist', op: { op: 'bindUserKey', userId: uid, pubkey: pub } });
  }
  effects.push({ kind: 'persist', op: { op: 'userUpsert', userId: uid, pubkey: pub, meta } });
  // Offline delivery: the advertising (authenticated) server says it is this account's home.
  if (meta['home'] === sid && state.homes.get(uid) !== sid && (state.homes.has(uid) || state.homes.size < MAX_USER_BINDINGS)) {
    state.homes.set(uid, sid);
    effects.push({ kind: 'persist', op: { op: 'home', userId: uid, serverId: sid } });
  }
  effects.push({ kind: 'presenceSet', userId: uid, location: sid });
  effects.push({ kind: 'broadcastUsers', except: [], out: seal(advertiseFrame(entry, ctx.selfId, '*')) });
  effects.push(relay(f, linkServerId));
  return effects;
}

function onRemove(state: RoutingState, f: Verified<FrameOf<'USER_REMOVE'>>, linkServerId: string, ctx: RoutingCtx): Effect[] {
  const sid = hostOf(f);
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  if (state.userLocations.get(f.payload.user_id) === sid) dropRemoteUser(state, f.payload.user_id, sid, ctx, effects);
  else effects.push({ kind: 'log', level: 'debug', msg: 'USER_REMOVE ignored: user not hosted there', fields: { serverId: sid } });
  effects.push(relay(f, linkServerId));
  return effects;
}

function onDeliver(state: RoutingState, f: Verified<FrameOf<'SERVER_DELIVER'>>, connId: string, ctx: RoutingCtx): Effect[] {
  const effects: Effect[] = [];
  const uid = f.payload.user_id;
  const loc = state.userLocations.get(uid);
  const local = state.localUsers.has(uid);
  const forwardTo = !local && loc !== undefined && loc !== 'local' && loc !== f.from && state.servers.has(loc) ? loc : undefined;
  const queue = !local && forwardTo === undefined && state.accounts.has(uid) && innerTypeOf(f.payload) === 'MSG_DIRECT';
  const key = dedupeKey(f);
  if (!local && forwardTo === undefined && !queue) return refuse(connId, f, fail('USER_NOT_FOUND', `user ${uid} is not here`), ctx.selfId, ctx.now, { msg_ref: key });
  // Accepted (a duplicate was accepted before): the sending server may stop tracking it.
  effects.push(hopAck(f, key, connId, ctx));
  if (!firstSeen(state, f, ctx, effects, key)) return effects;
  if (queue) {
    const p = f.payload as { sender?: string; orig_ts?: number; ts?: number };
    routeOffline(state, { innerType: 'MSG_DIRECT', sender: p.sender ?? f.from, recipient: uid, ts: p.orig_ts ?? p.ts ?? f.ts, payload: innerPayloadOf(f.payload) }, ctx, effects);
    return effects;
  }
  if (forwardTo !== undefined) {
    effects.push({ kind: 'sendToServer', serverId: forwardTo, out: { relay: f } });
    return effects;
  }
  const p = f.payload as { sender?: string; orig_ts?: number; ts?: number };
  const sender = p.sender ?? f.from;
  const ts = p.orig_ts ?? p.ts ?? f.ts;
  effects.push({ kind: 'sendToUser', userId: uid, out: seal(finalHopFrame({ innerType: innerTypeOf(f.payload), sender, recipient: uid, ts, payload: innerPayloadOf(f.payload) }, ctx)) });
  return effects;
}

function onPublic(state: RoutingState, f: Verified<FrameOf<'MSG_PUBLIC_CHANNEL'>>, ctx: RoutingCtx): Effect[] {
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  const sender = f.payload.sender ?? f.from;
  const ts = f.payload.orig_ts ?? f.ts;
  const { sender: _s, orig_ts: _o, ...inner } = f.payload;
  for (const uid of state.localUsers.keys()) {
    if (uid === sender) continue;
    effects.push({ kind: 'sendToUser', userId: uid, out: seal(finalHopFrame({ innerType: 'MSG_PUBLIC_CHANNEL', sender, recipient: uid, ts, payload: inner }, ctx)) });
  }
  return effects;
}

export function handleServerFrame(state: RoutingState, f: Verified<Frame>, linkServerId: string, connId: string, ctx: RoutingCtx): Step {
  try {
    switch (f.type) {
      case 'SERVER_HELLO_LINK':
      case 'SERVER_ANNOUNCE':
        return handleServerHello(state, f, connId, ctx);
      case 'HEARTBEAT':
        return { effects: [] };
      case 'USER_ADVERTISE':
        return { effects: onAdvertise(state, f, linkServerId, ctx) };
      case 'USER_REMOVE':
        return { effects: onRemove(state, f, linkServerId, ctx) };
      case 'SERVER_DELIVER':
        return { effects: onDeliver(state, f, connId, ctx) };
      case 'MSG_PUBLIC_CHANNEL':
        return { effects: onPublic(state, f, ctx) };
      case 'PUBLIC_CHANNEL_ADD': {
        const effects: Effect[] = [];
        return { effects: firstSeen(state, f, ctx, effects) ? [...effects, ...onChannelAdd(state, f)] : [] };
      }
      case 'PUBLIC_CHANNEL_UPDATED': {
        const effects: Effect[] = [];
        return { effects: firstSeen(state, f, ctx, effects) ? [...effects, ...onChannelUpdated(state, f, ctx)] : [] };
      }
      case 'PUBLIC_CHANNEL_KEY_SHARE': {
        const effects: Effect[] = [];
        return { effects: firstSeen(state, f, ctx, effects) ? [...effects, ...routeKeyShare(state, f, ctx, true)] : [] };
      }
      case 'CTRL_CLOSE':
        return { effects: [{ kind: 'close', connId, code: 1000, reason: 'CTRL_CLOSE' }] };
      case 'ACK':
        return { effects: onHopAck(state, linkServerId, f.payload, ctx) };
      case 'ERROR': {
        const { code, detail, msg_ref: ref } = f.payload;
        const log: Effect = { kind: 'log', level: 'info', msg: 'server sent ERROR', fields: { serverId: f.from, code } };
        return { effects: [log, ...(typeof ref === 'string' ? onHopError(state, linkServerId, ref, code, detail ?? '', ctx) : [])] };
      }
      default:
        throw fail('SOCP_ERR_NOT_ALLOWED', `${f.type} is not a server-link frame`);
    }
  } catch (e) {
    const ref = f.type === 'SERVER_DELIVER' ? { msg_ref: dedupeKey(f) } : {};
    return { effects: refuse(connId, f, e instanceof SocpError ? e : fail('SOCP_ERR_INTERNAL', String(e)), ctx.selfId, ctx.now, ref) };
  }
}

/**
 * A verified SERVER_WELCOME (introducer's pinned key): pin every listed server (a listed key
 * that contradicts an existing pin is ignored with a warning) and dial it.
 */
export function handleWelcome(state: RoutingState, p: ServerWelcomePayload, ctx: RoutingCtx): Step {
  const effects: Effect[] = [];
  for (const s of welcomeServers(p)) {
    if (s.server_id === ctx.selfId) continue;
    try {
      const pinned = state.serverPubkeys.get(s.server_id);
      if (pinned && !pinned.equals(importPublicKeyCached(s.pubkey))) {
        effects.push({ kind: 'log', level: 'warn', msg: 'WELCOME lists a server with a key that differs from its pin; keeping the pin', fields: { serverId: s.server_id } });
        continue;
      }
      if (pinServer(state, s.server_id, s.pubkey, s.host, s.port, effects)) effects.push({ kind: 'dial', serverId: s.server_id, host: s.host, port: s.port });
    } catch (e) {
      effects.push({ kind: 'log', level: 'warn', msg: 'WELCOME entry refused', fields: { serverId: s.server_id, reason: e instanceof SocpError ? e.code : String(e) } });
    }
  }
  return { effects };
}

/** Advertisements this server originates for its local users (used by tests and the shell). */
export function localAdvertisements(state: RoutingState, ctx: RoutingCtx): ReturnType<typeof advertiseFrame>[] {
  return [...state.localUsers.keys()].map((u) => state.directory.get(u)).filter((e): e is DirectoryEntry => !!e).map((e) => advertiseFrame(e, ctx.selfId, '*'));
}

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
import { advertisedPubkey, innerTypeOf, welcomeSender, welcomeServers, type Frame, type FrameOf, type ServerWelcomePayload } from '../messages';
import { fail, refuse, seal, type Effect, type Step } from './effects';
import { finalHopFrame, innerPayloadOf, routeOffline } from './deliver';
import { isBatchItem } from './deliver-batch';
import { hopAck, onHopAck, onHopError } from './delivery-acks';
import { advertiseFrame } from './presence';
import { firstSeen, onAdvertise, onRemove } from './presence-gossip';
import { checkContent, type SignedContent } from './user-keys';
import { onChannelAdd, onChannelUpdated, routeKeyShare } from './public-channel';
import { handleServerHello, pinServer } from './server-trust';
import { admit, CAP_BIND } from './admission';
import { checkTicket } from '../admission/ticket';
import { matchAdmitRule } from '../admission/admit-rules';
import type { Admission, DirectoryEntry, RoutingCtx, RoutingState } from './state';

/**
 * The final-hop check (docs/SECURITY.md "Forged content"): a SERVER_DELIVER that we deliver or
 * queue must come from the server hosting its sender, and its content must verify under the
 * sender's key (bound, or advertised while online): a compromised admitted server can neither
 * speak for another server's users nor forge its own users' content.
 */
function checkFinalHop(state: RoutingState, f: Verified<FrameOf<'SERVER_DELIVER'>>, sender: string, ts: number): void {
  const host = state.userLocations.get(sender);
  if (host !== f.from) throw fail('SOCP_ERR_NOT_ALLOWED', `server ${f.from} delivered content from ${sender.slice(0, 64)}, who is ${host === undefined ? 'not online' : `hosted by ${host}`}`);
  const inner = innerTypeOf(f.payload);
  if (inner === 'MSG_DIRECT' || inner === 'MSG_PUBLIC_CHANNEL' || inner === 'FILE_CHUNK') {
    checkContent(state, sender, f.payload as unknown as SignedContent, f.payload.user_id, ts, inner !== 'FILE_CHUNK');
  }
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
  if (forwardTo !== undefined && isBatchItem(f)) return refuse(connId, f, fail('USER_NOT_FOUND', `user ${uid} is not here (an item of a SERVER_DELIVER_BATCH is not relayed)`), ctx.selfId, ctx.now, { msg_ref: key });
  const p = f.payload as { sender?: string; orig_ts?: number; ts?: number };
  const sender = p.sender ?? f.from;
  const ts = p.orig_ts ?? p.ts ?? f.ts;
  if (forwardTo === undefined) checkFinalHop(state, f, sender, ts);
  // Accepted (a duplicate was accepted before): the sending server may stop tracking it.
  effects.push(hopAck(f, key, connId, ctx));
  if (!firstSeen(state, f, ctx, effects, key)) return effects;
  if (queue) {
    routeOffline(state, { innerType: 'MSG_DIRECT', sender, recipient: uid, ts, payload: innerPayloadOf(f.payload) }, ctx, effects);
    return effects;
  }
  if (forwardTo !== undefined) {
    effects.push({ kind: 'sendToServer', serverId: forwardTo, out: { relay: f } });
    return effects;
  }
  effects.push({ kind: 'sendToUser', userId: uid, out: seal(finalHopFrame({ innerType: innerTypeOf(f.payload), sender, recipient: uid, ts, payload: innerPayloadOf(f.payload) }, ctx)) });
  return effects;
}

function onPublic(state: RoutingState, f: Verified<FrameOf<'MSG_PUBLIC_CHANNEL'>>, ctx: RoutingCtx): Effect[] {
  const sender = f.payload.sender ?? f.from;
  const ts = f.payload.orig_ts ?? f.ts;
  const host = state.userLocations.get(sender);
  if (host !== f.from) throw fail('SOCP_ERR_NOT_ALLOWED', `server ${f.from} fanned out a public message from ${sender.slice(0, 64)}, who is not its user`);
  checkContent(state, sender, f.payload, undefined, ts, true);
  const effects: Effect[] = [];
  if (!firstSeen(state, f, ctx, effects)) return [];
  const { sender: _s, orig_ts: _o, bind: _b, ...inner } = f.payload as typeof f.payload & { bind?: unknown };
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
        return { effects: onAdvertise(state, f, linkServerId, connId, ctx) };
      case 'USER_REMOVE':
        return { effects: onRemove(state, f, linkServerId, ctx) };
      case 'SERVER_DELIVER':
        return { effects: onDeliver(state, f, connId, ctx) };
      case 'SERVER_DELIVER_BATCH':
        // The shell hands each item in as the SERVER_DELIVER it stands for (unpackDeliverBatch),
        // each past the same gates (storage guard) as a SERVER_DELIVER of its own.
        throw fail('SOCP_ERR_INTERNAL', 'a SERVER_DELIVER_BATCH is handled item by item (unpackDeliverBatch)');
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
 * A SERVER_WELCOME (verified under the introducer's pinned key, or — `introducerPinned` false —
 * accepted from an introducer the operator configured without a pin): admit, pin and dial every
 * listed server that a valid ticket, the pinned introducer's word, or an SOCP_ADMIT rule admits
 * (routing/admission.ts). A listed key that contradicts an existing pin is ignored with a warning.
 * `introducer` is where we joined (and its pin, if any): an introducer that describes itself as a
 * server (`server_id` + `server_pub`, another implementation) is linked at that address, and only
 * with the key we pinned for it.
 */
export function handleWelcome(state: RoutingState, p: ServerWelcomePayload, ctx: RoutingCtx, introducerPinned = true, introducer?: { host: string; port: number; pubkey?: string | undefined }): Step {
  const effects: Effect[] = [];
  const sender = welcomeSender(p);
  for (const s of welcomeServers(p, introducer)) {
    if (s.server_id === ctx.selfId) continue;
    try {
      const key = importPublicKeyCached(s.pubkey);
      const pinned = state.serverPubkeys.get(s.server_id);
      if (pinned && !pinned.equals(key)) {
        effects.push({ kind: 'log', level: 'warn', msg: 'WELCOME lists a server with a key that differs from its pin; keeping the pin', fields: { serverId: s.server_id } });
        continue;
      }
      if (s.server_id === sender?.server_id && introducer?.pubkey !== undefined && !importPublicKeyCached(introducer.pubkey).equals(key)) {
        effects.push({ kind: 'log', level: 'warn', msg: 'WELCOME describes its sender with a key other than the introducer key pinned in SOCP_BOOTSTRAP; not linked', fields: { serverId: s.server_id } });
        continue;
      }
      const t = s.ticket === undefined ? undefined : checkTicket(s.ticket, { serverId: s.server_id, key, host: s.host, port: s.port }, state.trust.issuers, ctx.now);
      const rule = matchAdmitRule(state.trust.rules, key.fingerprint(), s.host, s.port);
      const grant: Admission | undefined = t?.ok ? { basis: 'ticket', expires: t.value.expires } : introducerPinned ? { basis: 'welcome', expires: Infinity } : rule ? { basis: 'rule', expires: Infinity } : undefined;
      if (grant === undefined) {
        effects.push({ kind: 'log', level: 'warn', msg: 'WELCOME of an unpinned introducer lists a server no SOCP_ADMIT rule admits; ignored', fields: { serverId: s.server_id, host: s.host, port: s.port } });
        continue;
      }
      if (!pinServer(state, s.server_id, s.pubkey, s.host, s.port, effects)) continue;
      admit(state, s.server_id, grant, t?.ok === true && t.value.caps.includes(CAP_BIND));
      if (grant.basis === 'rule') effects.push({ kind: 'log', level: 'warn', msg: 'open federation: server from an unpinned introducer admitted by an SOCP_ADMIT rule', fields: { serverId: s.server_id, rule } });
      effects.push({ kind: 'dial', serverId: s.server_id, host: s.host, port: s.port });
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

/**
 * Who a connection is, and which key a server frame must verify under (§3, §8.1, §9.1 [profile]).
 *
 * First frame decides the role: USER_HELLO → user; SERVER_HELLO_LINK / SERVER_ANNOUNCE → server;
 * (G43) any server-link frame whose `from` is a server with a pinned key → server (its sig is
 * then checked like every later frame). Anything else is refused and the socket closed.
 *
 * Server keys: a key pinned for a server_id (from a signed WELCOME, or the first
 * HELLO_LINK/ANNOUNCE that server sent us — trust on first use, since SOCP has no other way
 * to learn a newcomer's key) is never replaced: a HELLO_LINK/ANNOUNCE carrying another key is
 * BAD_KEY. Every other server frame verifies under the pinned key of its `from` (the
 * ORIGINATING server for relays), or is refused (INVALID_SIG).
 */
import { SocpError, type Result } from '../errors';
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { acceptUnsigned, verifyFrame, type Verified } from '../wire/envelope';
import { SERVER_LINK_TYPES, UUID_ANYCASE_RE, type Frame, type FrameOf } from '../messages';
import { fail, refuse, type Effect, type Step } from './effects';
import { HELLO_REPLAY_MIN_INTERVAL_MS, MAX_KNOWN_SERVERS } from './limits';
import { replayLocalUsers } from './presence';
import type { RoutingCtx, RoutingState } from './state';

export type ConnectionRole = 'user' | 'server';

export function classifyFirstFrame(state: RoutingState, f: Frame): ConnectionRole | undefined {
  if (f.type === 'USER_HELLO') return 'user';
  if (f.type === 'SERVER_HELLO_LINK' || f.type === 'SERVER_ANNOUNCE') return 'server';
  if (SERVER_LINK_TYPES.has(f.type) && f.type !== 'CTRL_CLOSE' && state.serverPubkeys.has(f.from)) return 'server';
  return undefined;
}

function keyOf(encoded: string): RsaPublicKey {
  try {
    return importPublicKeyCached(encoded);
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'unparseable key');
  }
}

export function authenticateServerFrame(state: RoutingState, f: Frame, ctx: RoutingCtx): Result<Verified<Frame>> {
  try {
    if (!SERVER_LINK_TYPES.has(f.type)) throw fail('SOCP_ERR_NOT_ALLOWED', `${f.type} is not a server-link frame`);
    if (f.type === 'CTRL_CLOSE' && f.sig === '') return { ok: true, value: acceptUnsigned(f, 'unsigned-hello') };
    if (f.from === ctx.selfId) throw fail('SOCP_ERR_NOT_ALLOWED', 'frame claims to come from this server');
    const pinned = state.serverPubkeys.get(f.from);
    if (f.type === 'SERVER_HELLO_LINK' || f.type === 'SERVER_ANNOUNCE') {
      if (!UUID_ANYCASE_RE.test(f.from)) throw fail('SOCP_ERR_SCHEMA', `${f.type}.from must be a UUID`);
      const offered = keyOf(f.payload.pubkey);
      if (pinned && !pinned.equals(offered)) throw fail('BAD_KEY', `server ${f.from} is pinned to another key`);
      return verifyFrame(f, pinned ?? offered);
    }
    if (!pinned) throw fail('SOCP_ERR_UNKNOWN_SENDER', `no pinned key for server ${f.from.slice(0, 64)}`);
    return verifyFrame(f, pinned);
  } catch (e) {
    return { ok: false, error: e instanceof SocpError ? e : fail('SOCP_ERR_INTERNAL', String(e)) };
  }
}

/** Pin a server key learnt from a trusted source (signed WELCOME, or first contact). No-op when already pinned. */
export function pinServer(state: RoutingState, serverId: string, pubkey: string, host: string, port: number, effects: Effect[]): boolean {
  if (state.serverPubkeys.has(serverId)) {
    const a = state.serverAddrs.get(serverId);
    if (!a || a.host !== host || a.port !== port) {
      state.serverAddrs.set(serverId, { host, port });
      effects.push({ kind: 'persist', op: { op: 'serverAddr', serverId, host, port } });
    }
    return true;
  }
  if (state.serverPubkeys.size >= MAX_KNOWN_SERVERS) return false;
  const key = keyOf(pubkey);
  state.serverPubkeys.set(serverId, key);
  state.serverAddrs.set(serverId, { host, port });
  effects.push({ kind: 'persist', op: { op: 'pinServer', serverId, pubkey: key.toBase64Url() } });
  effects.push({ kind: 'persist', op: { op: 'serverAddr', serverId, host, port } });
  return true;
}

/**
 * SERVER_HELLO_LINK / SERVER_ANNOUNCE (already verified): pin on first contact, record the
 * address, and ask the shell to dial back (we write on our own outbound link, as G43 does).
 */
export function handleServerHello(state: RoutingState, f: Verified<FrameOf<'SERVER_HELLO_LINK'> | FrameOf<'SERVER_ANNOUNCE'>>, connId: string, ctx: RoutingCtx): Step {
  const effects: Effect[] = [];
  try {
    if (!pinServer(state, f.from, f.payload.pubkey, f.payload.host, f.payload.port, effects)) {
      return { effects: refuse(connId, f, fail('SOCP_ERR_RATE_LIMITED', 'too many servers'), ctx.selfId, ctx.now) };
    }
  } catch (e) {
    return { effects: refuse(connId, f, e instanceof SocpError ? e : fail('BAD_KEY', 'bad key'), ctx.selfId, ctx.now) };
  }
  effects.push({ kind: 'dial', serverId: f.from, host: f.payload.host, port: f.payload.port });
  // The peer (re)opened its link to us: it may have dropped our users meanwhile (dead link,
  // restart). Only for HELLO_LINK (G43 follows it with an ANNOUNCE), and throttled per server.
  const last = state.helloReplayAt.get(f.from);
  if (f.type === 'SERVER_HELLO_LINK' && (last === undefined || ctx.now - last >= HELLO_REPLAY_MIN_INTERVAL_MS)) {
    state.helloReplayAt.set(f.from, ctx.now);
    effects.push(...replayLocalUsers(state, f.from, ctx));
  }
  effects.push({ kind: 'log', level: 'info', msg: `${f.type} accepted`, fields: { serverId: f.from, host: f.payload.host, port: f.payload.port } });
  return { effects };
}

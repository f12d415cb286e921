/**
 * Who a connection is, and which key a server frame must verify under (§3, §8.1, §9.1 [profile]),
 * and whether the operator admitted that server (routing/admission.ts).
 *
 * First frame decides the role: USER_HELLO → user; SERVER_HELLO_LINK / SERVER_ANNOUNCE → server
 * (a bare announce `{server_id, user_locations}`, carrying no key, is then checked like any other frame);
 * (G43) any server-link frame whose `from` is a pinned AND admitted server → server (its sig is
 * then checked like every later frame). Anything else is refused and the socket closed.
 *
 * Server keys: a key is pinned for a server_id only once the server is admitted (a valid
 * ticket, a pinned introducer's WELCOME, or an SOCP_ADMIT rule), and never replaced: a
 * HELLO_LINK/ANNOUNCE carrying another key is BAD_KEY. Every other server frame verifies under
 * the pinned key of its `from` (the ORIGINATING server for relays), which must still be
 * admitted. Envelope binding (wire/bind.ts): a bound frame must be fresh (within the dedupe
 * window, so a replay is either remembered or stale), and a server known to bind has frames
 * without `bind` refused.
 */
import { SocpError, type Result } from '../errors';
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { acceptUnsigned, verifyFrame, type Verified } from '../wire/envelope';
import { bindMatches } from '../wire/bind';
import { SERVER_LINK_TYPES, UUID_ANYCASE_RE, announcedAddr, type BareAnnouncePayload, type Frame, type FrameOf, type ServerAddrPayload } from '../messages';
import { admissionOf, admit, helloAdmission, CAP_BIND } from './admission';
import { CAP_DELIVER_BATCH } from './deliver-batch';
import { fail, refuse, type Effect, type Step } from './effects';
import { HELLO_REPLAY_MIN_INTERVAL_MS, MAX_KNOWN_SERVERS } from './limits';
import { replayLocalUsers } from './presence';
import type { RoutingCtx, RoutingState } from './state';

export type ConnectionRole = 'user' | 'server';

export function classifyFirstFrame(state: RoutingState, f: Frame, now: number): ConnectionRole | undefined {
  if (f.type === 'USER_HELLO') return 'user';
  if (f.type === 'SERVER_HELLO_LINK' || f.type === 'SERVER_ANNOUNCE') return 'server';
  if (SERVER_LINK_TYPES.has(f.type) && f.type !== 'CTRL_CLOSE' && state.serverPubkeys.has(f.from) && admissionOf(state, f.from, now)) return 'server';
  return undefined;
}

function keyOf(encoded: string): RsaPublicKey {
  try {
    return importPublicKeyCached(encoded);
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'unparseable key');
  }
}

/** A frame's bound envelope is fresh, and a binding server's frame is bound (wire/bind.ts). */
function checkBinding(state: RoutingState, f: Frame, now: number): void {
  const bound = bindMatches(f) === true;
  if (!bound && state.bindingServers.has(f.from)) throw fail('SOCP_ERR_REPLAY', `${f.type} from ${f.from} has no envelope binding, and that server binds every frame`);
  if (bound && Math.abs(now - f.ts) > state.seen.ttlMs) throw fail('SOCP_ERR_REPLAY', `${f.type} ts ${f.ts} is outside the ±${state.seen.ttlMs} ms window`);
}

export function authenticateServerFrame(state: RoutingState, f: Frame, ctx: RoutingCtx): Result<Verified<Frame>> {
  try {
    if (!SERVER_LINK_TYPES.has(f.type)) throw fail('SOCP_ERR_NOT_ALLOWED', `${f.type} is not a server-link frame`);
    // An unsigned CTRL_CLOSE only ever closes the connection it arrives on.
    if (f.type === 'CTRL_CLOSE' && f.sig === '') return { ok: true, value: acceptUnsigned(f, 'unsigned-hello') };
    if (f.from === ctx.selfId) throw fail('SOCP_ERR_NOT_ALLOWED', 'frame claims to come from this server');
    const pinned = state.serverPubkeys.get(f.from);
    const addr = helloAddr(f);
    if (addr !== undefined) {
      if (!UUID_ANYCASE_RE.test(f.from)) throw fail('SOCP_ERR_SCHEMA', `${f.type}.from must be a UUID`);
      const offered = keyOf(addr.pubkey);
      if (pinned && !pinned.equals(offered)) throw fail('BAD_KEY', `server ${f.from} is pinned to another key`);
      const v = verifyFrame(f, pinned ?? offered);
      if (!v.ok) return v;
      checkBinding(state, f, ctx.now);
      if (f.type === 'SERVER_HELLO_LINK' && bindMatches(f) === true && f.to !== ctx.selfId && f.to !== '*') throw fail('SOCP_ERR_REPLAY', `SERVER_HELLO_LINK addressed to ${f.to.slice(0, 64)}, not to this server`);
      const a = helloAdmission(state, { serverId: f.from, key: offered, host: addr.host, port: addr.port, ticket: addr.ticket }, ctx.now);
      return a.ok ? v : a;
    }
    // A bare SERVER_ANNOUNCE (no address, no key) is checked like any other frame: pinned key, admission.
    if (!pinned) throw fail('SOCP_ERR_UNKNOWN_SENDER', `no pinned key for server ${f.from.slice(0, 64)}`);
    if (!admissionOf(state, f.from, ctx.now)) throw fail('SOCP_ERR_UNKNOWN_SENDER', `server ${f.from.slice(0, 64)} is not admitted (ticket expired or never shown)`);
    const v = verifyFrame(f, pinned);
    if (!v.ok) return v;
    checkBinding(state, f, ctx.now);
    return v;
  } catch (e) {
    return { ok: false, error: e instanceof SocpError ? e : fail('SOCP_ERR_INTERNAL', String(e)) };
  }
}

/** The address and key of a SERVER_HELLO_LINK or an address-form SERVER_ANNOUNCE; undefined for other frames and a bare announce. */
function helloAddr(f: Frame): ServerAddrPayload | undefined {
  if (f.type === 'SERVER_HELLO_LINK') return f.payload;
  return f.type === 'SERVER_ANNOUNCE' ? announcedAddr(f.payload) : undefined;
}

/** Pin a server key learnt from an admitted source (a hello that passed admission, an admitted WELCOME entry). No-op when already pinned. */
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
 * SERVER_HELLO_LINK / SERVER_ANNOUNCE (verified, admission checked by authenticateServerFrame):
 * record the admission, pin on first contact, record the address, and ask the shell to dial
 * back (we write on our own outbound link, as G43 does).
 */
export function handleServerHello(state: RoutingState, f: Verified<FrameOf<'SERVER_HELLO_LINK'> | FrameOf<'SERVER_ANNOUNCE'>>, connId: string, ctx: RoutingCtx): Step {
  const p = helloAddr(f);
  if (p === undefined) return handleBareAnnounce(state, f as Verified<FrameOf<'SERVER_ANNOUNCE'>>, connId, ctx);
  const effects: Effect[] = [];
  try {
    const a = helloAdmission(state, { serverId: f.from, key: keyOf(p.pubkey), host: p.host, port: p.port, ticket: p.ticket }, ctx.now);
    if (!a.ok) return { effects: refuse(connId, f, a.error, ctx.selfId, ctx.now) };
    if (!pinServer(state, f.from, p.pubkey, p.host, p.port, effects)) {
      return { effects: refuse(connId, f, fail('SOCP_ERR_RATE_LIMITED', 'too many servers'), ctx.selfId, ctx.now) };
    }
    const binds = bindMatches(f) === true || (a.value.ticket?.caps.includes(CAP_BIND) ?? false);
    const fresh = state.admitted.get(f.from) === undefined;
    admit(state, f.from, a.value, binds);
    // What it takes now is what its latest hello says (a restarted peer may speak less).
    if ((p.caps ?? []).includes(CAP_DELIVER_BATCH) || a.value.ticket?.caps.includes(CAP_DELIVER_BATCH)) state.batchingServers.add(f.from);
    else state.batchingServers.delete(f.from);
    if (a.value.basis === 'rule' && fresh) {
      effects.push({ kind: 'log', level: 'warn', msg: 'open federation: server admitted WITHOUT a ticket by an SOCP_ADMIT rule', fields: { serverId: f.from, rule: a.value.rule, host: p.host, port: p.port } });
    }
  } catch (e) {
    return { effects: refuse(connId, f, e instanceof SocpError ? e : fail('BAD_KEY', 'bad key'), ctx.selfId, ctx.now) };
  }
  effects.push({ kind: 'dial', serverId: f.from, host: p.host, port: p.port });
  // The peer (re)opened its link to us: it may have dropped our users meanwhile (dead link,
  // restart). Only for HELLO_LINK (G43 follows it with an ANNOUNCE), and throttled per server.
  const last = state.helloReplayAt.get(f.from);
  if (f.type === 'SERVER_HELLO_LINK' && (last === undefined || ctx.now - last >= HELLO_REPLAY_MIN_INTERVAL_MS)) {
    state.helloReplayAt.set(f.from, ctx.now);
    effects.push(...replayLocalUsers(state, f.from, ctx));
  }
  effects.push({ kind: 'log', level: 'info', msg: `${f.type} accepted`, fields: { serverId: f.from, host: p.host, port: p.port } });
  return { effects };
}

/**
 * A bare SERVER_ANNOUNCE `{server_id, user_locations}` (another implementation; verified under
 * the pin of an admitted server): it may speak only for itself. Nothing is learnt from it; we
 * keep (or re-open) our link to the address we know.
 */
function handleBareAnnounce(state: RoutingState, f: Verified<FrameOf<'SERVER_ANNOUNCE'>>, connId: string, ctx: RoutingCtx): Step {
  if ((f.payload as BareAnnouncePayload).server_id !== f.from) return { effects: refuse(connId, f, fail('SOCP_ERR_NOT_ALLOWED', `SERVER_ANNOUNCE from ${f.from.slice(0, 64)} names another server`), ctx.selfId, ctx.now) };
  const effects: Effect[] = [{ kind: 'log', level: 'info', msg: 'SERVER_ANNOUNCE (bare form: no address or key) accepted', fields: { serverId: f.from } }];
  const a = state.serverAddrs.get(f.from);
  if (a !== undefined) effects.push({ kind: 'dial', serverId: f.from, host: a.host, port: a.port });
  return { effects };
}

/**
 * SERVER_HELLO_JOIN → SERVER_WELCOME (SPEC.md §9.1 + docs/contracts.md "Joining").
 *
 * Checks, in order, each failing with its coded error and changing nothing:
 *  1. `payload.pubkey` parses and is RSA-4096 / e=65537            → BAD_KEY
 *  2. `sig` verifies under THAT key (proof of possession; an unsigned
 *     join is refused, or anyone could re-point a server's address) → INVALID_SIG
 *  3. `ts` within MAX_CLOCK_SKEW_MS of our clock, frame not seen    → SOCP_ERR_REPLAY (wire INVALID_SIG)
 *  4. room in the registry for a new id                             → SOCP_ERR_RATE_LIMITED
 * Then: keep the proposed id (`from`) when it is a UUIDv4 that is unused or already bound to
 * the same key, else assign a fresh UUID; register {id, host, port, key}; answer with a
 * WELCOME signed by the introducer key listing every OTHER registered server under both
 * `servers` and `clients`, entries keyed `server_id`.
 */
import {
  importPublicKeyCached, isSocpError, MAX_CLOCK_SKEW_MS, sealFrame, SocpError, UUID_RE, verifyFrame, dedupeKey,
  type FrameOf, type RsaPrivateKey, type SeenCache, type Verified,
} from '@socp/protocol';
import { MAX_REGISTERED_SERVERS, type Registry } from './registry';

export interface JoinContext {
  registry: Registry;
  seen: SeenCache;
  introducerId: string;
  key: RsaPrivateKey;
  now: number;
  newId: () => string;
}

export type JoinOutcome =
  | { ok: true; serverId: string; welcome: Verified<FrameOf<'SERVER_WELCOME'>>; kept: boolean }
  | { ok: false; error: SocpError };

export function handleJoin(frame: FrameOf<'SERVER_HELLO_JOIN'>, ctx: JoinContext): JoinOutcome {
  let pub;
  try {
    pub = importPublicKeyCached(frame.payload.pubkey);
  } catch (e) {
    return { ok: false, error: isSocpError(e) ? e : new SocpError('BAD_KEY', 'unparseable key') };
  }
  const v = verifyFrame(frame, pub);
  if (!v.ok) return v;
  if (Math.abs(ctx.now - frame.ts) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, error: new SocpError('SOCP_ERR_REPLAY', `join ts ${frame.ts} is outside the freshness window`) };
  }
  if (!ctx.seen.firstSeen(dedupeKey(frame), ctx.now)) return { ok: false, error: new SocpError('SOCP_ERR_REPLAY', 'join frame replayed') };

  const pubkey = pub.toBase64Url();
  const bound = UUID_RE.test(frame.from) ? ctx.registry.get(frame.from) : undefined;
  const kept = UUID_RE.test(frame.from) && (bound === undefined || bound.pubkey === pubkey);
  const serverId = kept ? frame.from : ctx.newId();
  if (ctx.registry.get(serverId) === undefined && ctx.registry.size >= MAX_REGISTERED_SERVERS) {
    return { ok: false, error: new SocpError('SOCP_ERR_RATE_LIMITED', `registry full (${MAX_REGISTERED_SERVERS} servers)`) };
  }
  ctx.registry.upsert({ server_id: serverId, host: frame.payload.host, port: frame.payload.port, pubkey }, ctx.now);
  const entries = ctx.registry.others(serverId).map((r) => ({ server_id: r.server_id, host: r.host, port: r.port, pubkey: r.pubkey }));
  const welcome = sealFrame(
    { type: 'SERVER_WELCOME', from: ctx.introducerId, to: serverId, ts: ctx.now, payload: { assigned_id: serverId, servers: entries, clients: entries } },
    ctx.key,
  );
  return { ok: true, serverId, welcome, kept };
}

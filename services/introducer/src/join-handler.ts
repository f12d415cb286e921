/**
 * SERVER_HELLO_JOIN → SERVER_WELCOME (SPEC.md §9.1 + docs/contracts.md "Joining", "Admission").
 *
 * Checks, in order, each failing with its coded error and changing nothing:
 *  1. `payload.pubkey` parses and is RSA-4096 / e=65537                  → BAD_KEY
 *  2. `sig` verifies under THAT key (proof of possession), and a signed
 *     `payload.bind` names this very envelope (wire/bind.ts)             → INVALID_SIG
 *  3. `ts` within MAX_CLOCK_SKEW_MS of our clock, frame not seen          → SOCP_ERR_REPLAY (wire INVALID_SIG)
 *  4. operator consent: a valid `join_proof` of the mesh join secret
 *     (admission/join-proof.ts), or an SOCP_ADMIT rule for its key /
 *     address (or `*`)                                                    → SOCP_ERR_NOT_ADMITTED (wire INVALID_SIG)
 *  5. one registry entry per key, per connection and per id: a key already
 *     joined under another id on another live socket, or an id live on
 *     another socket taken by an UNBOUND join (a replayed signature)      → NAME_IN_USE
 *  6. room in the registry for a new id                                   → SOCP_ERR_RATE_LIMITED
 * Then: keep the proposed id (`from`) when it is a UUIDv4 that is unused or already bound to
 * the same key, else assign a fresh UUID; sign an admission ticket (id, key, address, caps,
 * expiry); register {id, host, port, key, ticket}, dropping any entry this connection or this
 * key held before; answer with a WELCOME signed by the introducer key listing every OTHER
 * registered server under both `servers` (with its ticket) and `clients`, entries keyed
 * `server_id`, and the joiner's own `ticket`.
 */
import {
  bindMatches, checkJoinProof, importPublicKeyCached, isSocpError, issueTicket, matchAdmitRule, MAX_CLOCK_SKEW_MS, MAX_TICKET_CAPS, sealFrame, SocpError,
  UUID_RE, verifyFrame, dedupeKey, withBind,
  type AdmitRules, type FrameOf, type RsaPrivateKey, type SeenCache, type ServerEntry, type Verified,
} from '@socp/protocol';
import { MAX_REGISTERED_SERVERS, type Registry } from './registry';

export interface JoinContext {
  registry: Registry;
  seen: SeenCache;
  introducerId: string;
  key: RsaPrivateKey;
  now: number;
  newId: () => string;
  joinSecret: string | undefined;
  rules: AdmitRules;
  ticketTtlMs: number;
  /** The id this connection already owns, if it joined before (one per connection). */
  ownedId: string | undefined;
  /** True when another live connection owns this id. */
  liveElsewhere(id: string): boolean;
}

export type JoinOutcome =
  | { ok: true; serverId: string; welcome: Verified<FrameOf<'SERVER_WELCOME'>>; kept: boolean; via: 'proof' | 'key' | 'addr' | 'any'; dropped: string[] }
  | { ok: false; error: SocpError };

const no = (code: ConstructorParameters<typeof SocpError>[0], msg: string): JoinOutcome => ({ ok: false, error: new SocpError(code, msg) });

export function handleJoin(frame: FrameOf<'SERVER_HELLO_JOIN'>, ctx: JoinContext): JoinOutcome {
  let pub;
  try {
    pub = importPublicKeyCached(frame.payload.pubkey);
  } catch (e) {
    return { ok: false, error: isSocpError(e) ? e : new SocpError('BAD_KEY', 'unparseable key') };
  }
  const v = verifyFrame(frame, pub);
  if (!v.ok) return v;
  if (Math.abs(ctx.now - frame.ts) > MAX_CLOCK_SKEW_MS) return no('SOCP_ERR_REPLAY', `join ts ${frame.ts} is outside the freshness window`);
  if (ctx.seen.has(dedupeKey(frame), ctx.now)) return no('SOCP_ERR_REPLAY', 'join frame replayed');

  const { host, port, pubkey: presented } = frame.payload;
  const claim = { from: frame.from, ts: frame.ts, host, port, pubkey: presented };
  const via = ctx.joinSecret !== undefined && checkJoinProof(ctx.joinSecret, claim, frame.payload.join_proof) ? 'proof' : matchAdmitRule(ctx.rules, pub.fingerprint(), host, port);
  if (via === undefined) {
    return no('SOCP_ERR_NOT_ADMITTED', `join refused: no valid join_proof of the mesh join secret, and no SOCP_ADMIT rule for key sha256:${pub.fingerprint()}`);
  }

  const pubkey = pub.toBase64Url();
  const bound = bindMatches(frame) === true;
  const dropped: string[] = [];
  const sameKey = ctx.registry.byKey(pubkey);
  if (sameKey !== undefined && sameKey.server_id !== frame.from && sameKey.server_id !== ctx.ownedId) {
    if (ctx.liveElsewhere(sameKey.server_id)) return no('NAME_IN_USE', `this key is joined as server ${sameKey.server_id} on another connection`);
    dropped.push(sameKey.server_id);
  }
  const byId = UUID_RE.test(frame.from) ? ctx.registry.get(frame.from) : undefined;
  const kept = UUID_RE.test(frame.from) && (byId === undefined || byId.pubkey === pubkey);
  const serverId = kept ? frame.from : ctx.newId();
  if (kept && serverId !== ctx.ownedId && ctx.liveElsewhere(serverId) && !bound) {
    return no('NAME_IN_USE', `server ${serverId} is connected on another socket; only a join with payload.bind may take its place`);
  }
  if (ctx.ownedId !== undefined && ctx.ownedId !== serverId) dropped.push(ctx.ownedId);
  if (ctx.registry.get(serverId) === undefined && ctx.registry.size - dropped.length >= MAX_REGISTERED_SERVERS) {
    return no('SOCP_ERR_RATE_LIMITED', `registry full (${MAX_REGISTERED_SERVERS} servers)`);
  }

  ctx.seen.firstSeen(dedupeKey(frame), ctx.now);
  for (const id of dropped) ctx.registry.remove(id);
  const caps = (frame.payload.caps ?? []).filter((c) => /^[a-z0-9/_-]{1,32}$/.test(c)).slice(0, MAX_TICKET_CAPS);
  const ticket = issueTicket(ctx.key, { server_id: serverId, key: pub, host, port, caps, issued: ctx.now, expires: ctx.now + ctx.ticketTtlMs });
  ctx.registry.upsert({ server_id: serverId, host, port, pubkey, ticket }, ctx.now);
  const others = ctx.registry.others(serverId);
  const servers: ServerEntry[] = others.map((r) => ({ server_id: r.server_id, host: r.host, port: r.port, pubkey: r.pubkey, ...(r.ticket ? { ticket: { ...r.ticket } } : {}) }));
  const clients: ServerEntry[] = others.map((r) => ({ server_id: r.server_id, host: r.host, port: r.port, pubkey: r.pubkey }));
  const welcome = sealFrame(
    withBind({ type: 'SERVER_WELCOME', from: ctx.introducerId, to: serverId, ts: ctx.now, payload: { assigned_id: serverId, servers, clients, ticket: { ...ticket } } }),
    ctx.key,
  );
  return { ok: true, serverId, welcome, kept, via, dropped };
}

/**
 * Server ↔ server and bootstrap payloads (SPEC.md §9).
 */
import { anyObject, array, host, id, nullable, num, obj, port, pubkey, SchemaError, str, type Check } from './schema';

/**
 * SERVER_HELLO_JOIN / SERVER_HELLO_LINK / SERVER_ANNOUNCE: where to dial me, and my key.
 * Extensions (docs/contracts.md "Admission"; peers that do not know them ignore them):
 * `ticket` (LINK/ANNOUNCE: my admission ticket, admission/ticket.ts), `join_proof` (JOIN: proof
 * of the mesh join secret, admission/join-proof.ts), `caps` (what I speak, e.g. "bind").
 */
export interface ServerAddrPayload { host: string; port: number; pubkey: string; ticket?: Record<string, unknown>; join_proof?: string; caps?: string[] }
export const serverAddrPayload: Check<ServerAddrPayload> = obj({ host, port, pubkey }, { ticket: anyObject, join_proof: str(64), caps: array(str(32), 8) });

/** One server in a WELCOME list; the id key is `server_id` (ours, G43) or `user_id` (spec example); `ticket` is ours. */
export interface ServerEntry { server_id?: string; user_id?: string; host: string; port: number; pubkey: string; ticket?: Record<string, unknown> }
const serverEntry: Check<ServerEntry> = (v, p) => {
  const e = obj({ host, port, pubkey }, { server_id: id, user_id: id, ticket: anyObject })(v, p);
  if (e.server_id === undefined && e.user_id === undefined) throw new SchemaError(p, 'entry has no server_id/user_id');
  return e;
};

/**
 * SERVER_WELCOME: we send both lists; peers may send either (§9.1 [profile]). `ticket`: the
 * joiner's admission ticket (ours). An introducer that is itself a server (another
 * implementation) describes only itself: `{server_id, server_pub, snapshot, assigned_id: null}`,
 * no list; `snapshot` (its state, in its own shape) is not read.
 */
export interface ServerWelcomePayload {
  assigned_id: string | null; servers?: ServerEntry[]; clients?: ServerEntry[]; ticket?: Record<string, unknown>;
  server_id?: string; server_pub?: string; snapshot?: unknown;
}
export const serverWelcomePayload: Check<ServerWelcomePayload> = obj(
  { assigned_id: nullable(id) },
  { servers: array(serverEntry), clients: array(serverEntry), ticket: anyObject, server_id: id, server_pub: pubkey },
);

export interface WelcomeServer { server_id: string; host: string; port: number; pubkey: string; ticket?: Record<string, unknown> }
/**
 * Normalised WELCOME list: `servers`, else `clients`; id from `server_id`, else `user_id`. A
 * WELCOME whose sender describes itself (`server_id` + `server_pub`) adds that server at the
 * address we joined (`joinedAt`): the introducer is itself a server, reached where we reached it.
 */
export function welcomeServers(p: ServerWelcomePayload, joinedAt?: { host: string; port: number }): WelcomeServer[] {
  const listed = (p.servers ?? p.clients ?? []).map((e) => {
    const s: WelcomeServer = { server_id: (e.server_id ?? e.user_id)!, host: e.host, port: e.port, pubkey: e.pubkey };
    if (e.ticket !== undefined) s.ticket = e.ticket;
    return s;
  });
  const self = welcomeSender(p);
  if (self === undefined || joinedAt === undefined || listed.some((s) => s.server_id === self.server_id)) return listed;
  return [...listed, { ...self, host: joinedAt.host, port: joinedAt.port }];
}

/** The WELCOME's own sender, when it describes itself as a server (`server_id` and `server_pub`). */
export function welcomeSender(p: ServerWelcomePayload): { server_id: string; pubkey: string } | undefined {
  return p.server_id !== undefined && p.server_pub !== undefined ? { server_id: p.server_id, pubkey: p.server_pub } : undefined;
}

/**
 * SERVER_ANNOUNCE: the address form (ServerAddrPayload, ours and the spec's), or — another
 * implementation — `{server_id, user_locations}` with no address and no key: a server we have
 * already pinned (its WELCOME, hello or an earlier announce) says it is there. `user_locations`
 * is not read: presence comes from USER_ADVERTISE, which carries each user's key.
 */
export interface BareAnnouncePayload { server_id: string; user_locations?: Record<string, unknown>; host?: undefined; port?: undefined; pubkey?: undefined }
export type ServerAnnouncePayload = ServerAddrPayload | BareAnnouncePayload;
const bareAnnouncePayload: Check<BareAnnouncePayload> = obj({ server_id: id }, { user_locations: anyObject }) as unknown as Check<BareAnnouncePayload>;
/** An announce with none of host/port/pubkey and a `server_id` is the bare form; anything else must be the full address form. */
export const serverAnnouncePayload: Check<ServerAnnouncePayload> = (v, p) => {
  const o = anyObject(v, p);
  const bare = o['host'] === undefined && o['port'] === undefined && o['pubkey'] === undefined && o['server_id'] !== undefined;
  return bare ? bareAnnouncePayload(v, p) : serverAddrPayload(v, p);
};
/** The address and key a hello or announce carries, or undefined for a bare announce. */
export function announcedAddr(p: ServerAnnouncePayload): ServerAddrPayload | undefined {
  return typeof p.pubkey === 'string' ? (p as ServerAddrPayload) : undefined;
}

/**
 * USER_ADVERTISE (§9.2): pubkey at top level (ours, G12) or in meta.pubkey (G43). `proof` (ours):
 * the user's own bound USER_HELLO to the advertising server (routing/hello-proof.ts), checked by
 * every server before it treats the user as having proven its key.
 */
export interface UserAdvertisePayload { user_id: string; server_id: string; meta: Record<string, unknown>; pubkey?: string; proof?: Record<string, unknown> }
export const userAdvertisePayload: Check<UserAdvertisePayload> = obj({ user_id: id, server_id: id, meta: anyObject }, { pubkey, proof: anyObject });

/** The advertised user key: top-level first, then meta.pubkey ([profile] "read top-level first"). */
export function advertisedPubkey(p: UserAdvertisePayload): string | undefined {
  if (typeof p.pubkey === 'string') return p.pubkey;
  const m = p.meta['pubkey'];
  return typeof m === 'string' ? m : undefined;
}
/** Display label: meta.display_name, else meta.username (G43), else meta.name (G12). */
export function advertisedName(meta: Record<string, unknown>): string | undefined {
  for (const k of ['display_name', 'username', 'name']) {
    const v = meta[k];
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) return v;
  }
  return undefined;
}

/** USER_REMOVE (§9.2). */
export interface UserRemovePayload { user_id: string; server_id: string }
export const userRemovePayload: Check<UserRemovePayload> = obj({ user_id: id, server_id: id });

/** HEARTBEAT: `{}` (ours) or `{"now": <unix s>}` (tolerated; Python peers send a float). */
export interface HeartbeatPayload { now?: number }
export const heartbeatPayload: Check<HeartbeatPayload> = obj({}, { now: num });

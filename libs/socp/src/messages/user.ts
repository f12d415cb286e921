/**
 * User ↔ server session payloads: USER_HELLO (§10.1) and the /list exchange ([profile] §15).
 */
import { MAX_USER_CAP_CHARS, MAX_USER_CAPS, USER_CAP_RE } from '../constants';
import { array, id, obj, pubkey, str, text, type Check } from './schema';

/** USER_HELLO: first frame of a user connection. `client` and `enc_pubkey` are tolerated absent. */
/** `nonce` (extension, docs/accounts.md): the LOGIN_RESULT nonce an account user's signed hello must carry. */
/** `queue_ack` (extension, docs/accounts.md): `true` = this client ACKs queued DMs; not validated, any other value means no. */
/** `meta.caps` (extension, docs/protocol.md "User capabilities"): what the client speaks beyond the standard, e.g. ["file-blocks"]. */
export interface UserHelloPayload { client?: string; pubkey: string; enc_pubkey?: string; meta?: Record<string, unknown>; nonce?: string; queue_ack?: unknown }
const userCap = str(MAX_USER_CAP_CHARS, USER_CAP_RE);
export const userHelloPayload: Check<UserHelloPayload> = obj({ pubkey }, {
  client: text, enc_pubkey: pubkey, meta: obj({}, { display_name: str(64), username: str(64), caps: array(userCap, MAX_USER_CAPS) }), nonce: str(64),
});

/**
 * The capabilities a hello's or an advertisement's meta lists: its well-formed tokens (a string
 * list; anything else means none), without repeats, at most MAX_USER_CAPS — what servers keep and
 * relay, and clients read.
 */
export function userCaps(meta: Record<string, unknown> | undefined): string[] {
  const v = meta?.['caps'];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const c of v) {
    if (out.length >= MAX_USER_CAPS) break;
    if (typeof c === 'string' && c.length <= MAX_USER_CAP_CHARS && USER_CAP_RE.test(c) && !out.includes(c)) out.push(c);
  }
  return out;
}

/** LIST_REQUEST: empty payload. */
export type ListRequestPayload = Record<string, unknown>;
export const listRequestPayload: Check<ListRequestPayload> = obj({});

export interface ListedUser { user_id: string; server_id: string; display_name?: string }
/** LIST_RESPONSE: sorted ids plus entries (one peer's client reads `online_users`). */
export interface ListResponsePayload { online_users: string[]; users: ListedUser[] }
export const listResponsePayload: Check<ListResponsePayload> = obj({
  online_users: array(id),
  users: array(obj({ user_id: id, server_id: id }, { display_name: str(64) })),
});

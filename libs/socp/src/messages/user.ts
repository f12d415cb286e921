/**
 * User ↔ server session payloads: USER_HELLO (§10.1) and the /list exchange ([profile] §15).
 */
import { array, id, obj, pubkey, str, text, type Check } from './schema';

/** USER_HELLO: first frame of a user connection. `client` and `enc_pubkey` are tolerated absent. */
/** `nonce` (extension, docs/accounts.md): the LOGIN_RESULT nonce an account user's signed hello must carry. */
/** `queue_ack` (extension, docs/accounts.md): `true` = this client ACKs queued DMs; not validated, any other value means no. */
export interface UserHelloPayload { client?: string; pubkey: string; enc_pubkey?: string; meta?: Record<string, unknown>; nonce?: string; queue_ack?: unknown }
export const userHelloPayload: Check<UserHelloPayload> = obj({ pubkey }, { client: text, enc_pubkey: pubkey, meta: obj({}, { display_name: str(64), username: str(64) }), nonce: str(64) });

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

/**
 * Account extension frames (docs/accounts.md): OPAQUE sign-up and log-in held by the user's
 * home server, before USER_HELLO on a user connection. Only our clients send them, and only
 * to our servers; a peer that does not know them answers ERROR UNKNOWN_TYPE (decodeFrame) and
 * our client falls back to a spec-only USER_HELLO.
 *
 * OPAQUE messages are the base64url strings of @serenity-kit/opaque (ristretto255); all fields
 * are bounded here so a hostile peer cannot make the server hold large blobs.
 */
import { pubkey, str, obj, type Check } from './schema';

/** Upper bound of one OPAQUE message (the largest, a login response, is ~430 chars). */
export const MAX_OPAQUE_MESSAGE_CHARS = 1024;
/** Upper bound of the encrypted private key blob (RSA-4096 PKCS#8 ≈ 3.2 k chars in base64url). */
export const MAX_PRIVKEY_STORE_CHARS = 8192;
/** The login nonce a USER_HELLO of an account user must carry: 32 random bytes, base64url. */
export const LOGIN_NONCE_BYTES = 32;

const opaqueMsg = str(MAX_OPAQUE_MESSAGE_CHARS, /^[A-Za-z0-9_-]+={0,2}$/);
const userName = str(32, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/);
const nonce = str(64, /^[A-Za-z0-9_-]+$/);
const privkeyStore = str(MAX_PRIVKEY_STORE_CHARS);

/** User → server, signed with the new user key (from = the new user_id). */
export interface AccountRegisterStartPayload { username: string; pubkey: string; registration_request: string }
export const accountRegisterStartPayload: Check<AccountRegisterStartPayload> = obj({ username: userName, pubkey, registration_request: opaqueMsg });

/** Server → user, signed by the server. */
export interface AccountRegisterResponsePayload { registration_response: string }
export const accountRegisterResponsePayload: Check<AccountRegisterResponsePayload> = obj({ registration_response: opaqueMsg });

/** User → server, signed with the user key: the OPAQUE record and the encrypted private key. */
export interface AccountRegisterFinishPayload { registration_record: string; privkey_store: string }
export const accountRegisterFinishPayload: Check<AccountRegisterFinishPayload> = obj({ registration_record: opaqueMsg, privkey_store: privkeyStore });

/** User → server, unsigned (the client holds no key yet); from = a random UUID. */
export interface LoginStartPayload { username: string; start_login_request: string }
export const loginStartPayload: Check<LoginStartPayload> = obj({ username: userName, start_login_request: opaqueMsg });

/** Server → user, signed by the server. Sent for unknown names too (OPAQUE fake record). */
export interface LoginChallengePayload { login_response: string }
export const loginChallengePayload: Check<LoginChallengePayload> = obj({ login_response: opaqueMsg });

/** User → server, unsigned: the OPAQUE proof that the client knows the password. */
export interface LoginFinishPayload { finish_login_request: string }
export const loginFinishPayload: Check<LoginFinishPayload> = obj({ finish_login_request: opaqueMsg });

/**
 * Server → user, signed by the server, after ACCOUNT_REGISTER_FINISH or a proven LOGIN_FINISH:
 * the account (user_id, pubkey, privkey_store) and the nonce the USER_HELLO must carry.
 */
export interface LoginResultPayload { user_id: string; username: string; pubkey: string; privkey_store: string; nonce: string; server_id: string; server_pub: string }
export const loginResultPayload: Check<LoginResultPayload> = obj({
  user_id: str(64), username: userName, pubkey, privkey_store: privkeyStore, nonce, server_id: str(64), server_pub: pubkey,
});

/** Frame types that may arrive on a user connection before USER_HELLO. */
export const ACCOUNT_REQUEST_TYPES = ['ACCOUNT_REGISTER_START', 'ACCOUNT_REGISTER_FINISH', 'LOGIN_START', 'LOGIN_FINISH'] as const;

/**
 * Bounds on the routing tables (S7): every table the core grows from network input is capped,
 * and input that would pass a cap is refused instead of evicting legitimate state.
 */

/** Users connected to this server at once. */
export const MAX_LOCAL_USERS = 50_000;
/** Users known anywhere in the mesh (directory of online users). */
export const MAX_KNOWN_USERS = 200_000;
/** user_id → first-key bindings kept (persisted; a user id is bound to its first key forever). */
export const MAX_USER_BINDINGS = 1_000_000;
/** Servers we pin keys for and dial. */
export const MAX_KNOWN_SERVERS = 1_000;
/** Distinct display names / usernames bound on this server. */
export const MAX_NAME_BINDINGS = 1_000_000;
/** Password accounts held by one server (docs/accounts.md; routing/accounts.ts). */
export const MAX_ACCOUNTS = 100_000;
/**
 * Users listed in one LIST_RESPONSE: ~150 bytes per entry (id twice, server id, name) keeps the
 * frame well under MAX_FRAME_BYTES; clients get the full roster from USER_ADVERTISE anyway.
 */
export const MAX_LIST_RESPONSE_USERS = 5_000;
/**
 * A peer's HELLO_LINK makes us re-advertise every local user to it (one signature each); at most
 * once per this interval per server, so a peer repeating HELLO_LINK cannot make us sign in a loop.
 */
export const HELLO_REPLAY_MIN_INTERVAL_MS = 1_000;
/**
 * Canonical JSON characters of a gossiped USER_ADVERTISE's meta: G43 puts the PEM-b64url key
 * there (~1.1 KB) beside the names; anything larger is refused (the frame is relayed unchanged,
 * so an unbounded meta would be stored by nobody but still travel the whole mesh).
 */
export const MAX_ADVERTISE_META_CHARS = 4_096;
/**
 * USER_ADVERTISEs waiting for another server to let go of their user (a user moving between
 * servers races its USER_REMOVE). One per user; past this, new claims are refused without waiting.
 */
export const MAX_PENDING_CLAIMS = 10_000;

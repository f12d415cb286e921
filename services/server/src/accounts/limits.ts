/** Named limits of the account extension (docs/accounts.md). */
/** LOGIN_START attempts per user name within LOGIN_WINDOW_MS before the name is refused. */
export const LOGIN_ATTEMPTS_PER_NAME = 5;
/** LOGIN_START / ACCOUNT_REGISTER_START attempts on one connection before it is closed. */
export const LOGIN_ATTEMPTS_PER_CONNECTION = 3;
/** The window of the per-name counter (a success clears it). */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** A started OPAQUE exchange must finish within this time. */
export const LOGIN_STEP_TIMEOUT_MS = 30_000;
/** Registered accounts held by one server. */
export const MAX_ACCOUNTS = 100_000;

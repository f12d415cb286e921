/** Named limits of the account extension (docs/accounts.md "Rate limits"). */
/** LOGIN_START / ACCOUNT_REGISTER_START attempts on one connection before it is closed. */
export const LOGIN_ATTEMPTS_PER_CONNECTION = 3;
/** A started OPAQUE exchange must finish within this time. */
export const LOGIN_STEP_TIMEOUT_MS = 30_000;

/*
 * Log-in back-off (login-throttle.ts). With OPAQUE a LOGIN_START is one password guess (the
 * client learns from LOGIN_CHALLENGE alone whether its password was right), so a log-in that
 * does not end in a good LOGIN_FINISH is a failure: counted when that is known (a bad FINISH,
 * the connection closing, the next LOGIN_START on it), never at LOGIN_START, and never against
 * a source that has not failed. Scores decay with LOGIN_FAILURE_HALF_LIFE_MS; past its free
 * failures a key waits LOGIN_BACKOFF_BASE_MS, doubled per further failure, at most
 * LOGIN_BACKOFF_MAX_MS.
 */
/** Failures of one name from one source address before it backs off: a person's typos. */
export const LOGIN_FREE_FAILURES_PER_NAME_SOURCE = 5;
/**
 * Failures from one source address (any names) before it backs off: higher, since a NAT or a
 * lab shares an address, but it bounds spraying guesses over many names.
 */
export const LOGIN_FREE_FAILURES_PER_SOURCE = 20;
/**
 * Failures of one name (all sources) past which it counts as under attack: each source then
 * gets one free failure for it instead of LOGIN_FREE_FAILURES_PER_NAME_SOURCE, bounding guesses
 * from many addresses. A source that has not failed is never held back, so the owner, who
 * knows the password, still gets in.
 */
export const LOGIN_NAME_UNDER_ATTACK_FAILURES = 20;
/** First wait past the free failures: long enough to make guessing slow, short for a person. */
export const LOGIN_BACKOFF_BASE_MS = 30_000;
/** Longest wait (the doubling stops here): ~4 guesses an hour per name and source. */
export const LOGIN_BACKOFF_MAX_MS = 15 * 60_000;
/** Failure scores halve in this time, so back-off fades for people and persists for attackers. */
export const LOGIN_FAILURE_HALF_LIFE_MS = 15 * 60_000;
/**
 * Log-ins from one source address started and not yet settled: a failure is only known when an
 * attempt ends, so this bounds the guesses one address has in flight before they are counted.
 */
export const LOGIN_IN_FLIGHT_PER_SOURCE = 8;
/** Back-off entries kept per kind (source, name, name+source); the oldest is dropped past it. */
export const LOGIN_THROTTLE_ENTRIES = 100_000;

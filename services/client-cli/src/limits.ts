/**
 * Limits of the CLI's shell (sockets, disk, keystore), each with its unit in the name. Protocol
 * limits and the user core's (message size, parts, roster, replay window) come from
 * @socp/protocol (constants.ts, user/limits.ts).
 */
import { OAEP_MAX_PLAINTEXT_BYTES } from '@socp/protocol';

/** Plaintext bytes per FILE_CHUNK we send: one full OAEP block. */
export const FILE_CHUNK_BYTES = OAEP_MAX_PLAINTEXT_BYTES;
/** Socket bytes queued before the sender waits for the socket to drain. */
export const SEND_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * A server socket silent this long (no frame, no pong to our pings every third of it) is
 * taken for dead and closed, which starts a reconnect: a half-open link after a network
 * blip is noticed. Matches the servers' SOCP_DEAD_AFTER_MS default; SOCP_DEAD_AFTER_MS sets it.
 */
export const LINK_DEAD_AFTER_MS = 45_000;
export const MIN_LINK_DEAD_AFTER_MS = 1_000;
export const MAX_LINK_DEAD_AFTER_MS = 600_000;
/** How often idle transfers and stale split messages are swept. */
export const SWEEP_INTERVAL_MS = 5_000;
/** User names: what `signup` accepts (also the keystore file name). */
export const USER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** scrypt cost for the keystore (N = 2^15, r = 8, p = 1: ~100 ms, 32 MiB). */
export const SCRYPT_N = 2 ** 15;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;

/**
 * Limits of the CLI's shell (sockets, disk, keystore), each with its unit in the name. Protocol
 * limits and the user core's (message size, parts, roster, replay window) come from
 * @socp/protocol (constants.ts, user/limits.ts).
 */

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
/**
 * Frames received but not handled yet (the session handles them in order, a file chunk's blocks
 * decrypting on the threadpool meanwhile) before we stop reading from the socket: 256 multi-block
 * chunks are ~3.5 MB, twice the windows of MAX_CONCURRENT_TRANSFERS senders (4 × 32 chunks, user
 * core file-acks.ts). Past it the server buffers, and closes us as a slow consumer if that lasts,
 * as it would any client that reads too slowly.
 */
export const MAX_INBOUND_BACKLOG_FRAMES = 256;
/** How often idle transfers and stale split messages are swept. */
export const SWEEP_INTERVAL_MS = 5_000;
/** User names: what `signup` accepts (also the keystore file name). */
export const USER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** scrypt cost for the keystore (N = 2^15, r = 8, p = 1: ~100 ms, 32 MiB). */
export const SCRYPT_N = 2 ** 15;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;

/** Transport limits of the server shell (S7); protocol-wide ones live in @socp/protocol constants. */

/** Sustained frames per second one user connection may send (token bucket refill rate). */
export const USER_FRAMES_PER_SEC = 200;
/** Burst a user connection may send at once (token bucket size). Files stream ~1 chunk per frame. */
export const USER_FRAME_BURST = 400;
/** Server links carry gossip for whole meshes: a larger bucket. */
export const SERVER_FRAMES_PER_SEC = 5_000;
export const SERVER_FRAME_BURST = 20_000;
/** Sealed frames kept for reuse (presence snapshots re-send the same advertisement to every new user). */
export const SEAL_CACHE_ENTRIES = 20_000;
/** Connections this server accepts at once (users + servers + pending). */
export const MAX_CONNECTIONS = 60_000;
/** On shutdown, time connections get to finish the 1000 close handshake before they are cut. */
export const SHUTDOWN_GRACE_MS = 1_000;

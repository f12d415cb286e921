/** Transport limits of the server shell (S7); protocol-wide ones live in @socp/protocol constants. */

/** Sustained frames per second one user connection may send, FILE_CHUNKs aside (token bucket refill rate). */
export const USER_FRAMES_PER_SEC = 200;
/** Burst a user connection may send at once (token bucket size), FILE_CHUNKs aside. */
export const USER_FRAME_BURST = 400;
/**
 * FILE_CHUNKs have their own, larger budget: a chunk carries at most 446 bytes, so at 200/s a
 * 1 MiB file (2,352 chunks) could not take less than 11.8 s whatever the CPU. 1,500 chunks/s
 * (≈ 650 KiB/s) is about what a server can sign on an idle 2-core machine (one signature per
 * chunk): a sender cannot push a server far past what it can do, and the effect runner's
 * backlog bound (MAX_PENDING_SIGNATURES) pauses readers beyond that.
 */
export const USER_FILE_CHUNKS_PER_SEC = 1_500;
export const USER_FILE_CHUNK_BURST = 3_000;
/**
 * LIST_REQUESTs have their own budget on top of the frame budget: each answer costs a signature
 * and a LIST_RESPONSE of up to MAX_LIST_RESPONSE_USERS entries (~150 KB at 1,000 users). Under
 * the frame budget alone, a client that asked 350 times in a burst had the server build and hold
 * all 350 (≈ 200 MB of RSS) before its slow-consumer close. 10/s (bursts of 20) is far beyond a
 * person's `/list` and bounds that to 20 answers.
 */
export const USER_LISTS_PER_SEC = 10;
export const USER_LIST_BURST = 20;
/** Server links carry gossip for whole meshes: a larger bucket. */
export const SERVER_FRAMES_PER_SEC = 5_000;
export const SERVER_FRAME_BURST = 20_000;
/**
 * Signatures queued or running in the effect runner before the server stops reading from user
 * connections (TCP backpressure to the senders); it reads again once half of them are done.
 * Bounds the work (and memory) a fast sender can queue: ~0.2–0.5 s of signing.
 */
export const MAX_PENDING_SIGNATURES = 256;
/**
 * Bytes buffered in a socket before further frames wait in its outbox as references (shared
 * Buffers) instead of as queued writes; they go out as the socket drains.
 */
export const OUTBOUND_SOFT_BYTES = 256 * 1024;
/** Sealed frames kept for reuse (presence snapshots re-send the same advertisement to every new user). */
export const SEAL_CACHE_ENTRIES = 20_000;
/** Connections this server accepts at once (users + servers + pending). */
export const MAX_CONNECTIONS = 60_000;
/** On shutdown, time connections get to finish the 1000 close handshake before they are cut. */
export const SHUTDOWN_GRACE_MS = 1_000;

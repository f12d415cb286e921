/** Transport limits of the server shell (S7); protocol-wide ones live in @socp/protocol constants. */

/** Sustained frames per second one user connection may send, FILE_CHUNKs aside (token bucket refill rate). */
export const USER_FRAMES_PER_SEC = 200;
/** Burst a user connection may send at once (token bucket size), FILE_CHUNKs aside. */
export const USER_FRAME_BURST = 400;
/**
 * FILE_CHUNKs have their own, larger budget: a spec chunk carries at most 446 bytes, so at 200/s
 * a 1 MiB file (2,352 chunks) could not take less than 11.8 s whatever the CPU. 1,500 chunks/s
 * (≈ 650 KiB/s of spec chunks) is about what a server can sign on an idle 2-core machine (one
 * signature per chunk): a sender cannot push a server far past what it can do, and the effect
 * runner's backlog bound (MAX_PENDING_SIGNATURES) pauses readers beyond that. A multi-block
 * chunk (up to MAX_FILE_CHUNK_BLOCKS × 446 bytes, between clients that declared `file-blocks`)
 * still costs one signature, so it counts as one here; its frame is at most ~14 KB.
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
/**
 * Signatures one user connection may make its server (and the mesh) spend, per second and in a
 * burst (transport/signature-cost.ts prices each frame). A DM costs one, so DMs are held by the
 * frame budget first; a MSG_PUBLIC_CHANNEL to "public" costs one per user online anywhere (every
 * server re-signs it for each of its users), which under the frame budget alone let one user
 * make a 1,000-user mesh sign 200,000 times a second. 200/s is what one connection could cost
 * with one-signature frames; a frame dearer than the burst is admitted only from a full bucket
 * and leaves the connection in debt (so "/all" to "public" still works once per cost/200 s).
 * FILE_CHUNKs (one signature each) are held by their own budget above.
 */
export const USER_SIGNATURES_PER_SEC = 200;
export const USER_SIGNATURE_BURST = 1_000;
/**
 * Answers (ERROR, LOGIN_CHALLENGE, …) a connection gets before it has identified itself: a real
 * client needs at most a log-in (3 tries: 3 challenges, 1 result) and an error or two. Past it
 * the connection is closed 1008 without signing anything more — a junk sender used to get one
 * freshly RSA-4096-signed ERROR per frame (300 for 300).
 */
export const MAX_ANSWERS_BEFORE_HELLO = 8;
/**
 * Signatures of generic ERROR payloads ({code, detail} naming nobody) and of the empty HEARTBEAT
 * payload kept for reuse: the transport sig covers only the payload (§8.1), so the same refusal
 * is signed once, not per frame. Attacker-chosen details (an unknown type's name) can only churn
 * this small set.
 */
export const ANSWER_SIG_CACHE_ENTRIES = 256;
/**
 * Default caps per source address (SOCP_MAX_CONNS_PER_IP / SOCP_MAX_PENDING_PER_IP; IPv6 counted
 * per /64, the block one subscriber gets). 256 open connections lets a campus NAT in; 32 not yet
 * identified bounds the sockets, hello timers and pre-hello answers one host can hold open
 * (a client is pending for one round trip, or the few of a log-in). Local meshes and load tests
 * run everything from 127.0.0.1 and raise both.
 */
export const DEFAULT_MAX_CONNS_PER_IP = 256;
export const DEFAULT_MAX_PENDING_PER_IP = 32;
/** Refused connections are logged at most once per this interval (with the count since), so a flood cannot flood the log. */
export const REFUSAL_LOG_INTERVAL_MS = 1_000;
/** Server links carry gossip for whole meshes: a larger bucket. */
export const SERVER_FRAMES_PER_SEC = 5_000;
export const SERVER_FRAME_BURST = 20_000;
/**
 * Signatures queued or running in the effect runner before the server stops reading from its
 * connections, server links included (TCP backpressure to the senders); it reads again once half
 * of them are done. Bounds the work (and memory) a fast sender can queue: ~0.2–0.5 s of signing.
 * Silence while we are not reading does not count against a link's liveness (link-manager.ts).
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

/**
 * Every limit and timing of the protocol, as named constants with their unit in the name.
 * Each cites the SPEC.md section it comes from, or says why we chose it.
 */

/** §5: RSA-4096 only. */
export const RSA_MODULUS_BITS = 4096;
/** §5 [profile]: reject any other public exponent (small exponents are the "weak key" backdoor). */
export const RSA_PUBLIC_EXPONENT = 65537;
/** §5: OAEP-SHA256 plaintext limit for a 4096-bit key: 512 − 2·32 − 2. */
export const OAEP_MAX_PLAINTEXT_BYTES = 446;
/** §5: an RSA-4096 ciphertext or signature is always 512 bytes. */
export const RSA_BLOCK_BYTES = 512;
/** base64url (unpadded) length of one 512-byte block. */
export const RSA_BLOCK_B64URL_CHARS = 683;
/** §5 [profile]: PSS salt = max for RSA-4096/SHA-256 (512 − 32 − 2). */
export const PSS_MAX_SALT_BYTES = 478;
/**
 * Upper bound on an encoded public key, and on every field that may carry one (wrapped channel
 * keys too): base64url of a PEM with CRLF line ends, the longest legal form, is ~1.1 KB.
 */
export const MAX_PUBKEY_CHARS = 2048;
/** Upper bound on any base64url field that holds one RSA block (tolerates padding and a PEM-ish slack). */
export const MAX_B64_BLOCK_CHARS = 700;

/**
 * Largest WebSocket text message accepted (§3). 1 MiB: the largest legitimate frames are
 * SERVER_WELCOME lists (~1.7 KB per server, sent twice) and LIST_RESPONSE rosters; applied
 * both as the ws `maxPayload` and again in `decodeFrame`.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * SERVER_DELIVER_BATCH (our extension, docs/contracts.md "Delivery batches"): at most this many
 * deliveries under one server signature. A batch forms only while the sending server is still
 * signing for that link, so it rarely nears this; 64 DMs are ~170 KB, 64 sixteen-block file
 * chunks ~750 KB, both under MAX_FRAME_BYTES (the sender also caps a batch's bytes).
 */
export const MAX_DELIVER_BATCH = 64;
/** Bytes of deliveries (their payloads' JSON) a sender puts in one batch: half of MAX_FRAME_BYTES. */
export const MAX_DELIVER_BATCH_BYTES = 512 * 1024;
/** Nesting depth accepted in a frame's JSON (guards the recursive canonicaliser). */
export const MAX_JSON_DEPTH = 16;
/** Free-text fields (client string, ERROR detail, display names). */
export const MAX_TEXT_CHARS = 1024;
/** host names in SERVER_HELLO_* payloads (RFC 1035 limit). */
export const MAX_HOST_CHARS = 253;
/** Entries of a SERVER_WELCOME / LIST_RESPONSE / PUBLIC_CHANNEL_* list. */
export const MAX_LIST_ENTRIES = 20000;

/** §13: HEARTBEAT every 15 s on every server link. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** §13: a link silent for 45 s is dead. */
export const PEER_DEAD_AFTER_MS = 45_000;
/** §13 [profile]: reconnect backoff table, capped; each step gets ±20 % jitter. */
export const RECONNECT_BACKOFF_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000];
export const RECONNECT_JITTER_RATIO = 0.2;

/** §12 [profile]: seen_ids TTL 2–5 min; we keep 5 min. */
export const SEEN_IDS_TTL_MS = 5 * 60_000;
/** §12 [profile]: seen_ids bounded LRU (~10k); we keep 100k because 10k users advertise at once. */
export const SEEN_IDS_CAPACITY = 100_000;
/**
 * Freshness window for client-originated frames: a frame whose `ts` is further than this
 * from the server's clock is refused (bounds what the dedupe cache must remember).
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** §10.4 [profile]: FILE_CHUNK plaintext ≤ one OAEP block — the spec form, what every recipient takes. */
export const MAX_FILE_CHUNK_BYTES = OAEP_MAX_PLAINTEXT_BYTES;
/**
 * Multi-block FILE_CHUNKs (extension, docs/protocol.md "Multi-block file chunks"): between
 * clients that both declared CAP_FILE_BLOCKS, a FILE_CHUNK's ciphertext is up to this many
 * 512-byte OAEP blocks under one content_sig, so one set of four signatures (sender content_sig
 * and sig, each server's sig) covers 16 × 446 = 7,136 bytes instead of 446. Private operations
 * per MiB (4 per chunk, 1 per block decrypted, 5 per ack of 8 chunks; the 2,352 decrypts are the
 * floor): 11,760 at one block, 3,708 at 8, 3,030 at 16, 2,693 at 32 — 16 gets 93 % of what any k
 * can. Measured (bench --quick, 1 MiB, load 11–14): 6.5 s at 8, 5.3–6.0 s at 16, 4.8 s at 32
 * (within this machine's noise of 16), 23–30 s at one block. Not 32: its frames are 24 KB against
 * 13.3 KB (each far under MAX_FRAME_BYTES), and the bytes one connection's FILE_CHUNK budget
 * (1,500/s, one signature each: services/server transport/limits.ts) pushes through the mesh
 * would be 36 MB/s against 20 MB/s, for 11 % fewer operations.
 */
export const MAX_FILE_CHUNK_BLOCKS = 16;
/** Plaintext of a multi-block FILE_CHUNK: MAX_FILE_CHUNK_BLOCKS full OAEP blocks. */
export const MAX_MULTI_BLOCK_CHUNK_BYTES = MAX_FILE_CHUNK_BLOCKS * OAEP_MAX_PLAINTEXT_BYTES;
/** base64url length of a FILE_CHUNK's ciphertext: MAX_FILE_CHUNK_BLOCKS blocks, padding tolerated (10,924). */
export const MAX_FILE_CHUNK_CIPHERTEXT_CHARS = Math.ceil((MAX_FILE_CHUNK_BLOCKS * RSA_BLOCK_BYTES) / 3) * 4;
/** Largest file a client accepts (memory and disk bound on the receiver). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Concurrent incoming transfers a client keeps open. */
export const MAX_CONCURRENT_TRANSFERS = 4;
/** A receiver drops a transfer that saw no chunk for this long. */
export const FILE_TRANSFER_IDLE_MS = 60_000;

/**
 * User capabilities (extension, docs/protocol.md "User capabilities"): a client lists what it
 * speaks beyond the standard in USER_HELLO `meta.caps`, and servers relay the list in every
 * USER_ADVERTISE's `meta.caps`, so each client sees it for every user. Servers store it with
 * the user (directory, Redis), so it is bounded: at most MAX_USER_CAPS tokens of at most
 * MAX_USER_CAP_CHARS characters each (256 characters per user, whatever a hello or a peer
 * server sends; the extra entries of a gossiped list are dropped).
 */
export const MAX_USER_CAPS = 8;
export const MAX_USER_CAP_CHARS = 32;
/** A capability token: lower-case letters, digits, `-`, `.`, `/` (a version suffix, e.g. `x/2`). */
export const USER_CAP_RE = /^[a-z0-9][a-z0-9./-]*$/;
/** The capability of multi-block FILE_CHUNKs (MAX_FILE_CHUNK_BLOCKS) and their acknowledgements (user/file-acks.ts). */
export const CAP_FILE_BLOCKS = 'file-blocks';

/** Outbound bytes buffered on one socket before it is closed as a slow consumer (S8). */
export const MAX_OUTBOUND_BUFFER_BYTES = 8 * 1024 * 1024;
/** Time a new connection has to send its identifying first frame. */
export const HELLO_TIMEOUT_MS = 10_000;
/**
 * A socket we close gets this long to finish the close handshake before it is cut (ws itself
 * waits 30 s). Nothing is cut without a close frame first: a peer whose socket is cut without
 * one (an abnormal 1006 close) may treat it as a crash — one peer's server process exits on it.
 */
export const CLOSE_GRACE_MS = 2_000;
/** Time a join waits for SERVER_WELCOME before failing over to the next introducer (§9.1). */
export const JOIN_TIMEOUT_MS = 10_000;
/** §9.1: the bootstrap list must hold at least three introducers (warned, not enforced, for dev meshes). */
export const MIN_BOOTSTRAP_ENTRIES = 3;

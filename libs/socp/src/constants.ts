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

/** §10.4 [profile]: FILE_CHUNK plaintext ≤ one OAEP block. */
export const MAX_FILE_CHUNK_BYTES = OAEP_MAX_PLAINTEXT_BYTES;
/** Largest file a client accepts (memory and disk bound on the receiver). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Concurrent incoming transfers a client keeps open. */
export const MAX_CONCURRENT_TRANSFERS = 4;
/** A receiver drops a transfer that saw no chunk for this long. */
export const FILE_TRANSFER_IDLE_MS = 60_000;

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

/**
 * Client-side limits, each with its unit in the name. Protocol limits (OAEP block, file size,
 * concurrent transfers, idle window) come from @socp/protocol; these are the client's own.
 */
import { OAEP_MAX_PLAINTEXT_BYTES } from '@socp/protocol';

/** Longest message a user may type (UTF-8 bytes); longer text is refused, not truncated. */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Parts one split message may have: ceil(MAX_MESSAGE_BYTES / part body) with slack. */
export const MAX_MESSAGE_PARTS = 64;
/** Split messages still incomplete after this long are dropped with a warning. */
export const PART_REASSEMBLY_TIMEOUT_MS = 60_000;
/** Incomplete split messages kept at once (oldest dropped first). */
export const MAX_PENDING_SPLIT_MESSAGES = 64;
/** Out-of-order file chunks buffered per transfer before it is abandoned. */
export const MAX_OUT_OF_ORDER_CHUNKS = 1024;
/** Plaintext bytes per FILE_CHUNK we send: one full OAEP block. */
export const FILE_CHUNK_BYTES = OAEP_MAX_PLAINTEXT_BYTES;
/** Received (sender, ts, content_sig) triples remembered to drop replays. */
export const RECEIVED_DEDUPE_CAPACITY = 10_000;
/** Keys remembered per user_id for the whole session, to flag a key swap. */
export const MAX_REMEMBERED_KEYS = 10_000;
/** Users kept in the roster (a hostile server cannot grow it without bound). */
export const MAX_ROSTER_USERS = 20_000;
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

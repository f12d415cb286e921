/**
 * Limits of the user side (a client), each with its unit in the name. Limits shared with servers
 * (OAEP block, file size, concurrent transfers, idle window) are in ../constants.ts; each
 * module's own bound stands beside the code it bounds (receipts.ts, dialect.ts, …).
 */
import { OAEP_MAX_PLAINTEXT_BYTES } from '../constants';

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
/**
 * Out-of-order plaintext bytes buffered per transfer before it is abandoned: what 1,024
 * single-block chunks hold (456,704), so multi-block chunks (up to 16 × 446 bytes each) do not
 * multiply the memory a sender can make us hold; 64 of those fit.
 */
export const MAX_OUT_OF_ORDER_BYTES = MAX_OUT_OF_ORDER_CHUNKS * OAEP_MAX_PLAINTEXT_BYTES;
/** Received (sender, ts, content_sig) triples remembered to drop replays. */
export const RECEIVED_DEDUPE_CAPACITY = 10_000;
/** How long a received triple is remembered (longer than any server's freshness window). */
export const RECEIVED_REPLAY_TTL_MS = 30 * 60_000;
/** Keys remembered per user_id for the whole session, to flag a key swap. */
export const MAX_REMEMBERED_KEYS = 10_000;
/** Users kept in the roster (a hostile server cannot grow it without bound). */
export const MAX_ROSTER_USERS = 20_000;
/** Longest queue_ref we accept from a server (ours are a few characters). */
export const MAX_QUEUE_REF_CHARS = 64;

/**
 * The error catalogue (S6). One table: every code, the wire code it maps onto, and a
 * WebSocket close code when the error ends the connection.
 *
 * Wire codes are the six of SOCP v1.3 §11. Internal codes (SOCP_ERR_*) name what went wrong
 * more precisely and map onto a wire code for the ERROR frame.
 */

export const WIRE_ERROR_CODES = [
  'USER_NOT_FOUND',
  'INVALID_SIG',
  'BAD_KEY',
  'TIMEOUT',
  'UNKNOWN_TYPE',
  'NAME_IN_USE',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

interface CatalogueEntry {
  /** Wire code sent in ERROR.payload.code; undefined = never sent on the wire. */
  readonly wire: WireErrorCode | undefined;
  /** WebSocket close code when the error ends the connection (RFC 6455 §7.4). */
  readonly closeCode: number | undefined;
  /** One line: thrown when… */
  readonly doc: string;
}

export const ERROR_CATALOGUE = {
  USER_NOT_FOUND: { wire: 'USER_NOT_FOUND', closeCode: undefined, doc: 'the recipient is neither local nor mapped to a server (§12 step 3)' },
  INVALID_SIG: { wire: 'INVALID_SIG', closeCode: undefined, doc: 'a sig or content_sig does not verify, or a required signature is missing' },
  BAD_KEY: { wire: 'BAD_KEY', closeCode: undefined, doc: 'a key is unparseable, not RSA, not 4096-bit, e ≠ 65537, or differs from the pinned/bound key' },
  TIMEOUT: { wire: 'TIMEOUT', closeCode: 1001, doc: 'a link was silent past the dead window, or a request got no answer' },
  UNKNOWN_TYPE: { wire: 'UNKNOWN_TYPE', closeCode: undefined, doc: 'the frame type is not one this node knows' },
  NAME_IN_USE: { wire: 'NAME_IN_USE', closeCode: 1008, doc: 'the user_id is already connected here, or the name is bound to another user_id' },
  SOCP_ERR_FRAME_TOO_LARGE: { wire: 'UNKNOWN_TYPE', closeCode: 1009, doc: 'a frame exceeds MAX_FRAME_BYTES' },
  SOCP_ERR_MALFORMED_JSON: { wire: 'UNKNOWN_TYPE', closeCode: undefined, doc: 'the text is not one JSON object' },
  SOCP_ERR_SCHEMA: { wire: 'UNKNOWN_TYPE', closeCode: undefined, doc: 'the envelope or payload does not match the schema of its type' },
  SOCP_ERR_REPLAY: { wire: 'INVALID_SIG', closeCode: undefined, doc: 'a frame was seen before (dedupe key ts|from|to|sha256) or its ts is outside the freshness window' },
  SOCP_ERR_PLAINTEXT_TOO_LONG: { wire: undefined, closeCode: undefined, doc: 'OAEP plaintext longer than 446 bytes' },
  SOCP_ERR_DECRYPT: { wire: undefined, closeCode: undefined, doc: 'an OAEP ciphertext did not decrypt under our key' },
  SOCP_ERR_UNKNOWN_SENDER: { wire: 'INVALID_SIG', closeCode: undefined, doc: 'no pinned key for the frame sender, so its sig cannot be checked' },
  SOCP_ERR_NOT_ADMITTED: { wire: 'INVALID_SIG', closeCode: 1008, doc: 'a server is not admitted to this mesh: no valid admission ticket or join proof, and no open-federation rule for it' },
  SOCP_ERR_NOT_ALLOWED: { wire: 'INVALID_SIG', closeCode: 1008, doc: 'the frame is not allowed from this peer or in this state (e.g. from ≠ the connection\'s identity)' },
  SOCP_ERR_RATE_LIMITED: { wire: 'TIMEOUT', closeCode: 1008, doc: 'a connection exceeded its frame rate limit' },
  SOCP_ERR_STORAGE_FULL: { wire: 'TIMEOUT', closeCode: undefined, doc: 'the server\'s Redis is at its maxmemory bound: new bindings, registrations and queued DMs are refused until it has room' },
  SOCP_ERR_SLOW_CONSUMER: { wire: undefined, closeCode: 1013, doc: 'a peer stopped reading and its outbound buffer passed MAX_OUTBOUND_BUFFER_BYTES' },
  SOCP_ERR_CONFIG: { wire: undefined, closeCode: undefined, doc: 'the configuration is invalid (all problems listed)' },
  SOCP_ERR_KEYSTORE: { wire: undefined, closeCode: undefined, doc: 'a keystore could not be opened (wrong password or corrupt file)' },
  SOCP_ERR_FILE_NOT_FOUND: { wire: undefined, closeCode: undefined, doc: 'a file to send does not exist (the CLI\'s /file path, resolved against SOCP_SEND_DIR)' },
  SOCP_ERR_FILE_UNREADABLE: { wire: undefined, closeCode: undefined, doc: 'a file to send cannot be sent: not a regular file, not readable, larger than MAX_FILE_BYTES, or changed while sent' },
  SOCP_ERR_INTERNAL: { wire: undefined, closeCode: 1011, doc: 'an invariant of ours broke; a bug' },
} as const satisfies Record<string, CatalogueEntry>;

export type SocpErrorCode = keyof typeof ERROR_CATALOGUE;

export class SocpError extends Error {
  readonly code: SocpErrorCode;
  readonly wire: WireErrorCode | undefined;
  readonly closeCode: number | undefined;
  constructor(code: SocpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SocpError';
    this.code = code;
    const entry: CatalogueEntry = ERROR_CATALOGUE[code];
    this.wire = entry.wire;
    this.closeCode = entry.closeCode;
  }

  /** Map a received ERROR payload back to a SocpError; unknown codes become SOCP_ERR_INTERNAL-free generic errors. */
  static fromErrorPayload(payload: { code: string; detail?: string }): SocpError {
    const code = isWireErrorCode(payload.code) ? payload.code : 'UNKNOWN_TYPE';
    const err = new SocpError(code, payload.detail ?? payload.code);
    return err;
  }
}

export function isWireErrorCode(code: string): code is WireErrorCode {
  return (WIRE_ERROR_CODES as readonly string[]).includes(code);
}

export function isSocpError(e: unknown): e is SocpError {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code in ERROR_CATALOGUE;
}

/** A value or a coded error; the library's fallible entry points return this instead of throwing. */
export type Result<T, E = SocpError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = (code: SocpErrorCode, message: string): Result<never> => ({ ok: false, error: new SocpError(code, message) });

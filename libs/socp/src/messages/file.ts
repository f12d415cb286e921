/**
 * File transfer (SPEC.md §10.4 [profile]): FILE_START manifest, FILE_CHUNK (≤446-byte
 * plaintext, OAEP under the recipient key, variant-C content_sig over the chunk ciphertext),
 * FILE_END. Routed like DMs; across servers inside SERVER_DELIVER with `inner_type`.
 * Between clients that declared the `file-blocks` capability a FILE_CHUNK's ciphertext holds up
 * to MAX_FILE_CHUNK_BLOCKS OAEP blocks (docs/protocol.md "Multi-block file chunks"); servers
 * route it unchanged, so the schema takes that length.
 */
import { b64, b64block, hex64, id, int, literal, obj, pubkey, str, type Check } from './schema';
import { MAX_FILE_CHUNK_CIPHERTEXT_CHARS, MAX_TEXT_CHARS } from '../constants';

export interface FileStartPayload { file_id: string; name: string; size: number; sha256: string; mode: 'dm' | 'public'; sender?: string }
export const fileStartPayload: Check<FileStartPayload> = obj(
  { file_id: id, name: str(MAX_TEXT_CHARS), size: int(0), sha256: hex64, mode: literal('dm', 'public') },
  { sender: id },
);

/**
 * `sender`, `sender_pub`, `content_sig` are G43's/our additions; spec clients may omit them.
 * `ciphertext`: base64url of one 512-byte OAEP block, or of up to MAX_FILE_CHUNK_BLOCKS of them
 * concatenated (the receiver checks the count, user/file-frames.ts).
 */
export interface FileChunkPayload { file_id: string; index: number; ciphertext: string; sender?: string; sender_pub?: string; content_sig?: string }
export const fileChunkPayload: Check<FileChunkPayload> = obj(
  { file_id: id, index: int(0, 10_000_000), ciphertext: b64(MAX_FILE_CHUNK_CIPHERTEXT_CHARS) },
  { sender: id, sender_pub: pubkey, content_sig: b64block },
);

export interface FileEndPayload { file_id: string; sender?: string }
export const fileEndPayload: Check<FileEndPayload> = obj({ file_id: id }, { sender: id });

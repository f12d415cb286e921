/**
 * The ciphertext of a FILE_CHUNK (docs/protocol.md "Multi-block file chunks"): base64url of k
 * RSA-OAEP blocks of 512 bytes concatenated, 1 ≤ k ≤ MAX_FILE_CHUNK_BLOCKS; block i holds bytes
 * [446·i, 446·(i+1)) of the chunk's plaintext, so the chunk is the blocks' plaintexts in order.
 * k = 1 is the standard's chunk; more only to a recipient that declared `file-blocks`.
 */
import { MAX_FILE_CHUNK_BLOCKS, OAEP_MAX_PLAINTEXT_BYTES, RSA_BLOCK_BYTES } from '../constants';
import type { RsaPublicKey } from '../crypto/keys';

/** Blocks needed for `bytes` of plaintext (an empty chunk is one block, of nothing). */
export const blocksFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / OAEP_MAX_PLAINTEXT_BYTES));

/** `plain` as consecutive OAEP blocks under `key`, concatenated. Throws RangeError past `maxBlocks`. */
export function encryptBlocks(key: RsaPublicKey, plain: Buffer, maxBlocks: number): Buffer {
  const n = blocksFor(plain.byteLength);
  if (n > maxBlocks) throw new RangeError(`a FILE_CHUNK of ${plain.byteLength} bytes needs ${n} OAEP blocks; this recipient takes ${maxBlocks}`);
  if (n === 1) return key.encrypt(plain);
  return Buffer.concat(Array.from({ length: n }, (_, i) => key.encrypt(plain.subarray(i * OAEP_MAX_PLAINTEXT_BYTES, (i + 1) * OAEP_MAX_PLAINTEXT_BYTES))));
}

/**
 * A received chunk's blocks, or why it is refused. Up to 512 bytes is one block, as it came (the
 * standard's chunk, handled as before: its decrypt decides); longer must be whole 512-byte
 * blocks, at most MAX_FILE_CHUNK_BLOCKS of them.
 */
export function splitBlocks(ciphertext: string): Buffer[] | string {
  const raw = Buffer.from(ciphertext, 'base64url'); // the schema admitted only base64url characters; decoding as before
  if (raw.byteLength <= RSA_BLOCK_BYTES) return [raw];
  if (raw.byteLength % RSA_BLOCK_BYTES !== 0) return `its ciphertext (${raw.byteLength} bytes) is not a whole number of ${RSA_BLOCK_BYTES}-byte blocks`;
  const n = raw.byteLength / RSA_BLOCK_BYTES;
  if (n > MAX_FILE_CHUNK_BLOCKS) return `it carries ${n} blocks; at most ${MAX_FILE_CHUNK_BLOCKS} are taken`;
  return Array.from({ length: n }, (_, i) => raw.subarray(i * RSA_BLOCK_BYTES, (i + 1) * RSA_BLOCK_BYTES));
}

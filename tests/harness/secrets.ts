/**
 * Secrets for tests and local meshes: random per run, never written in the repository
 * (passwords of test users, SOCP_KEY_PASSPHRASE of a local mesh).
 */
import { randomBytes } from 'node:crypto';

/** `bytes` random bytes as base64url (default 18 → 24 characters, 144 bits). */
export function randomSecret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

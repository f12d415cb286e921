/**
 * pino options (S12). main.ts calls pino(loggerOptions(level)); every connection gets a child.
 * Redaction: ciphertexts, signatures, keys and content signatures never reach the log.
 */
import type { LoggerOptions, Logger } from 'pino';

const SECRET_FIELDS = ['ciphertext', 'sig', 'content_sig', 'pubkey', 'sender_pub', 'server_pub', 'creator_pub', 'wrapped_key', 'privateKey', 'passphrase', 'keyPassphrase'];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'socp-server' },
    redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), ...SECRET_FIELDS.map((f) => `*.payload.${f}`)], censor: '[redacted]' },
  };
}
export type { Logger };

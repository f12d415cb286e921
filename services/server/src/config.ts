/**
 * Server configuration (S11, docs/contracts.md "server"): one validated, deep-frozen object.
 * `loadConfig(env)` reads SOCP_* variables through the one typed env reader (@socp/node
 * env-config.ts: the table below), lists EVERY problem in one SOCP_ERR_CONFIG error.
 * Nothing else reads process.env.
 */
import { hostname } from 'node:os';
import {
  DEFAULT_RSA_PRIMES, HEARTBEAT_INTERVAL_MS, MIN_JOIN_SECRET_CHARS, PEER_DEAD_AFTER_MS, RECONNECT_BACKOFF_MS, RSA_MAX_PRIMES, SEEN_IDS_TTL_MS,
  importPublicKey, parseAdmitRules, type AdmitRules, type RsaPrimeCount,
} from '@socp/protocol';
import { envCustom, envInt, envIntList, envOneOf, envSecret, envStr, finishConfig, readEnv, type Env } from '@socp/node';
import { DEFAULT_MAX_CONNS_PER_IP, DEFAULT_MAX_PENDING_PER_IP, MAX_CONNECTIONS } from './transport/limits';

export interface BootstrapEntry { host: string; port: number; pubkey: string | undefined }

export interface ServerConfig {
  /** redis:// or rediss:// URL, or an absolute unix socket path */
  redisUrl: string;
  /** AUTH password of that Redis; undefined: none */
  redisPassword: string | undefined;
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  advertiseHost: string;
  advertisePort: number;
  bootstrap: readonly BootstrapEntry[];
  keyPassphrase: string;
  serverKeyFormat: 'der' | 'pem';
  /** Primes of the server key made on first start (2 = classic; 3–4 = RFC 8017 multi-prime). */
  rsaPrimes: RsaPrimeCount;
  /** ms */ heartbeatMs: number;
  /** ms */ deadAfterMs: number;
  /** ms, reconnect table, ±20 % jitter */ backoffMs: readonly number[];
  /** ms */ dedupeTtlMs: number;
  /** The mesh join secret (SOCP_JOIN_SECRET[_FILE]): proves operator consent at the introducers; undefined = our key must be on their allowlist. */
  joinSecret: string | undefined;
  /** Open-federation rules (SOCP_ADMIT): servers admitted without an admission ticket. Default: none. */
  admit: AdmitRules;
  /** connections at once from one source address (IPv6: per /64) */ maxConnsPerIp: number;
  /** of those, not yet identified (before USER_HELLO / a server frame) */ maxPendingPerIp: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export function defaultConfig(): Omit<ServerConfig, 'bootstrap' | 'keyPassphrase' | 'joinSecret' | 'admit' | 'redisPassword'> {
  return {
    redisUrl: 'redis://127.0.0.1:6379',
    host: '0.0.0.0',
    port: 9101,
    adminHost: '0.0.0.0',
    adminPort: 9180,
    advertiseHost: hostname(),
    advertisePort: 9101,
    serverKeyFormat: 'der',
    rsaPrimes: DEFAULT_RSA_PRIMES, // 4: ~1.4× faster private-key operations, docs/protocol.md
    heartbeatMs: HEARTBEAT_INTERVAL_MS, // 15 s
    deadAfterMs: PEER_DEAD_AFTER_MS, // 45 s
    backoffMs: RECONNECT_BACKOFF_MS, // 1, 2, 5, 10, 30 s
    dedupeTtlMs: SEEN_IDS_TTL_MS, // 5 min
    maxConnsPerIp: DEFAULT_MAX_CONNS_PER_IP, // 256 connections
    maxPendingPerIp: DEFAULT_MAX_PENDING_PER_IP, // 32 connections
    logLevel: 'info',
  };
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The variables (S11: one table, read by @socp/node readEnv); SOCP_ADVERTISE_PORT defaults to SOCP_PORT. */
function envTable(d: ReturnType<typeof defaultConfig>) {
  return {
    redisUrl: envStr('SOCP_REDIS_URL', d.redisUrl),
    host: envStr('SOCP_HOST', d.host),
    port: envInt('SOCP_PORT', d.port, 0, 65535),
    adminHost: envStr('SOCP_ADMIN_HOST', d.adminHost),
    adminPort: envInt('SOCP_ADMIN_PORT', d.adminPort, 0, 65535),
    advertiseHost: envStr('SOCP_ADVERTISE_HOST', d.advertiseHost),
    advertisePort: envInt('SOCP_ADVERTISE_PORT', undefined, 0, 65535),
    serverKeyFormat: envOneOf('SOCP_SERVER_KEY_FORMAT', ['der', 'pem'] as const, d.serverKeyFormat),
    rsaPrimes: envInt('SOCP_RSA_PRIMES', d.rsaPrimes, 2, RSA_MAX_PRIMES),
    heartbeatMs: envInt('SOCP_HEARTBEAT_MS', d.heartbeatMs, 10, 3_600_000),
    deadAfterMs: envInt('SOCP_DEAD_AFTER_MS', d.deadAfterMs, 20, 3_600_000),
    backoffMs: envIntList('SOCP_BACKOFF_MS', d.backoffMs, 1, 3_600_000, 'a comma-separated list of positive integers'),
    dedupeTtlMs: envInt('SOCP_DEDUPE_TTL_MS', d.dedupeTtlMs, 1_000, 86_400_000),
    admit: envCustom('SOCP_ADMIT', (raw, problems) => parseAdmitRules(raw, problems)),
    maxConnsPerIp: envInt('SOCP_MAX_CONNS_PER_IP', d.maxConnsPerIp, 1, MAX_CONNECTIONS),
    maxPendingPerIp: envInt('SOCP_MAX_PENDING_PER_IP', d.maxPendingPerIp, 1, MAX_CONNECTIONS),
    logLevel: envOneOf('SOCP_LOG_LEVEL', LEVELS, d.logLevel),
    keyPassphrase: envSecret('SOCP_KEY_PASSPHRASE'),
    joinSecret: envSecret('SOCP_JOIN_SECRET'),
    redisPassword: envSecret('SOCP_REDIS_PASSWORD'),
    bootstrap: envSecret('SOCP_BOOTSTRAP'),
  };
}

export function loadConfig(env: Env): ServerConfig {
  const problems: string[] = [];
  const v = readEnv(env, envTable(defaultConfig()), problems);
  if (!/^(rediss?:\/\/|\/)/.test(v.redisUrl)) problems.push(`SOCP_REDIS_URL must start with redis:// or rediss://, or be a unix socket's absolute path (got ${JSON.stringify(v.redisUrl)})`);
  if (v.deadAfterMs <= v.heartbeatMs) problems.push(`SOCP_DEAD_AFTER_MS (${v.deadAfterMs}) must exceed SOCP_HEARTBEAT_MS (${v.heartbeatMs})`);
  if (v.keyPassphrase === undefined || v.keyPassphrase.length === 0) problems.push('SOCP_KEY_PASSPHRASE (or SOCP_KEY_PASSPHRASE_FILE) is required');
  if (v.joinSecret !== undefined && v.joinSecret.length < MIN_JOIN_SECRET_CHARS) problems.push(`SOCP_JOIN_SECRET must be at least ${MIN_JOIN_SECRET_CHARS} characters (e.g. 32 random bytes, base64url)`);
  if (v.redisPassword === '') problems.push('SOCP_REDIS_PASSWORD_FILE is empty');
  else if (v.redisPassword !== undefined && /\s/.test(v.redisPassword)) problems.push('SOCP_REDIS_PASSWORD (or its file) must be one line without spaces');
  if (v.bootstrap === undefined) problems.push('SOCP_BOOTSTRAP (or SOCP_BOOTSTRAP_FILE) is required: JSON [{"host","port","pubkey"}]');
  const cfg: ServerConfig = {
    ...v,
    advertisePort: v.advertisePort ?? v.port,
    rsaPrimes: v.rsaPrimes as RsaPrimeCount,
    keyPassphrase: v.keyPassphrase ?? '',
    bootstrap: v.bootstrap === undefined ? [] : parseBootstrap(v.bootstrap, problems),
  };
  return finishConfig(cfg, problems, 'invalid server configuration');
}

function parseBootstrap(text: string, problems: string[]): BootstrapEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    problems.push('SOCP_BOOTSTRAP is not valid JSON');
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('SOCP_BOOTSTRAP must be a non-empty JSON array');
    return [];
  }
  const out: BootstrapEntry[] = [];
  raw.forEach((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const at = `SOCP_BOOTSTRAP[${i}]`;
    if (typeof o['host'] !== 'string' || o['host'].length === 0) problems.push(`${at}.host must be a non-empty string`);
    if (typeof o['port'] !== 'number' || !Number.isInteger(o['port']) || o['port'] < 1 || o['port'] > 65535) problems.push(`${at}.port must be an integer in [1, 65535]`);
    const pk = o['pubkey'];
    if (pk !== undefined) {
      if (typeof pk !== 'string') problems.push(`${at}.pubkey must be a string`);
      else {
        try {
          importPublicKey(pk);
        } catch (err) {
          problems.push(`${at}.pubkey is not an acceptable RSA-4096 key (${(err as Error).message})`);
        }
      }
    }
    out.push({ host: String(o['host']), port: Number(o['port']), pubkey: typeof pk === 'string' ? pk : undefined });
  });
  return out;
}

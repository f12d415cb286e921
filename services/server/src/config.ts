/**
 * Server configuration (S11, docs/contracts.md "server"): one validated, deep-frozen object.
 * `loadConfig(env)` reads SOCP_* variables, lists EVERY problem in one SOCP_ERR_CONFIG error.
 * Nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  DEFAULT_RSA_PRIMES, HEARTBEAT_INTERVAL_MS, MIN_JOIN_SECRET_CHARS, PEER_DEAD_AFTER_MS, RECONNECT_BACKOFF_MS, RSA_MAX_PRIMES, SEEN_IDS_TTL_MS, SocpError,
  importPublicKey, parseAdmitRules, type AdmitRules, type RsaPrimeCount,
} from '@socp/protocol';
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
type Env = Readonly<Record<string, string | undefined>>;

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export function loadConfig(env: Env): ServerConfig {
  const problems: string[] = [];
  const d = defaultConfig();
  const str = (k: string, def: string): string => {
    const v = env[k];
    if (v === undefined || v === '') return def;
    return v;
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    const v = env[k];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k} must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
      return def;
    }
    return n;
  };
  const fromFile = (k: string): string | undefined => {
    const direct = env[k];
    const file = env[`${k}_FILE`];
    if (direct !== undefined && direct !== '') return direct;
    if (file === undefined || file === '') return undefined;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      problems.push(`${k}_FILE ${JSON.stringify(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };

  const port = int('SOCP_PORT', d.port, 0, 65535);
  const cfg: ServerConfig = {
    redisUrl: str('SOCP_REDIS_URL', d.redisUrl),
    redisPassword: undefined,
    host: str('SOCP_HOST', d.host),
    port,
    adminHost: str('SOCP_ADMIN_HOST', d.adminHost),
    adminPort: int('SOCP_ADMIN_PORT', d.adminPort, 0, 65535),
    advertiseHost: str('SOCP_ADVERTISE_HOST', d.advertiseHost),
    advertisePort: int('SOCP_ADVERTISE_PORT', port, 0, 65535),
    bootstrap: [],
    keyPassphrase: '',
    serverKeyFormat: 'der',
    rsaPrimes: int('SOCP_RSA_PRIMES', d.rsaPrimes, 2, RSA_MAX_PRIMES) as RsaPrimeCount,
    heartbeatMs: int('SOCP_HEARTBEAT_MS', d.heartbeatMs, 10, 3_600_000),
    deadAfterMs: int('SOCP_DEAD_AFTER_MS', d.deadAfterMs, 20, 3_600_000),
    backoffMs: d.backoffMs,
    dedupeTtlMs: int('SOCP_DEDUPE_TTL_MS', d.dedupeTtlMs, 1_000, 86_400_000),
    joinSecret: undefined,
    admit: parseAdmitRules(env['SOCP_ADMIT'], problems),
    maxConnsPerIp: int('SOCP_MAX_CONNS_PER_IP', d.maxConnsPerIp, 1, MAX_CONNECTIONS),
    maxPendingPerIp: int('SOCP_MAX_PENDING_PER_IP', d.maxPendingPerIp, 1, MAX_CONNECTIONS),
    logLevel: 'info',
  };
  if (!/^(rediss?:\/\/|\/)/.test(cfg.redisUrl)) problems.push(`SOCP_REDIS_URL must start with redis:// or rediss://, or be a unix socket's absolute path (got ${JSON.stringify(cfg.redisUrl)})`);
  if (cfg.deadAfterMs <= cfg.heartbeatMs) problems.push(`SOCP_DEAD_AFTER_MS (${cfg.deadAfterMs}) must exceed SOCP_HEARTBEAT_MS (${cfg.heartbeatMs})`);

  const fmt = str('SOCP_SERVER_KEY_FORMAT', 'der');
  if (fmt === 'der' || fmt === 'pem') cfg.serverKeyFormat = fmt;
  else problems.push(`SOCP_SERVER_KEY_FORMAT must be der or pem (got ${JSON.stringify(fmt)})`);

  const lvl = str('SOCP_LOG_LEVEL', 'info');
  if ((LEVELS as readonly string[]).includes(lvl)) cfg.logLevel = lvl as ServerConfig['logLevel'];
  else problems.push(`SOCP_LOG_LEVEL must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(lvl)})`);

  const backoff = env['SOCP_BACKOFF_MS'];
  if (backoff !== undefined && backoff !== '') {
    const steps = backoff.split(',').map((s) => Number(s.trim()));
    if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 1 || n > 3_600_000)) problems.push(`SOCP_BACKOFF_MS must be a comma-separated list of positive integers (got ${JSON.stringify(backoff)})`);
    else cfg.backoffMs = steps;
  }

  const pass = fromFile('SOCP_KEY_PASSPHRASE');
  if (pass === undefined || pass.length === 0) problems.push('SOCP_KEY_PASSPHRASE (or SOCP_KEY_PASSPHRASE_FILE) is required');
  else cfg.keyPassphrase = pass;

  const secret = fromFile('SOCP_JOIN_SECRET');
  if (secret !== undefined && secret.length < MIN_JOIN_SECRET_CHARS) problems.push(`SOCP_JOIN_SECRET must be at least ${MIN_JOIN_SECRET_CHARS} characters (e.g. 32 random bytes, base64url)`);
  else cfg.joinSecret = secret;

  const redisPass = fromFile('SOCP_REDIS_PASSWORD');
  if (redisPass === '') problems.push('SOCP_REDIS_PASSWORD_FILE is empty');
  else if (redisPass !== undefined && /\s/.test(redisPass)) problems.push('SOCP_REDIS_PASSWORD (or its file) must be one line without spaces');
  else cfg.redisPassword = redisPass;

  const boot = fromFile('SOCP_BOOTSTRAP');
  if (boot === undefined) problems.push('SOCP_BOOTSTRAP (or SOCP_BOOTSTRAP_FILE) is required: JSON [{"host","port","pubkey"}]');
  else cfg.bootstrap = parseBootstrap(boot, problems);

  if (problems.length > 0) throw new SocpError('SOCP_ERR_CONFIG', `invalid server configuration:\n  - ${problems.join('\n  - ')}`);
  return deepFreeze(cfg);
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

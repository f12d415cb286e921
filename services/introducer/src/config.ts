/**
 * Introducer configuration (docs/contracts.md "introducer", docs/introducer.md): read once from
 * the environment, every problem listed in one SOCP_ERR_CONFIG error, returned deep-frozen.
 * Nothing else in the introducer reads process.env.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_RSA_PRIMES, HEARTBEAT_INTERVAL_MS, MIN_JOIN_SECRET_CHARS, PEER_DEAD_AFTER_MS, RSA_MAX_PRIMES, SocpError, parseAdmitRules,
  type AdmitRules, type RsaPrimeCount,
} from '@socp/protocol';

export interface IntroducerConfig {
  /** WebSocket listener for joins. */
  readonly host: string;
  readonly port: number;
  /** Fastify admin listener (/livez /readyz /metrics /identity). */
  readonly adminHost: string;
  readonly adminPort: number;
  /** Holds registry.json and id. */
  readonly dataDir: string;
  /** Encrypted PKCS#8 PEM; generated on first start if missing. */
  readonly keyFile: string;
  readonly keyPassphrase: string;
  /** Primes of a key made on first start or by the key tool (2 = classic; 3–4 = RFC 8017 multi-prime). */
  readonly rsaPrimes: RsaPrimeCount;
  /** A server disconnected this long (ms) is removed from the registry. */
  readonly pruneAfterMs: number;
  /** HEARTBEAT interval (ms) on every joined server's socket. */
  readonly heartbeatMs: number;
  /** A joined server's socket silent this long (ms) is closed as dead. */
  readonly deadAfterMs: number;
  /** The mesh join secret (SOCP_JOIN_SECRET[_FILE]): a join proving it is admitted. */
  readonly joinSecret: string | undefined;
  /** Operator allowlist (SOCP_ADMIT): keys (or addresses, or `*`) admitted without the secret. */
  readonly admit: AdmitRules;
  /** Lifetime (ms) of the admission tickets this introducer signs; servers renew at half of it. */
  readonly ticketTtlMs: number;
  /** Open sockets one remote address may hold (joined or pending). */
  readonly maxConnsPerIp: number;
  readonly logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function defaultConfig(): Omit<IntroducerConfig, 'keyFile' | 'keyPassphrase' | 'joinSecret' | 'admit'> {
  return {
    rsaPrimes: DEFAULT_RSA_PRIMES, // 4: ~1.4× faster private-key operations, docs/protocol.md
    host: '0.0.0.0',
    port: 9100,
    adminHost: '0.0.0.0',
    adminPort: 9180,
    dataDir: './data',
    pruneAfterMs: 45_000, // ms
    heartbeatMs: HEARTBEAT_INTERVAL_MS, // ms
    deadAfterMs: PEER_DEAD_AFTER_MS, // ms
    ticketTtlMs: 24 * 3600_000, // ms: a day; servers renew every 12 h, so an introducer may be down for hours without harm
    maxConnsPerIp: 32, // sockets: a host runs a few servers; one address cannot hold the registry (MAX_REGISTERED_SERVERS)
    logLevel: 'info',
  };
}

/** SOCP_RSA_PRIMES alone, for the key tool (keygen.ts), which needs no other setting. Throws SOCP_ERR_CONFIG. */
export function loadRsaPrimes(env: Record<string, string | undefined>): RsaPrimeCount {
  const problems: string[] = [];
  const n = rsaPrimesSetting(env, problems);
  if (problems.length > 0) throw new SocpError('SOCP_ERR_CONFIG', problems.join('; '));
  return n;
}

function rsaPrimesSetting(env: Record<string, string | undefined>, problems: string[]): RsaPrimeCount {
  const raw = env['SOCP_RSA_PRIMES'];
  if (raw === undefined || raw === '') return DEFAULT_RSA_PRIMES;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 2 && n <= RSA_MAX_PRIMES) return n as RsaPrimeCount;
  problems.push(`SOCP_RSA_PRIMES must be an integer in [2, ${RSA_MAX_PRIMES}], got ${JSON.stringify(raw)}`);
  return DEFAULT_RSA_PRIMES;
}

export function loadConfig(env: Record<string, string | undefined>): IntroducerConfig {
  const d = defaultConfig();
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
      return def;
    }
    return n;
  };
  const str = (name: string, def: string): string => {
    const raw = env[name];
    return raw === undefined || raw === '' ? def : raw;
  };
  const dataDir = str('SOCP_DATA_DIR', d.dataDir);
  let keyPassphrase = env['SOCP_KEY_PASSPHRASE'] ?? '';
  const passFile = env['SOCP_KEY_PASSPHRASE_FILE'];
  if (keyPassphrase === '' && passFile) {
    try {
      keyPassphrase = readFileSync(passFile, 'utf8').replace(/\r?\n$/, '');
    } catch {
      problems.push(`SOCP_KEY_PASSPHRASE_FILE ${passFile} cannot be read`);
    }
  }
  if (keyPassphrase === '') problems.push('SOCP_KEY_PASSPHRASE (or SOCP_KEY_PASSPHRASE_FILE) is required');
  let joinSecret = env['SOCP_JOIN_SECRET'] === '' ? undefined : env['SOCP_JOIN_SECRET'];
  const secretFile = env['SOCP_JOIN_SECRET_FILE'];
  if (joinSecret === undefined && secretFile) {
    try {
      joinSecret = readFileSync(secretFile, 'utf8').trim();
    } catch {
      problems.push(`SOCP_JOIN_SECRET_FILE ${secretFile} cannot be read`);
    }
  }
  if (joinSecret !== undefined && joinSecret.length < MIN_JOIN_SECRET_CHARS) problems.push(`SOCP_JOIN_SECRET must be at least ${MIN_JOIN_SECRET_CHARS} characters (e.g. 32 random bytes, base64url)`);
  const admit = parseAdmitRules(env['SOCP_ADMIT'], problems);
  if (joinSecret === undefined && !admit.any && admit.keys.size === 0 && admit.addrs.size === 0) {
    problems.push('admission: set SOCP_JOIN_SECRET_FILE (the mesh join secret) and/or SOCP_ADMIT (key:<sha256 of a server key>, addr:<host>:<port>, or * to admit anyone: open federation)');
  }
  const logLevel = str('SOCP_LOG_LEVEL', d.logLevel);
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`SOCP_LOG_LEVEL must be one of ${LOG_LEVELS.join('|')}`);
  const cfg: IntroducerConfig = {
    host: str('SOCP_HOST', d.host),
    port: int('SOCP_PORT', d.port, 0, 65535),
    adminHost: str('SOCP_ADMIN_HOST', d.adminHost),
    adminPort: int('SOCP_ADMIN_PORT', d.adminPort, 0, 65535),
    dataDir,
    keyFile: str('SOCP_KEY_FILE', join(dataDir, 'introducer.key.pem')),
    keyPassphrase,
    rsaPrimes: rsaPrimesSetting(env, problems),
    pruneAfterMs: int('SOCP_PRUNE_AFTER_MS', d.pruneAfterMs, 0, 7 * 24 * 3600_000),
    heartbeatMs: int('SOCP_HEARTBEAT_MS', d.heartbeatMs, 50, 3600_000),
    deadAfterMs: int('SOCP_DEAD_AFTER_MS', d.deadAfterMs, 100, 3 * 3600_000),
    joinSecret,
    admit,
    ticketTtlMs: int('SOCP_TICKET_TTL_MS', d.ticketTtlMs, 2_000, 30 * 24 * 3600_000),
    maxConnsPerIp: int('SOCP_MAX_CONNS_PER_IP', d.maxConnsPerIp, 1, 100_000),
    logLevel,
  };
  if (cfg.deadAfterMs <= cfg.heartbeatMs) problems.push('SOCP_DEAD_AFTER_MS must be greater than SOCP_HEARTBEAT_MS');
  if (problems.length > 0) throw new SocpError('SOCP_ERR_CONFIG', `invalid introducer configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(cfg);
}

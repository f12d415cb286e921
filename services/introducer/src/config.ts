/**
 * Introducer configuration (docs/contracts.md "introducer", docs/introducer.md): read once from
 * the environment by the one typed env reader (@socp/node env-config.ts: the table below),
 * every problem listed in one SOCP_ERR_CONFIG error, returned deep-frozen.
 * Nothing else in the introducer reads process.env.
 */
import { join } from 'node:path';
import {
  DEFAULT_RSA_PRIMES, HEARTBEAT_INTERVAL_MS, MIN_JOIN_SECRET_CHARS, PEER_DEAD_AFTER_MS, RSA_MAX_PRIMES, parseAdmitRules,
  type AdmitRules, type RsaPrimeCount,
} from '@socp/protocol';
import { envCustom, envInt, envOneOf, envOptStr, envSecret, envStr, finishConfig, readEnv, type Env } from '@socp/node';

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

const rsaPrimesField = () => envInt('SOCP_RSA_PRIMES', DEFAULT_RSA_PRIMES, 2, RSA_MAX_PRIMES);

/** SOCP_RSA_PRIMES alone. Throws SOCP_ERR_CONFIG. */
export function loadRsaPrimes(env: Env): RsaPrimeCount {
  const problems: string[] = [];
  const v = readEnv(env, { rsaPrimes: rsaPrimesField() }, problems);
  return finishConfig(v, problems).rsaPrimes as RsaPrimeCount;
}

/**
 * What the key tool (keygen.ts) reads: the passphrase (SOCP_KEY_PASSPHRASE, or the first line of
 * SOCP_KEY_PASSPHRASE_FILE; "" when neither is set: the tool says so) and SOCP_RSA_PRIMES.
 */
export function loadKeyToolConfig(env: Env): { readonly passphrase: string; readonly rsaPrimes: RsaPrimeCount } {
  const problems: string[] = [];
  const v = readEnv(env, { passphrase: envSecret('SOCP_KEY_PASSPHRASE', 'line'), rsaPrimes: rsaPrimesField() }, problems);
  return finishConfig({ passphrase: v.passphrase ?? '', rsaPrimes: v.rsaPrimes as RsaPrimeCount }, problems);
}

/** The variables (S11: one table, read by @socp/node readEnv); SOCP_KEY_FILE defaults to a file of SOCP_DATA_DIR. */
function envTable(d: ReturnType<typeof defaultConfig>) {
  return {
    host: envStr('SOCP_HOST', d.host),
    port: envInt('SOCP_PORT', d.port, 0, 65535),
    adminHost: envStr('SOCP_ADMIN_HOST', d.adminHost),
    adminPort: envInt('SOCP_ADMIN_PORT', d.adminPort, 0, 65535),
    dataDir: envStr('SOCP_DATA_DIR', d.dataDir),
    keyFile: envOptStr('SOCP_KEY_FILE'),
    // A passphrase keeps its spaces: only the file's final line break goes.
    keyPassphrase: envSecret('SOCP_KEY_PASSPHRASE', 'line'),
    rsaPrimes: rsaPrimesField(),
    pruneAfterMs: envInt('SOCP_PRUNE_AFTER_MS', d.pruneAfterMs, 0, 7 * 24 * 3600_000),
    heartbeatMs: envInt('SOCP_HEARTBEAT_MS', d.heartbeatMs, 50, 3600_000),
    deadAfterMs: envInt('SOCP_DEAD_AFTER_MS', d.deadAfterMs, 100, 3 * 3600_000),
    joinSecret: envSecret('SOCP_JOIN_SECRET'),
    admit: envCustom('SOCP_ADMIT', (raw, problems) => parseAdmitRules(raw, problems)),
    ticketTtlMs: envInt('SOCP_TICKET_TTL_MS', d.ticketTtlMs, 2_000, 30 * 24 * 3600_000),
    maxConnsPerIp: envInt('SOCP_MAX_CONNS_PER_IP', d.maxConnsPerIp, 1, 100_000),
    logLevel: envOneOf('SOCP_LOG_LEVEL', LOG_LEVELS, d.logLevel),
  };
}

export function loadConfig(env: Env): IntroducerConfig {
  const problems: string[] = [];
  const v = readEnv(env, envTable(defaultConfig()), problems);
  if (v.keyPassphrase === undefined || v.keyPassphrase === '') problems.push('SOCP_KEY_PASSPHRASE (or SOCP_KEY_PASSPHRASE_FILE) is required');
  if (v.joinSecret !== undefined && v.joinSecret.length < MIN_JOIN_SECRET_CHARS) problems.push(`SOCP_JOIN_SECRET must be at least ${MIN_JOIN_SECRET_CHARS} characters (e.g. 32 random bytes, base64url)`);
  if (v.joinSecret === undefined && !v.admit.any && v.admit.keys.size === 0 && v.admit.addrs.size === 0) {
    problems.push('admission: set SOCP_JOIN_SECRET_FILE (the mesh join secret) and/or SOCP_ADMIT (key:<sha256 of a server key>, addr:<host>:<port>, or * to admit anyone: open federation)');
  }
  if (v.deadAfterMs <= v.heartbeatMs) problems.push('SOCP_DEAD_AFTER_MS must be greater than SOCP_HEARTBEAT_MS');
  const cfg: IntroducerConfig = {
    ...v,
    keyFile: v.keyFile ?? join(v.dataDir, 'introducer.key.pem'),
    keyPassphrase: v.keyPassphrase ?? '',
    rsaPrimes: v.rsaPrimes as RsaPrimeCount,
  };
  return finishConfig(cfg, problems, 'invalid introducer configuration');
}

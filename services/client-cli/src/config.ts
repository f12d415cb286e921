/**
 * Client configuration: command-line options over environment over defaults, validated once
 * and frozen. Nothing else reads process.env (except NO_COLOR in the terminal UI).
 *
 *   --server <url>   SOCP_SERVER_URL   ws://127.0.0.1:9101   the server to connect to
 *   --home <dir>     SOCP_HOME         ~/.socp               keystore, pinned server keys
 *   --downloads <d>  SOCP_DOWNLOADS    $SOCP_HOME/downloads  where received files go
 *   --json                                                   JSON-lines events, commands on stdin
 *   --password-stdin                                         first stdin line is the password
 *                    SOCP_PASSWORD                           the password (scripts, tests)
 *                    SOCP_DEAD_AFTER_MS 45000                 a silent server socket is closed (then reconnected)
 *                    SOCP_RSA_PRIMES   4                     primes of the key `socp signup` makes (2, 3 or 4)
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_RSA_PRIMES, RSA_MAX_PRIMES, SocpError, type RsaPrimeCount } from '@socp/protocol';
import { LINK_DEAD_AFTER_MS, MAX_LINK_DEAD_AFTER_MS, MIN_LINK_DEAD_AFTER_MS } from './limits';

export interface ClientConfig {
  readonly serverUrl: string;
  readonly home: string;
  readonly downloads: string;
  readonly json: boolean;
  readonly passwordStdin: boolean;
  readonly password: string | undefined;
  readonly name: string | undefined;
  readonly deadAfterMs: number;
  /** Primes of a new account's RSA-4096 key (2 = classic; 3–4 = RFC 8017 multi-prime, faster to use). */
  readonly rsaPrimes: RsaPrimeCount;
}

export interface CliOptions { server?: string; home?: string; downloads?: string; json?: boolean; passwordStdin?: boolean; name?: string }

export function loadConfig(opts: CliOptions, env: NodeJS.ProcessEnv): ClientConfig {
  const problems: string[] = [];
  const serverUrl = opts.server ?? env['SOCP_SERVER_URL'] ?? 'ws://127.0.0.1:9101';
  try {
    const u = new URL(serverUrl);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') problems.push(`server URL must be ws:// or wss:// (got ${u.protocol})`);
  } catch {
    problems.push(`server URL ${JSON.stringify(serverUrl)} is not a URL`);
  }
  const home = resolve(opts.home ?? env['SOCP_HOME'] ?? join(homedir(), '.socp'));
  const downloads = resolve(opts.downloads ?? env['SOCP_DOWNLOADS'] ?? join(home, 'downloads'));
  const password = env['SOCP_PASSWORD'];
  if (password !== undefined && password.length === 0) problems.push('SOCP_PASSWORD is set but empty');
  const dead = env['SOCP_DEAD_AFTER_MS'];
  const deadAfterMs = dead === undefined ? LINK_DEAD_AFTER_MS : Number(dead);
  if (!Number.isInteger(deadAfterMs) || deadAfterMs < MIN_LINK_DEAD_AFTER_MS || deadAfterMs > MAX_LINK_DEAD_AFTER_MS) {
    problems.push(`SOCP_DEAD_AFTER_MS must be an integer from ${MIN_LINK_DEAD_AFTER_MS} to ${MAX_LINK_DEAD_AFTER_MS} (got ${JSON.stringify(dead)})`);
  }
  const primes = env['SOCP_RSA_PRIMES'];
  const rsaPrimes = primes === undefined ? DEFAULT_RSA_PRIMES : Number(primes);
  if (!Number.isInteger(rsaPrimes) || rsaPrimes < 2 || rsaPrimes > RSA_MAX_PRIMES) problems.push(`SOCP_RSA_PRIMES must be 2, 3 or ${RSA_MAX_PRIMES} (got ${JSON.stringify(primes)})`);
  if (problems.length) throw new SocpError('SOCP_ERR_CONFIG', problems.join('; '));
  return Object.freeze({ serverUrl, home, downloads, json: opts.json === true, passwordStdin: opts.passwordStdin === true, password, name: opts.name, deadAfterMs, rsaPrimes: rsaPrimes as RsaPrimeCount });
}

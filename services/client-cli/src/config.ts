/**
 * Client configuration: command-line options over environment over defaults, validated once
 * and frozen. Nothing else reads process.env (except NO_COLOR in the terminal UI).
 *
 *   --server <url>…  SOCP_SERVER_URLS  ws://127.0.0.1:9101   the servers, in order of preference (--server repeated,
 *                    SOCP_SERVER_URL                         or comma-separated); failover.ts moves along them
 *   --home <dir>     SOCP_HOME         ~/.socp               keystore, pinned server keys
 *   --downloads <d>  SOCP_DOWNLOADS    $SOCP_HOME/downloads  where received files go
 *                    SOCP_SEND_DIR     the current directory  what a relative /file path is relative to
 *   --json                                                   JSON-lines events, commands on stdin
 *   --password-stdin                                         first stdin line is the password
 *                    SOCP_PASSWORD                           the password (scripts, tests)
 *                    SOCP_DEAD_AFTER_MS 45000                 a silent server socket is closed (then reconnected)
 *                    SOCP_RSA_PRIMES   4                     primes of the key `socp signup` makes (2, 3 or 4)
 *   --server-key <k> SOCP_SERVER_KEY   (none)                the server's key out of band (b64url DER or PEM-b64url),
 *                                                            for servers that send no hello ACK (docs/client.md)
 *                    SOCP_CONTENT_SIG  auto                  content_sig variant we send: auto (per recipient), A, C
 *                    SOCP_KEY_FORMAT   der                   our key in USER_HELLO: der (b64url DER SPKI) or pem (PEM-b64url)
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTENT_SIG_SETTINGS, DEFAULT_RSA_PRIMES, RSA_MAX_PRIMES, importPublicKey, SocpError, type ContentSigSetting, type RsaPrimeCount, type RsaPublicKey } from '@socp/protocol';
import { LINK_DEAD_AFTER_MS, MAX_LINK_DEAD_AFTER_MS, MIN_LINK_DEAD_AFTER_MS } from './limits';
import { MAX_SERVER_URLS } from './failover';

export interface ClientConfig {
  /** The servers we may use, in order (at least one); the first is where sign-up / log-in go first. */
  readonly serverUrls: readonly string[];
  readonly home: string;
  readonly downloads: string;
  /** A relative `/file` path is resolved against this folder (SOCP_SEND_DIR; the client container's transfer folder). */
  readonly sendDir: string;
  readonly json: boolean;
  readonly passwordStdin: boolean;
  readonly password: string | undefined;
  readonly name: string | undefined;
  readonly deadAfterMs: number;
  /** Primes of a new account's RSA-4096 key (2 = classic; 3–4 = RFC 8017 multi-prime, faster to use). */
  readonly rsaPrimes: RsaPrimeCount;
  /** The server's key given out of band (--server-key): a server that sends no hello ACK is verified by it. */
  readonly serverKey: RsaPublicKey | undefined;
  readonly contentSig: ContentSigSetting;
  /** Our public key in USER_HELLO: b64url DER (the profile) or PEM-b64url (for peers that read only PEM). */
  readonly keyFormat: 'der' | 'pem';
}

export interface CliOptions { server?: string[]; home?: string; downloads?: string; json?: boolean; passwordStdin?: boolean; name?: string; serverKey?: string }

export function loadConfig(opts: CliOptions, env: NodeJS.ProcessEnv): ClientConfig {
  const problems: string[] = [];
  const listed = env['SOCP_SERVER_URLS']?.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const given = opts.server?.length ? opts.server : listed?.length ? listed : [env['SOCP_SERVER_URL'] ?? 'ws://127.0.0.1:9101'];
  const serverUrls = [...new Set(given)];
  if (serverUrls.length > MAX_SERVER_URLS) problems.push(`at most ${MAX_SERVER_URLS} server URLs (got ${serverUrls.length})`);
  for (const serverUrl of serverUrls) {
    try {
      const u = new URL(serverUrl);
      if (u.protocol !== 'ws:' && u.protocol !== 'wss:') problems.push(`server URL must be ws:// or wss:// (got ${u.protocol})`);
    } catch {
      problems.push(`server URL ${JSON.stringify(serverUrl)} is not a URL`);
    }
  }
  const home = resolve(opts.home ?? env['SOCP_HOME'] ?? join(homedir(), '.socp'));
  const downloads = resolve(opts.downloads ?? env['SOCP_DOWNLOADS'] ?? join(home, 'downloads'));
  const sendDir = resolve(env['SOCP_SEND_DIR'] ?? '.');
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
  const keyText = opts.serverKey ?? env['SOCP_SERVER_KEY'];
  let serverKey: RsaPublicKey | undefined;
  try {
    serverKey = keyText === undefined ? undefined : importPublicKey(keyText);
  } catch (e) {
    problems.push(`--server-key / SOCP_SERVER_KEY is not a usable RSA-4096 public key (${e instanceof Error ? e.message : String(e)})`);
  }
  if (keyText !== undefined && serverUrls.length > 1) problems.push('--server-key / SOCP_SERVER_KEY pins the key of one server: give a single server URL with it');
  const contentSig = (env['SOCP_CONTENT_SIG'] ?? 'auto') as ContentSigSetting;
  if (!CONTENT_SIG_SETTINGS.includes(contentSig)) problems.push(`SOCP_CONTENT_SIG must be one of ${CONTENT_SIG_SETTINGS.join(', ')} (got ${JSON.stringify(contentSig)})`);
  const keyFormat = env['SOCP_KEY_FORMAT'] ?? 'der';
  if (keyFormat !== 'der' && keyFormat !== 'pem') problems.push(`SOCP_KEY_FORMAT must be der or pem (got ${JSON.stringify(keyFormat)})`);
  if (problems.length) throw new SocpError('SOCP_ERR_CONFIG', problems.join('; '));
  return Object.freeze({
    serverUrls: Object.freeze(serverUrls), home, downloads, sendDir, json: opts.json === true, passwordStdin: opts.passwordStdin === true, password, name: opts.name, deadAfterMs,
    serverKey, contentSig, keyFormat: keyFormat as 'der' | 'pem', rsaPrimes: rsaPrimes as RsaPrimeCount,
  });
}

/**
 * Client configuration: command-line options over environment over defaults, validated once
 * (the environment by the one typed env reader, @socp/node env-config.ts) and deep-frozen.
 * Nothing else reads process.env (except NO_COLOR in the terminal UI).
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
import { CONTENT_SIG_SETTINGS, DEFAULT_RSA_PRIMES, RSA_MAX_PRIMES, importPublicKey, type ContentSigSetting, type RsaPrimeCount, type RsaPublicKey } from '@socp/protocol';
import { envInt, envOneOf, envOptStr, envStr, finishConfig, readEnv } from '@socp/node';
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

/** The variables read as they are (S11: one table, read by @socp/node readEnv; here "" is a value, not "unset"). */
const ENV_TABLE = {
  serverUrls: envOptStr('SOCP_SERVER_URLS'),
  serverUrl: envOptStr('SOCP_SERVER_URL'),
  home: envOptStr('SOCP_HOME'),
  downloads: envOptStr('SOCP_DOWNLOADS'),
  sendDir: envStr('SOCP_SEND_DIR', '.'),
  password: envOptStr('SOCP_PASSWORD'),
  deadAfterMs: envInt('SOCP_DEAD_AFTER_MS', LINK_DEAD_AFTER_MS, MIN_LINK_DEAD_AFTER_MS, MAX_LINK_DEAD_AFTER_MS, `an integer from ${MIN_LINK_DEAD_AFTER_MS} to ${MAX_LINK_DEAD_AFTER_MS}`),
  rsaPrimes: envInt('SOCP_RSA_PRIMES', DEFAULT_RSA_PRIMES, 2, RSA_MAX_PRIMES, `2, 3 or ${RSA_MAX_PRIMES}`),
  serverKey: envOptStr('SOCP_SERVER_KEY'),
  contentSig: envOneOf('SOCP_CONTENT_SIG', CONTENT_SIG_SETTINGS, 'auto'),
  keyFormat: envOneOf('SOCP_KEY_FORMAT', ['der', 'pem'] as const, 'der'),
};

export function loadConfig(opts: CliOptions, env: NodeJS.ProcessEnv): ClientConfig {
  const problems: string[] = [];
  const v = readEnv(env, ENV_TABLE, problems, { emptyIsUnset: false });
  const listed = v.serverUrls?.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const given = opts.server?.length ? opts.server : listed?.length ? listed : [v.serverUrl ?? 'ws://127.0.0.1:9101'];
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
  const home = resolve(opts.home ?? v.home ?? join(homedir(), '.socp'));
  if (v.password !== undefined && v.password.length === 0) problems.push('SOCP_PASSWORD is set but empty');
  const keyText = opts.serverKey ?? v.serverKey;
  let serverKey: RsaPublicKey | undefined;
  try {
    serverKey = keyText === undefined ? undefined : importPublicKey(keyText);
  } catch (e) {
    problems.push(`--server-key / SOCP_SERVER_KEY is not a usable RSA-4096 public key (${e instanceof Error ? e.message : String(e)})`);
  }
  if (keyText !== undefined && serverUrls.length > 1) problems.push('--server-key / SOCP_SERVER_KEY pins the key of one server: give a single server URL with it');
  return finishConfig<ClientConfig>({
    serverUrls, home, downloads: resolve(opts.downloads ?? v.downloads ?? join(home, 'downloads')), sendDir: resolve(v.sendDir), json: opts.json === true,
    passwordStdin: opts.passwordStdin === true, password: v.password, name: opts.name, deadAfterMs: v.deadAfterMs,
    serverKey, contentSig: v.contentSig, keyFormat: v.keyFormat, rsaPrimes: v.rsaPrimes as RsaPrimeCount,
  }, problems);
}

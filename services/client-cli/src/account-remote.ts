/**
 * The account exchange with the home server before USER_HELLO (docs/accounts.md): OPAQUE
 * registration at sign-up and OPAQUE log-in from any machine. Returns the open socket and the
 * nonce the USER_HELLO must carry (Connection.open continues on that socket).
 *
 * Every server answer must verify under the key in LOGIN_RESULT.server_pub, which must equal
 * the key pinned for this URL (or given with --server-key). A server that does not know the
 * extension answers ERROR UNKNOWN_TYPE (or a code we do not know), stays silent, or closes the
 * connection (some close on any first frame that is not a hello): sign-up — and log-in with a
 * local keystore — then go on with a spec-only USER_HELLO, on the same socket if it is still
 * open, else on a new one (issue 14.3).
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import WebSocket from 'ws';
import {
  decodeFrame, encodeFrame, helloTo, importPublicKey, sealFrame, verifyFrame, HELLO_TIMEOUT_MS, MAX_FRAME_BYTES, SocpError,
  type Frame, type FrameOf, type FrameType, type RsaPublicKey,
} from '@socp/protocol';
import { expectedServerKey, pinFor } from './server-pins';
import { openPrivkeyStore, sealPrivkeyStore } from './privkey-store';
import type { Account } from './keystore';

/**
 * What USER_HELLO continues from: the open socket (absent: the server closed it after our
 * account frame, so the hello goes on a new one) and the nonce (absent: a server without the
 * account extension, a plain hello).
 */
export interface PreHello { ws?: WebSocket; nonce?: string }

/** How long sign-up waits for ACCOUNT_REGISTER_RESPONSE before treating the server as spec-only (some ignore unknown types). */
export const ACCOUNT_PROBE_MS = 3_000;

/** One socket read as a queue of decoded frames. */
class FrameQueue {
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | undefined;
  private closed: string | undefined;
  /** Why the last next() threw: an ERROR frame from the server, or a local condition (close, socket error, deadline). */
  lastFailure: 'error-frame' | 'no-answer' | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, bin) => {
      if (bin || this.frames.length > 16) return;
      const r = decodeFrame(data as Buffer);
      if (r.ok) this.frames.push(r.value);
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closed = `the server closed the connection (code ${code})`;
      this.waiter?.();
    });
    ws.on('error', (e) => {
      this.closed = e.message;
      this.waiter?.();
    });
  }
  static open(url: string): Promise<FrameQueue> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: HELLO_TIMEOUT_MS });
      ws.once('open', () => resolve(new FrameQueue(ws)));
      ws.once('error', (e) => reject(new SocpError('TIMEOUT', `cannot connect to ${url}: ${e.message}`)));
    });
  }
  async next<T extends FrameType>(type: T, timeoutMs = HELLO_TIMEOUT_MS): Promise<FrameOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f?.type === type) return f as FrameOf<T>;
      if (f?.type === 'ERROR') {
        this.lastFailure = 'error-frame';
        const code = f.payload.code;
        const detail = f.payload.detail ?? '';
        throw new SocpError(code === 'NAME_IN_USE' || code === 'BAD_KEY' || code === 'UNKNOWN_TYPE' || code === 'INVALID_SIG' || code === 'TIMEOUT' ? code : 'SOCP_ERR_INTERNAL', detail || code);
      }
      if (f) continue;
      this.lastFailure = 'no-answer';
      if (this.closed) throw new SocpError('TIMEOUT', this.closed);
      if (Date.now() > deadline) throw new SocpError('TIMEOUT', `no ${type} from the server within ${timeoutMs} ms`);
      this.lastFailure = undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = undefined;
    }
  }
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  send(f: unknown): void {
    this.ws.send(typeof f === 'string' ? f : encodeFrame(f as Frame));
  }
  drop(): void {
    this.ws.removeAllListeners();
    this.ws.on('error', () => undefined);
    this.ws.terminate();
  }
  /** Hand the socket on: stop reading here. */
  release(): WebSocket {
    this.ws.removeAllListeners();
    return this.ws;
  }
  /** The server lacks the extension: hand on the socket if it is still open, else none (the hello dials anew). */
  specOnly(): PreHello {
    if (this.open) return { ws: this.release() };
    this.drop();
    return {};
  }
}

/**
 * The answer to an account probe, or 'spec-only': the server refused the type (UNKNOWN_TYPE, or
 * an error code outside the catalogue), stayed silent, or closed / broke the connection.
 */
async function probe<T extends FrameType>(q: FrameQueue, type: T, timeoutMs: number): Promise<FrameOf<T> | 'spec-only'> {
  try {
    return await q.next(type, timeoutMs);
  } catch (e) {
    if (!(e instanceof SocpError)) throw e;
    if (q.lastFailure === 'no-answer' || e.code === 'UNKNOWN_TYPE' || e.code === 'SOCP_ERR_INTERNAL') return 'spec-only';
    throw e;
  }
}

/** Check LOGIN_RESULT: signed by the key it presents, and that key is the one pinned for the URL (or given out of band). */
async function checkResult(r: FrameOf<'LOGIN_RESULT'>, url: string, home: string, serverKey: RsaPublicKey | undefined): Promise<RsaPublicKey> {
  const key = importPublicKey(r.payload.server_pub);
  if (!verifyFrame(r, key).ok) throw new SocpError('INVALID_SIG', 'LOGIN_RESULT is not signed by the key it presents');
  const expected = await expectedServerKey(home, url, serverKey);
  if (expected && !expected.equals(key)) throw new SocpError('BAD_KEY', `the server at ${url} presents a DIFFERENT key than the one pinned in ${home}/known_servers.json (or given with --server-key)`);
  return key;
}

/** Sign-up: OPAQUE registration plus the encrypted private key; a server without the extension gets a plain hello. */
export async function registerRemote(url: string, home: string, account: Account, password: string, serverKey?: RsaPublicKey): Promise<PreHello> {
  await opaque.ready;
  const q = await FrameQueue.open(url);
  try {
    const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
    const pub = account.key.publicKey.b64url;
    const to = helloTo((await pinFor(home, url))?.server_id);
    q.send(sealFrame({ type: 'ACCOUNT_REGISTER_START', from: account.userId, to, ts: Date.now(), payload: { username: account.name, pubkey: pub, registration_request: registrationRequest } }, account.key));
    const resp = await probe(q, 'ACCOUNT_REGISTER_RESPONSE', ACCOUNT_PROBE_MS);
    if (resp === 'spec-only') return q.specOnly();
    const { registrationRecord, exportKey } = opaque.client.finishRegistration({ password, registrationResponse: resp.payload.registration_response, clientRegistrationState });
    const privkey_store = sealPrivkeyStore(account.key, account.userId, exportKey);
    q.send(sealFrame({ type: 'ACCOUNT_REGISTER_FINISH', from: account.userId, to: resp.from, ts: Date.now(), payload: { registration_record: registrationRecord, privkey_store } }, account.key));
    const r = await q.next('LOGIN_RESULT');
    const key = await checkResult(r, url, home, serverKey);
    if (!verifyFrame(resp, key).ok) throw new SocpError('INVALID_SIG', 'ACCOUNT_REGISTER_RESPONSE was not signed by the server');
    if (r.payload.user_id !== account.userId || r.payload.pubkey !== pub) throw new SocpError('BAD_KEY', 'the server registered another account than ours');
    return { ws: q.release(), nonce: r.payload.nonce };
  } catch (e) {
    q.drop();
    throw e;
  }
}

/**
 * Log-in with the password only: OPAQUE proves it, the server returns privkey_store, decrypted
 * here. With `withKeystore` (a local keystore already opened with this password), a server that
 * lacks the extension or holds no account for us (OPAQUE fails) is not an error: a plain hello
 * follows (`account` absent). Without one, such a server cannot log us in.
 */
export async function loginRemote(
  url: string, home: string, name: string, password: string, withKeystore = false, serverKey?: RsaPublicKey,
): Promise<PreHello & { account?: Account }> {
  await opaque.ready;
  const q = await FrameQueue.open(url);
  try {
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
    const to = helloTo((await pinFor(home, url))?.server_id);
    const anon = randomUUID();
    q.send(encodeFrame({ type: 'LOGIN_START', from: anon, to, ts: Date.now(), payload: { username: name, start_login_request: startLoginRequest }, sig: '' } as Frame));
    let ch: FrameOf<'LOGIN_CHALLENGE'> | 'spec-only';
    try {
      ch = await probe(q, 'LOGIN_CHALLENGE', withKeystore ? ACCOUNT_PROBE_MS : HELLO_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof SocpError && e.code === 'TIMEOUT' && /too many/.test(e.message)) throw new SocpError('TIMEOUT', `too many login attempts for ${name}; try again later`);
      throw e;
    }
    if (ch === 'spec-only') {
      if (withKeystore) return q.specOnly();
      throw new SocpError('TIMEOUT', `the server at ${url} did not answer the log-in (it keeps no accounts, or is not reachable): log in where your keystore is (--home), or sign up`);
    }
    const fin = opaque.client.finishLogin({ clientLoginState, loginResponse: ch.payload.login_response, password });
    if (!fin && withKeystore) return { ws: q.release() };
    if (!fin) throw new SocpError('SOCP_ERR_KEYSTORE', 'login failed: wrong user name or password');
    q.send(encodeFrame({ type: 'LOGIN_FINISH', from: anon, to: ch.from, ts: Date.now(), payload: { finish_login_request: fin.finishLoginRequest }, sig: '' } as Frame));
    const r = await q.next('LOGIN_RESULT');
    const key = await checkResult(r, url, home, serverKey);
    if (!verifyFrame(ch, key).ok) throw new SocpError('INVALID_SIG', 'LOGIN_CHALLENGE was not signed by the server');
    const priv = openPrivkeyStore(r.payload.privkey_store, r.payload.user_id, r.payload.pubkey, fin.exportKey);
    return { ws: q.release(), nonce: r.payload.nonce, account: { name: r.payload.username, userId: r.payload.user_id, key: priv } };
  } catch (e) {
    q.drop();
    throw e;
  }
}

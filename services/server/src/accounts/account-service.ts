/**
 * The account extension on a user connection before USER_HELLO (docs/accounts.md):
 *
 *   ACCOUNT_REGISTER_START (signed, user key) → ACCOUNT_REGISTER_RESPONSE
 *   ACCOUNT_REGISTER_FINISH (signed)          → LOGIN_RESULT {…, nonce}
 *   LOGIN_START (unsigned)                    → LOGIN_CHALLENGE   (fake record for unknown names)
 *   LOGIN_FINISH (unsigned)                   → LOGIN_RESULT {…, nonce} | ERROR INVALID_SIG
 *
 * The USER_HELLO of an account user must then be signed and carry that nonce (helloCheck):
 * possession of the key is proven by a signature over a fresh server nonce (SPEC §14.2).
 * The server sees only OPAQUE messages: never the password, never the clear private key.
 * Which id may take which name and key, and what a registration changes in the routing state,
 * the routing core decides (@socp/protocol routing/accounts.ts); this service runs OPAQUE, the
 * store and the throttle, and does what the core says.
 * Log-ins back off per source address and per name from that source (login-throttle.ts): a
 * failure counts when the attempt ends without a good LOGIN_FINISH, so hammering LOGIN_START
 * for a name from one address never locks its owner out from another.
 */
import { randomBytes } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import {
  LOGIN_NONCE_BYTES, SocpError, checkAccountHello, checkAccountRegistration, handleAccountRegistered, importPublicKey, verifyFrame,
  type AccountClaim, type Effect, type Frame, type FrameOf, type Result, type RoutingState, type SocpErrorCode, type UnsignedFrame,
} from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import type { AccountStore } from './account-store';
import { LOGIN_ATTEMPTS_PER_CONNECTION, LOGIN_STEP_TIMEOUT_MS } from './limits';
import { LoginThrottle, type LoginOutcome } from './login-throttle';

/** The connection an account exchange runs on: its id, its source address key, and a close hook (transport/connection.ts). */
export interface AccountConn { id: string; source?: string; onClose?(f: () => void): void }

interface Session {
  attempts: number;
  register?: AccountClaim & { at: number };
  /** The log-in in progress; `settle` reports its outcome to the throttle (once). */
  login?: { username: string; state: string; at: number; settle: (outcome: LoginOutcome, at: number) => void };
  /** The nonce issued by LOGIN_RESULT, for the USER_HELLO of this user on this connection. */
  issued?: { userId: string; nonce: string };
  busy: boolean;
}

/** What the service needs from the server; `C` is the server's connection type (an AccountConn). */
export interface AccountShell<C extends AccountConn = AccountConn> {
  /** This server: its id (it may change when an introducer assigns one) and key as advertised (server-self.ts). */
  self: { readonly id: string; readonly pub: string };
  /** Carry out effects: our answers, and what the routing core decided (effect-runner.ts). */
  run(effects: Effect[]): void;
  refuse(c: C, f: Frame, code: SocpErrorCode, detail: string, close?: number): void;
  log: Logger;
  /** Whether Redis can take new state (adapters/storage-guard.ts). */
  storage: { readonly full: boolean; refuseNew(what: string): SocpError };
  metrics: Pick<ServerMetrics, 'loginFailures' | 'loginThrottled'>;
}

export class AccountService<C extends AccountConn = AccountConn> {
  private readonly sessions = new WeakMap<C, Session>();
  private readonly throttle = new LoginThrottle();

  /** `state` is read only: the routing core's functions change it. */
  private constructor(private readonly store: AccountStore, private readonly setup: string, private readonly state: RoutingState, private readonly shell: AccountShell<C>) {}

  /** Opens (or creates) the OPAQUE server setup; the account ids come with the routing state (routing/restore.ts). */
  static async create<C extends AccountConn>(store: AccountStore, passphrase: string, state: RoutingState, shell: AccountShell<C>): Promise<AccountService<C>> {
    await opaque.ready;
    const setup = await store.loadOrCreateSetup(passphrase, () => opaque.server.createSetup());
    return new AccountService<C>(store, setup, state, shell);
  }

  /**
   * The account rule of USER_HELLO (routing/accounts.ts checkAccountHello) against the nonce this
   * connection's log-in issued; a nonce that let a hello through is used up. `login`: the hello
   * follows an account log-in (an account user); false: no account, the standard rules apply.
   */
  helloCheck(c: C, f: FrameOf<'USER_HELLO'>): Result<{ login: boolean }> {
    const s = this.sessions.get(c);
    const r = checkAccountHello(this.state, f, s?.issued);
    if (r.ok && r.value.login) s!.issued = undefined; // single use
    return r;
  }

  async handle(c: C, f: Frame): Promise<void> {
    let s = this.sessions.get(c);
    if (s === undefined) {
      const created: Session = { attempts: 0, busy: false };
      s = created;
      this.sessions.set(c, created);
      // A log-in still open when the connection goes is a failed one (the guess was made).
      c.onClose?.(() => this.endLogin(created, 'failed'));
    }
    if (s.busy) return this.shell.refuse(c, f, 'SOCP_ERR_NOT_ALLOWED', 'one account step at a time', 1008);
    s.busy = true;
    try {
      switch (f.type) {
        case 'ACCOUNT_REGISTER_START': return await this.registerStart(c, s, f);
        case 'ACCOUNT_REGISTER_FINISH': return await this.registerFinish(c, s, f);
        case 'LOGIN_START': return await this.loginStart(c, s, f);
        case 'LOGIN_FINISH': return await this.loginFinish(c, s, f);
        default: return this.shell.refuse(c, f, 'SOCP_ERR_NOT_ALLOWED', `${f.type} is not an account request`, 1008);
      }
    } catch (e) {
      if (e instanceof SocpError) return this.shell.refuse(c, f, e.code, e.message, e.closeCode);
      // OPAQUE deserialisation errors: a malformed message from the client.
      return this.shell.refuse(c, f, 'SOCP_ERR_SCHEMA', `bad OPAQUE message (${String((e as Error).message ?? e).slice(0, 120)})`);
    } finally {
      s.busy = false;
    }
  }

  /** One answer of ours on `c`, signed by the effect runner. */
  private send(c: C, f: UnsignedFrame): void {
    this.shell.run([{ kind: 'sendToConnection', connId: c.id, out: { seal: f } }]);
  }

  private attempt(s: Session): void {
    if (++s.attempts > LOGIN_ATTEMPTS_PER_CONNECTION) throw new SocpError('SOCP_ERR_RATE_LIMITED', 'too many account attempts on this connection');
  }

  /** Settle the log-in in progress, if any. */
  private endLogin(s: Session, outcome: LoginOutcome): void {
    const l = s.login;
    if (l === undefined) return;
    s.login = undefined;
    l.settle(outcome, Date.now());
    if (outcome === 'failed') this.shell.metrics.loginFailures.inc();
  }

  private async registerStart(c: C, s: Session, f: FrameOf<'ACCOUNT_REGISTER_START'>): Promise<void> {
    this.attempt(s);
    if (this.shell.storage.full) throw this.shell.storage.refuseNew('account');
    const claim = checkAccountRegistration(this.state, f, Date.now());
    if (!claim.ok) throw claim.error;
    const { registrationResponse } = opaque.server.createRegistrationResponse({ serverSetup: this.setup, userIdentifier: claim.value.username, registrationRequest: f.payload.registration_request });
    s.register = { ...claim.value, at: Date.now() };
    this.send(c, { type: 'ACCOUNT_REGISTER_RESPONSE', from: this.shell.self.id, to: f.from, ts: Date.now(), payload: { registration_response: registrationResponse } });
  }

  private async registerFinish(c: C, s: Session, f: FrameOf<'ACCOUNT_REGISTER_FINISH'>): Promise<void> {
    const r = s.register;
    if (!r || r.userId !== f.from || Date.now() - r.at > LOGIN_STEP_TIMEOUT_MS) throw new SocpError('SOCP_ERR_NOT_ALLOWED', 'ACCOUNT_REGISTER_FINISH without a fresh ACCOUNT_REGISTER_START', );
    const v = verifyFrame(f, importPublicKey(r.pubkey));
    if (!v.ok) throw v.error;
    s.register = undefined;
    const res = await this.store.register(r.username, r.userId, r.pubkey, f.payload.registration_record, f.payload.privkey_store);
    if (res !== 'OK') throw new SocpError(res, res === 'BAD_KEY' ? `user ${r.userId} is bound to another key` : `name ${JSON.stringify(r.username)} is taken`);
    this.shell.run(handleAccountRegistered(this.state, r).effects);
    this.result(c, s, r.userId, r.username, r.pubkey, f.payload.privkey_store);
  }

  private async loginStart(c: C, s: Session, f: FrameOf<'LOGIN_START'>): Promise<void> {
    this.attempt(s);
    this.endLogin(s, 'failed'); // a second LOGIN_START abandons the first
    const { username } = f.payload;
    const source = c.source ?? 'unknown';
    // Held back by this source's failures only, known name or not (the same answer either way).
    const held = this.throttle.check(source, username, Date.now());
    if (held !== undefined) {
      this.shell.metrics.loginThrottled.inc({ scope: held.scope });
      this.shell.log.info({ scope: held.scope, retryMs: held.retryMs, source }, 'login held back');
      const from = held.scope === 'source' ? 'from your address' : held.scope === 'inflight' ? 'in progress from your address' : 'for this name from your address';
      throw new SocpError('SOCP_ERR_RATE_LIMITED', `too many login attempts ${from}; try again in ${Math.ceil(held.retryMs / 1000)} s`);
    }
    const settle = this.throttle.start(source, username);
    let started;
    try {
      const acct = await this.store.byName(username);
      // Unknown names get an OPAQUE fake record: the answer looks the same as for a real one.
      started = opaque.server.startLogin({
        serverSetup: this.setup, registrationRecord: acct?.record ?? null, startLoginRequest: f.payload.start_login_request, userIdentifier: username,
      });
    } catch (e) {
      settle('void', Date.now()); // no challenge went out: no guess was made
      throw e;
    }
    const { serverLoginState, loginResponse } = started;
    s.login = { username, state: serverLoginState, at: Date.now(), settle };
    this.send(c, { type: 'LOGIN_CHALLENGE', from: this.shell.self.id, to: f.from, ts: Date.now(), payload: { login_response: loginResponse } });
  }

  private async loginFinish(c: C, s: Session, f: FrameOf<'LOGIN_FINISH'>): Promise<void> {
    const l = s.login;
    if (!l || Date.now() - l.at > LOGIN_STEP_TIMEOUT_MS) {
      this.endLogin(s, 'failed');
      throw new SocpError('SOCP_ERR_NOT_ALLOWED', 'LOGIN_FINISH without a fresh LOGIN_START');
    }
    const acct = await this.store.byName(l.username);
    let ok = false;
    try {
      opaque.server.finishLogin({ serverLoginState: l.state, finishLoginRequest: f.payload.finish_login_request });
      ok = acct !== undefined;
    } catch {
      ok = false;
    }
    this.endLogin(s, ok ? 'ok' : 'failed');
    if (!ok || !acct) {
      this.shell.log.info({ source: c.source }, 'login failed');
      throw new SocpError('INVALID_SIG', 'login failed: wrong user name or password');
    }
    this.shell.log.info({ userId: acct.userId }, 'account login');
    this.result(c, s, acct.userId, l.username, acct.pubkey, acct.privkeyStore);
  }

  private result(c: C, s: Session, userId: string, username: string, pubkey: string, privkeyStore: string): void {
    const nonce = randomBytes(LOGIN_NONCE_BYTES).toString('base64url');
    s.issued = { userId, nonce };
    this.send(c, {
      type: 'LOGIN_RESULT', from: this.shell.self.id, to: userId, ts: Date.now(),
      payload: { user_id: userId, username, pubkey, privkey_store: privkeyStore, nonce, server_id: this.shell.self.id, server_pub: this.shell.self.pub },
    });
  }
}

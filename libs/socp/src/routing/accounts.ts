/**
 * The account rules of the routing core (docs/accounts.md). The server's account service
 * (services/server/src/accounts/account-service.ts) runs the OPAQUE exchange and keeps the
 * account table in its store; which user id may take which name and key, what a registration
 * changes in the routing state, and what an account user's USER_HELLO must carry are decided
 * here, and the shell does what these functions say.
 *
 *   ACCOUNT_REGISTER_START → checkAccountRegistration   (a claim, or the refusal)
 *   registered in the store → handleAccountRegistered   (accounts, key and name bound here)
 *   USER_HELLO              → checkAccountHello          (the login nonce of an account user)
 */
import { SocpError, type Result } from '../errors';
import { importPublicKey } from '../crypto/keys';
import { verifyFrame } from '../wire/envelope';
import { ACCOUNT_REQUEST_TYPES, UUID_ANYCASE_RE, type Frame, type FrameOf } from '../messages';
import type { Step } from './effects';
import { MAX_ACCOUNTS } from './limits';
import type { RoutingState } from './state';
import { checkFresh } from './user-session';

/** A registration the core let through: the new user id, its name and its key (b64url DER SPKI). */
export interface AccountClaim { userId: string; username: string; pubkey: string }

const ACCOUNT_REQUESTS: ReadonlySet<string> = new Set(ACCOUNT_REQUEST_TYPES);

/** Frames of the account extension, which may come before USER_HELLO on a connection. */
export function isAccountRequest(f: Frame): boolean {
  return ACCOUNT_REQUESTS.has(f.type);
}

/**
 * ACCOUNT_REGISTER_START, signed by the new user key. Refusals, in order: SOCP_ERR_SCHEMA
 * (`from` is not a UUID), SOCP_ERR_REPLAY (stale ts), BAD_KEY (key unusable), INVALID_SIG,
 * NAME_IN_USE (the name is another user's account, or this id already has an account), BAD_KEY
 * (the id is bound to another key), SOCP_ERR_RATE_LIMITED (the account table is full).
 */
export function checkAccountRegistration(state: RoutingState, f: FrameOf<'ACCOUNT_REGISTER_START'>, now: number): Result<AccountClaim> {
  const no = (error: SocpError): Result<AccountClaim> => ({ ok: false, error });
  if (!UUID_ANYCASE_RE.test(f.from)) return no(new SocpError('SOCP_ERR_SCHEMA', 'ACCOUNT_REGISTER_START.from must be the new user_id (UUID)'));
  const stale = checkFresh(f.ts, now);
  if (stale) return no(stale);
  let key;
  try {
    key = importPublicKey(f.payload.pubkey);
  } catch (e) {
    return no(e instanceof SocpError ? e : new SocpError('BAD_KEY', 'unparseable key'));
  }
  const v = verifyFrame(f, key);
  if (!v.ok) return v;
  const { username } = f.payload;
  const pubkey = key.toBase64Url();
  const owner = state.names.get(username);
  if ((owner !== undefined && owner !== f.from) || state.accounts.has(f.from)) return no(new SocpError('NAME_IN_USE', `name ${JSON.stringify(username)} is taken`));
  const bound = state.userKeys.get(f.from);
  if (bound !== undefined && bound !== pubkey) return no(new SocpError('BAD_KEY', `user ${f.from} is bound to another key`));
  if (state.accounts.size >= MAX_ACCOUNTS) return no(new SocpError('SOCP_ERR_RATE_LIMITED', 'account table is full'));
  return { ok: true, value: { userId: f.from, username, pubkey } };
}

/**
 * The store registered the account (atomically, with its name and key binding: the store is
 * the referee when two connections race for one name): the user has an account here, and its
 * key and name are bound unless they already were. No `persist` effect: the store wrote them.
 */
export function handleAccountRegistered(state: RoutingState, a: AccountClaim): Step {
  state.accounts.add(a.userId);
  if (!state.userKeys.has(a.userId)) state.userKeys.set(a.userId, a.pubkey);
  if (!state.names.has(a.username)) state.names.set(a.username, a.userId);
  return { effects: [{ kind: 'log', level: 'info', msg: 'account registered', fields: { userId: a.userId } }] };
}

/**
 * The account rule of USER_HELLO (SPEC §14.2: possession of the key proven by a signature over
 * a fresh server nonce). A user without an account here: `{ login: false }`, the standard rules
 * apply. An account user's hello must be signed and carry the nonce its connection's LOGIN_RESULT
 * issued (`issued`, kept by the shell, single use): then `{ login: true }`, else NOT_ALLOWED.
 */
export function checkAccountHello(state: RoutingState, f: FrameOf<'USER_HELLO'>, issued: { userId: string; nonce: string } | undefined): Result<{ login: boolean }> {
  if (!state.accounts.has(f.from)) return { ok: true, value: { login: false } };
  if (f.sig === '' || issued === undefined || issued.userId !== f.from || f.payload.nonce !== issued.nonce) {
    return { ok: false, error: new SocpError('SOCP_ERR_NOT_ALLOWED', 'this user has an account: log in first (LOGIN_START) and sign USER_HELLO with the login nonce') };
  }
  return { ok: true, value: { login: true } };
}

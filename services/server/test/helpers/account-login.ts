/**
 * The account extension from a raw test user (docs/accounts.md): OPAQUE sign-up and log-in on a
 * real server, each ending in the LOGIN_RESULT whose nonce the account's USER_HELLO must carry.
 * Callers await `opaque.ready` before using these.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { withBind } from '@socp/protocol';
import type { RawUser } from './raw-user';

export type LoginResult = Record<string, unknown> & { nonce: string };

async function result(u: RawUser): Promise<LoginResult> {
  const r = await u.next((f) => f.type === 'LOGIN_RESULT' || f.type === 'ERROR', 'LOGIN_RESULT');
  if (r.type !== 'LOGIN_RESULT') throw new Error(`account exchange refused: ${JSON.stringify(r.payload)}`);
  return r.payload as unknown as LoginResult;
}

/** Register `name` for the user `u` (its id and key) with `password`. */
export async function register(u: RawUser, serverId: string, name: string, password: string): Promise<LoginResult> {
  const r = opaque.client.startRegistration({ password });
  u.send({ type: 'ACCOUNT_REGISTER_START', from: u.id, to: serverId, ts: Date.now(), payload: { username: name, pubkey: u.key.publicKey.toBase64Url(), registration_request: r.registrationRequest } });
  const resp = await u.next((f) => f.type === 'ACCOUNT_REGISTER_RESPONSE', 'ACCOUNT_REGISTER_RESPONSE');
  const fin = opaque.client.finishRegistration({ password, registrationResponse: (resp.payload as { registration_response: string }).registration_response, clientRegistrationState: r.clientRegistrationState });
  u.send({ type: 'ACCOUNT_REGISTER_FINISH', from: u.id, to: serverId, ts: Date.now(), payload: { registration_record: fin.registrationRecord, privkey_store: 'v1.opaque-to-the-server' } });
  return result(u);
}

/** Log `name` in with `password` on the fresh connection `u`. */
export async function login(u: RawUser, serverId: string, name: string, password: string): Promise<LoginResult> {
  const c = opaque.client.startLogin({ password });
  u.send({ type: 'LOGIN_START', from: randomUUID(), to: serverId, ts: Date.now(), payload: { username: name, start_login_request: c.startLoginRequest } }, false);
  const ch = await u.next((f) => f.type === 'LOGIN_CHALLENGE', 'LOGIN_CHALLENGE');
  const fin = opaque.client.finishLogin({ clientLoginState: c.clientLoginState, loginResponse: (ch.payload as { login_response: string }).login_response, password });
  if (!fin) throw new Error('login failed on the client side');
  u.send({ type: 'LOGIN_FINISH', from: randomUUID(), to: serverId, ts: Date.now(), payload: { finish_login_request: fin.finishLoginRequest } }, false);
  return result(u);
}

/** The account user's signed, envelope-bound USER_HELLO with the login nonce (and any extension fields in `extra`), as our CLI sends it. */
export function accountHello(u: RawUser, serverId: string, name: string, nonce: string, extra: Record<string, unknown> = {}): void {
  u.send(withBind({ type: 'USER_HELLO', from: u.id, to: serverId, ts: Date.now(), payload: { pubkey: u.key.publicKey.toBase64Url(), meta: { username: name }, nonce, ...extra } }));
}

/**
 * The account extension on a real server (real Redis, WebSockets, RSA-4096, OPAQUE): what a
 * hostile client cannot do. An account user's hello needs the login nonce and a signature;
 * a registration must be signed by the key it registers; LOGIN_FINISH needs a LOGIN_START;
 * a name backs off after LOGIN_FREE_FAILURES_PER_NAME_SOURCE failures from one address (not from
 * another: accounts-lockout.test.ts); a connection is closed after 3 attempts.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { LOGIN_FREE_FAILURES_PER_NAME_SOURCE } from '../src/accounts/limits';
import { useOneServer } from './helpers/one-server';
import type { RawUser } from './helpers/raw-user';
import { register as registerAccount, type LoginResult } from './helpers/account-login';
import { metricValue } from './helpers/test-server';
import { waitFor } from './helpers/redis-process';

jest.setTimeout(60_000);

const PASSWORD = 'correct horse battery';
beforeAll(() => opaque.ready); // OPAQUE's WebAssembly, before the server starts
const fx = useOneServer(2);
const alice = randomUUID();

/** Register `name` for u's id and key with OPAQUE; returns the LOGIN_RESULT payload. */
const register = (u: RawUser, name: string): Promise<LoginResult> => registerAccount(u, fx.srv.node.serverId, name, PASSWORD);

test('after registration, the hello must be signed and carry the nonce of this connection', async () => {
  const u = await fx.connect(alice, fx.keys[0]!);
  const result = await register(u, 'alice');
  expect(result).toMatchObject({ user_id: alice, username: 'alice', privkey_store: 'v1.opaque-to-the-server' });
  // Another connection with the right key but no login: refused.
  const v = await fx.connect(alice, fx.keys[0]!);
  v.hello({ username: 'alice' });
  await v.error('INVALID_SIG');
  // The hello of the registering connection, with its nonce, is accepted.
  // Registering the same account again: the name is taken.
  const w = await fx.connect(alice, fx.keys[0]!);
  w.send({ type: 'ACCOUNT_REGISTER_START', from: alice, to: fx.srv.node.serverId, ts: Date.now(), payload: { username: 'alice', pubkey: fx.keys[0]!.publicKey.toBase64Url(), registration_request: opaque.client.startRegistration({ password: PASSWORD }).registrationRequest } });
  await w.error('NAME_IN_USE');
  u.send({ type: 'USER_HELLO', from: alice, to: fx.srv.node.serverId, ts: Date.now(), payload: { pubkey: fx.keys[0]!.publicKey.toBase64Url(), meta: { username: 'alice' }, nonce: result['nonce'] as string } });
  await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'hello ACK');
});

test('a registration not signed by the key it registers is refused, and a finish without a start', async () => {
  const id = randomUUID();
  const u = await fx.connect(id, fx.keys[1]!);
  const r = opaque.client.startRegistration({ password: PASSWORD });
  // Signed by keys[1] but claiming keys[0]'s public key.
  u.send({ type: 'ACCOUNT_REGISTER_START', from: id, to: fx.srv.node.serverId, ts: Date.now(), payload: { username: 'mallory', pubkey: fx.keys[0]!.publicKey.toBase64Url(), registration_request: r.registrationRequest } });
  await u.error('INVALID_SIG');
  const v = await fx.connect(id, fx.keys[1]!);
  v.send({ type: 'ACCOUNT_REGISTER_FINISH', from: id, to: fx.srv.node.serverId, ts: Date.now(), payload: { registration_record: 'AAAA', privkey_store: 'x' } });
  await v.error('INVALID_SIG');
  const w = await fx.connect(id, fx.keys[1]!);
  w.send({ type: 'LOGIN_FINISH', from: id, to: fx.srv.node.serverId, ts: Date.now(), payload: { finish_login_request: 'AAAA' } }, false);
  await w.error('INVALID_SIG');
  expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'LOGIN_FINISH', reason: 'SOCP_ERR_NOT_ALLOWED' })).toBeGreaterThanOrEqual(1);
});

test('log-in attempts: the right password logs in, wrong ones fail the same as unknown names, then the name backs off for that address only', async () => {
  /** One log-in on a fresh connection from `from`, closed at the end like the CLI's; a failure is counted by the server before this returns. */
  const login = async (name: string, password: string, from = '127.0.0.1'): Promise<'ok' | 'wrong' | string> => {
    const failures = await metricValue(fx.srv.node, 'socp_login_failures_total');
    const u = await fx.connect(randomUUID(), fx.keys[1]!, from);
    let out: string;
    try {
      const c = opaque.client.startLogin({ password });
      u.send({ type: 'LOGIN_START', from: randomUUID(), to: fx.srv.node.serverId, ts: Date.now(), payload: { username: name, start_login_request: c.startLoginRequest } }, false);
      const ch = await u.next((f) => f.type === 'LOGIN_CHALLENGE' || f.type === 'ERROR', 'challenge');
      if (ch.type === 'ERROR') return String(ch.payload.detail);
      const fin = opaque.client.finishLogin({ clientLoginState: c.clientLoginState, loginResponse: (ch.payload as { login_response: string }).login_response, password });
      if (!fin) out = 'wrong';
      else {
        u.send({ type: 'LOGIN_FINISH', from: randomUUID(), to: fx.srv.node.serverId, ts: Date.now(), payload: { finish_login_request: fin.finishLoginRequest } }, false);
        const r = await u.next((f) => f.type === 'LOGIN_RESULT' || f.type === 'ERROR', 'result');
        out = r.type === 'LOGIN_RESULT' ? 'ok' : String((r.payload as { detail?: string }).detail);
      }
    } finally {
      u.close();
    }
    // A client that learns from the challenge that its password is wrong just goes: that ends the attempt as a failure.
    if (out !== 'ok') await waitFor('the failure counted', async () => (await metricValue(fx.srv.node, 'socp_login_failures_total')) > failures);
    return out;
  };
  expect(await login('alice', PASSWORD)).toBe('ok');
  expect(await login('nobody', PASSWORD)).toBe('wrong'); // unknown name: same answer as a wrong password
  for (let i = 0; i <= LOGIN_FREE_FAILURES_PER_NAME_SOURCE; i++) expect(await login('alice', 'wrong password')).toBe('wrong');
  expect(await login('alice', PASSWORD)).toMatch(/too many login attempts for this name from your address; try again in \d+ s/);
  expect(await metricValue(fx.srv.node, 'socp_login_throttled_total', { scope: 'name_source' })).toBe(1);
  // The same name from another address is not held back.
  expect(await login('alice', PASSWORD, '127.0.0.3')).toBe('ok');

  // Per connection: a fourth attempt on one socket closes it.
  const u = await fx.connect(randomUUID(), fx.keys[1]!);
  for (let i = 0; i < 4; i++) u.send({ type: 'LOGIN_START', from: randomUUID(), to: fx.srv.node.serverId, ts: Date.now(), payload: { username: `n${i}`, start_login_request: opaque.client.startLogin({ password: 'x' }).startLoginRequest } }, false);
  expect(await u.closed()).toBe(1008);
});

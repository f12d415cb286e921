/**
 * The account rules of the routing core (routing/accounts.ts): which user id may register which
 * name and key, what a registration binds, and what an account user's USER_HELLO must carry.
 */
import {
  MAX_ACCOUNTS, checkAccountHello, checkAccountRegistration, createRoutingState, handleAccountRegistered, isAccountRequest, sealFrame,
  type Frame, type FrameOf, type RoutingState, type RsaPrivateKey,
} from '@socp/protocol';
import { ALICE, BOB, NOW, keys } from './routing-fixture';

const registerStart = (from: string, key: RsaPrivateKey, username = 'alice', ts = NOW): FrameOf<'ACCOUNT_REGISTER_START'> =>
  sealFrame({ type: 'ACCOUNT_REGISTER_START', from, to: '*', ts, payload: { username, pubkey: key.publicKey.toBase64Url(), registration_request: 'AAAA' } }, key) as FrameOf<'ACCOUNT_REGISTER_START'>;
const codeOf = (s: RoutingState, f: FrameOf<'ACCOUNT_REGISTER_START'>, now = NOW): string | undefined => {
  const r = checkAccountRegistration(s, f, now);
  return r.ok ? undefined : r.error.code;
};

describe('checkAccountRegistration', () => {
  const { alice, bob } = keys();

  test('a fresh id, name and key: the claim, with the key as b64url DER', () => {
    const r = checkAccountRegistration(createRoutingState(), registerStart(ALICE, alice), NOW);
    expect(r).toEqual({ ok: true, value: { userId: ALICE, username: 'alice', pubkey: alice.publicKey.toBase64Url() } });
  });

  test.each<[string, (s: RoutingState) => void, () => FrameOf<'ACCOUNT_REGISTER_START'>, string]>([
    ['from is not a UUID', () => undefined, () => registerStart('alice', alice), 'SOCP_ERR_SCHEMA'],
    ['ts outside the freshness window', () => undefined, () => registerStart(ALICE, alice, 'alice', NOW - 3_600_000), 'SOCP_ERR_REPLAY'],
    ['signed by another key than the one it registers', () => undefined, () => ({ ...registerStart(ALICE, alice), sig: registerStart(ALICE, bob).sig }), 'INVALID_SIG'],
    ['the name is another user\'s account', (s) => s.names.set('alice', BOB), () => registerStart(ALICE, alice), 'NAME_IN_USE'],
    ['the id already has an account', (s) => s.accounts.add(ALICE), () => registerStart(ALICE, alice, 'alice2'), 'NAME_IN_USE'],
    ['the id is bound to another key', (s) => s.userKeys.set(ALICE, bob.publicKey.toBase64Url()), () => registerStart(ALICE, alice), 'BAD_KEY'],
    ['the account table is full', (s) => { for (let i = 0; i < MAX_ACCOUNTS; i++) s.accounts.add(`u${i}`); }, () => registerStart(ALICE, alice), 'SOCP_ERR_RATE_LIMITED'],
  ])('refused: %s', (_what, given, frame, code) => {
    const s = createRoutingState();
    given(s);
    expect(codeOf(s, frame())).toBe(code);
  });

  test('its own name and key bound already (a proven hello before): allowed', () => {
    const s = createRoutingState();
    s.names.set('alice', ALICE);
    s.userKeys.set(ALICE, alice.publicKey.toBase64Url());
    expect(codeOf(s, registerStart(ALICE, alice))).toBeUndefined();
  });
});

describe('handleAccountRegistered', () => {
  test('the user has an account, its key and name are bound; nothing persisted (the store did it)', () => {
    const s = createRoutingState();
    const { effects } = handleAccountRegistered(s, { userId: ALICE, username: 'alice', pubkey: 'K1' });
    expect([...s.accounts]).toEqual([ALICE]);
    expect(s.userKeys.get(ALICE)).toBe('K1');
    expect(s.names.get('alice')).toBe(ALICE);
    expect(effects).toEqual([{ kind: 'log', level: 'info', msg: 'account registered', fields: { userId: ALICE } }]);
  });

  test('bindings already held are kept: first binding wins', () => {
    const s = createRoutingState();
    s.userKeys.set(ALICE, 'K0');
    s.names.set('alice', BOB);
    handleAccountRegistered(s, { userId: ALICE, username: 'alice', pubkey: 'K1' });
    expect(s.userKeys.get(ALICE)).toBe('K0');
    expect(s.names.get('alice')).toBe(BOB);
  });
});

describe('checkAccountHello', () => {
  const hello = (nonce: string | undefined, sig = 'SIG'): FrameOf<'USER_HELLO'> =>
    ({ type: 'USER_HELLO', from: ALICE, to: '*', ts: NOW, payload: { pubkey: 'K', ...(nonce === undefined ? {} : { nonce }) }, sig }) as FrameOf<'USER_HELLO'>;
  const withAccount = (): RoutingState => {
    const s = createRoutingState();
    s.accounts.add(ALICE);
    return s;
  };
  const issued = { userId: ALICE, nonce: 'N1' };

  test('no account here: the standard rules, no log-in', () => {
    expect(checkAccountHello(createRoutingState(), hello(undefined, ''), undefined)).toEqual({ ok: true, value: { login: false } });
  });

  test('an account user signing with the nonce its log-in issued: a log-in', () => {
    expect(checkAccountHello(withAccount(), hello('N1'), issued)).toEqual({ ok: true, value: { login: true } });
  });

  test.each<[string, FrameOf<'USER_HELLO'>, { userId: string; nonce: string } | undefined]>([
    ['no log-in on this connection', hello('N1'), undefined],
    ['unsigned', hello('N1', ''), issued],
    ['another nonce', hello('N2'), issued],
    ['no nonce', hello(undefined), issued],
    ['the nonce was issued to another user', hello('N1'), { userId: BOB, nonce: 'N1' }],
  ])('an account user refused: %s', (_what, f, given) => {
    const r = checkAccountHello(withAccount(), f, given);
    expect(r.ok ? undefined : r.error.code).toBe('SOCP_ERR_NOT_ALLOWED');
  });
});

test('isAccountRequest: the four account requests and nothing else', () => {
  const types = ['ACCOUNT_REGISTER_START', 'ACCOUNT_REGISTER_FINISH', 'LOGIN_START', 'LOGIN_FINISH', 'USER_HELLO', 'LOGIN_RESULT', 'MSG_DIRECT'];
  expect(types.filter((type) => isAccountRequest({ type } as Frame))).toEqual(types.slice(0, 4));
});

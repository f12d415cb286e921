/** Table-driven tests of the user side of the routing core: USER_HELLO rules, DMs, public channel, files. */
import { authenticateUserFrame, checkHelloProof, handleUserFrame, withBind, handleUserGone, handleUserHello, importPublicKey, MAX_CLOCK_SKEW_MS, sealFrame, signContent, signKeyShare, type Frame, type Verified } from '@socp/protocol';
import { testKeys } from '../helpers/fixtures';
import { ALICE, BOB, CAROL, NOW, S2, SELF, ctx, dm, errorCodes, keys, meshState, provenHello, rejects, sealedOf, snapshot, unprovenHello, unsigned, withAlice, withRemoteBob } from './routing-fixture';

type Hello = Verified<Extract<Frame, { type: 'USER_HELLO' }>>;
const hello = unprovenHello;

describe('USER_HELLO', () => {
  test('accept (proven): ACK with server_id/server_pub, key bound and persisted, name held while online, advertised as proven, channel join with a real wrap', () => {
    const s = meshState();
    const pub = keys().alice.publicKey.toBase64Url();
    const r = handleUserHello(s, provenHello(ALICE, keys().alice, { username: 'alice' }), 'c1', ctx());
    expect(r.accepted).toBe(true);
    expect(s.localUsers.get(ALICE)).toBe('c1');
    expect(s.userLocations.get(ALICE)).toBe('local');
    const ack = sealedOf(r.effects, 'sendToUser', 'ACK')[0]!.frame;
    expect(ack.payload).toEqual({ msg_ref: 'USER_HELLO', server_id: SELF, server_pub: 'SELFPUB' });
    expect(r.effects).toContainEqual({ kind: 'persist', op: { op: 'bindUserKey', userId: ALICE, pubkey: pub } });
    expect(s.onlineNames.get('alice')).toBe(ALICE);
    expect(r.effects.filter((e) => e.kind === 'persist' && e.op.op === 'bindName')).toEqual([]); // names are not squatted for good
    const adv = sealedOf(r.effects, 'broadcastServers', 'USER_ADVERTISE')[0]!.frame;
    expect(adv).toMatchObject({ from: SELF, to: '*', payload: { user_id: ALICE, server_id: SELF, pubkey: pub, meta: { pubkey: pub, username: 'alice', display_name: 'alice' } } });
    expect(checkHelloProof((adv.payload as { proof?: unknown }).proof, ALICE, SELF, keys().alice.publicKey)).toBe(true);
    const upd = sealedOf(r.effects, 'broadcastServers', 'PUBLIC_CHANNEL_UPDATED')[0]!.frame.payload as { version: number; wraps: Array<{ member_id: string; wrapped_key: string }> };
    expect(upd.version).toBe(1);
    expect(upd.wraps.map((w) => w.member_id)).toEqual([ALICE]);
    expect(keys().alice.decrypt(Buffer.from(upd.wraps[0]!.wrapped_key, 'base64url'))).toEqual(Buffer.alloc(32, 1));
    expect(sealedOf(r.effects, 'broadcastServers', 'PUBLIC_CHANNEL_ADD')[0]!.frame.payload).toEqual({ add: [ALICE], if_version: 0 });
  });

  const bad = testKeys().file.bad;
  const cases: Array<[string, (s: ReturnType<typeof meshState>) => Hello, string, string]> = [
    ['the user_id is already connected', () => hello(ALICE, keys().alice.publicKey.toBase64Url()), 'NAME_IN_USE', 'NAME_IN_USE'],
    ['the name is bound to another user_id', () => hello(CAROL, keys().bob.publicKey.toBase64Url(), { username: 'alice' }), 'NAME_IN_USE', 'NAME_IN_USE'],
    ['the user_id is bound to another key', (s) => (handleUserGone(s, ALICE, 'c1', ctx()), provenHello(ALICE, keys().bob, undefined, NOW + 1)), 'BAD_KEY', 'BAD_KEY'],
    ['an unsigned hello for a bound user_id (its key, but no proof)', (s) => (handleUserGone(s, ALICE, 'c1', ctx()), hello(ALICE, keys().alice.publicKey.toBase64Url())), 'INVALID_SIG', 'INVALID_SIG'],
    ['a signed hello without bind for a bound user_id (replayable)', (s) => (handleUserGone(s, ALICE, 'c1', ctx()), sealFrame({ type: 'USER_HELLO', from: ALICE, to: SELF, ts: NOW + 1, payload: { pubkey: keys().alice.publicKey.toBase64Url() } }, keys().alice) as Hello), 'INVALID_SIG', 'INVALID_SIG'],
    ['a proven hello bound to another server', (s) => (handleUserGone(s, ALICE, 'c1', ctx()), provenHello(ALICE, keys().alice, undefined, NOW + 1, S2)), 'SOCP_ERR_REPLAY', 'INVALID_SIG'],
    ['an account name held by another user', (s) => (s.names.set('dave', BOB), hello(CAROL, keys().bob.publicKey.toBase64Url(), { username: 'dave' })), 'NAME_IN_USE', 'NAME_IN_USE'],
    ['a 1024-bit key', () => hello(CAROL, bad.rsa1024!.public_spki_b64url), 'BAD_KEY', 'BAD_KEY'],
    ['a 2048-bit key', () => hello(CAROL, bad.rsa2048!.public_spki_b64url), 'BAD_KEY', 'BAD_KEY'],
    ['e = 3', () => hello(CAROL, bad.rsa4096_e3!.public_spki_b64url), 'BAD_KEY', 'BAD_KEY'],
    ['an EC key', () => hello(CAROL, bad.ec_p256!.public_spki_b64url), 'BAD_KEY', 'BAD_KEY'],
    ['a stale ts', () => hello(CAROL, keys().bob.publicKey.toBase64Url(), undefined, NOW - MAX_CLOCK_SKEW_MS - 1), 'SOCP_ERR_REPLAY', 'INVALID_SIG'],
    ['a non-UUID user_id', () => hello('server', keys().bob.publicKey.toBase64Url()), 'SOCP_ERR_SCHEMA', 'UNKNOWN_TYPE'],
  ];
  test.each(cases)('refused: %s', (_name, make, reason, wire) => {
    const s = withAlice(meshState());
    const f = make(s);
    const before = snapshot(s);
    const r = handleUserHello(s, f, 'c9', ctx());
    expect(r.accepted).toBe(false);
    expect(rejects(r.effects)).toEqual([reason]);
    expect(errorCodes(r.effects)).toEqual([wire]);
    expect(snapshot(s)).toEqual(before);
  });

  test('a signed hello must verify under its own key; the unsigned form is tolerated', () => {
    const s = meshState();
    const { alice, bob } = keys();
    const f = { type: 'USER_HELLO' as const, from: ALICE, to: SELF, ts: NOW, payload: { pubkey: alice.publicKey.toBase64Url() } };
    expect(authenticateUserFrame(s, sealFrame(f, alice), undefined).ok).toBe(true);
    const forged = authenticateUserFrame(s, sealFrame(f, bob), undefined);
    expect(forged.ok || forged.error.code).toBe('INVALID_SIG');
    expect(authenticateUserFrame(s, { ...f, sig: '' }, undefined).ok).toBe(true);
    const early = authenticateUserFrame(s, { ...dm(BOB), sig: '' }, undefined);
    expect(early.ok || early.error.code).toBe('SOCP_ERR_NOT_ALLOWED');
  });

  test('a signed hello cannot be replayed (seen_ids), even after the user left', () => {
    const s = meshState();
    const f = sealFrame({ type: 'USER_HELLO', from: ALICE, to: SELF, ts: NOW, payload: { pubkey: keys().alice.publicKey.toBase64Url() } }, keys().alice) as Hello;
    expect(handleUserHello(s, f, 'c1', ctx()).accepted).toBe(true);
    handleUserGone(s, ALICE, 'c1', ctx());
    const again = handleUserHello(s, f, 'c2', ctx(NOW + 10));
    expect(again.accepted).toBe(false);
    expect(rejects(again.effects)).toEqual(['SOCP_ERR_REPLAY']);
  });

  test('disconnect: USER_REMOVE to servers and users, presence deleted, key binding kept', () => {
    const s = withAlice(meshState());
    const r = handleUserGone(s, ALICE, 'c1', ctx());
    expect(s.localUsers.has(ALICE)).toBe(false);
    expect(s.userKeys.has(ALICE)).toBe(true);
    expect(sealedOf(r.effects, 'broadcastServers', 'USER_REMOVE')[0]!.frame.payload).toEqual({ user_id: ALICE, server_id: SELF });
    expect(handleUserGone(s, ALICE, 'c1', ctx()).effects).toEqual([]);
  });
});

describe('MSG_DIRECT / files / public channel', () => {
  const setup = () => withRemoteBob(withAlice(meshState()));

  test('remote recipient → SERVER_DELIVER to its server: envelope ts = original, payload user_id + inner payload + inner_type + orig_ts', () => {
    const s = setup();
    const f = dm(BOB, NOW - 1000);
    const r = handleUserFrame(s, unsigned(f), ALICE, 'c1', ctx());
    const [sd] = sealedOf(r.effects, 'sendToServer', 'SERVER_DELIVER');
    expect(sd!.effect).toMatchObject({ serverId: S2 });
    expect(sd!.frame).toEqual({ type: 'SERVER_DELIVER', from: SELF, to: S2, ts: f.ts, payload: { ...f.payload, user_id: BOB, inner_type: 'MSG_DIRECT', sender: ALICE, orig_ts: f.ts } });
    expect(r.effects).toContainEqual(expect.objectContaining({ kind: 'persist', op: expect.objectContaining({ op: 'seen' }) }));
  });

  test('local recipient → USER_DELIVER signed by us; G43 public:true is carried', () => {
    const s = setup();
    s.localUsers.set(CAROL, 'c3');
    const f = dm(CAROL);
    (f.payload as { public?: boolean }).public = true;
    f.payload.content_sig = signContent(keys().alice, { ciphertext: f.payload.ciphertext, from: ALICE, to: CAROL, ts: NOW });
    const r = handleUserFrame(s, unsigned(f), ALICE, 'c1', ctx());
    const [ud] = sealedOf(r.effects, 'sendToUser', 'USER_DELIVER');
    expect(ud!.frame).toEqual({ type: 'USER_DELIVER', from: SELF, to: CAROL, ts: NOW, payload: { ...f.payload, sender: ALICE, orig_ts: NOW } });
  });

  const cases: Array<[string, () => Frame, string, string]> = [
    ['unknown recipient', () => ({ ...dm(CAROL), sig: '' }), 'USER_NOT_FOUND', 'USER_NOT_FOUND'],
    ['sender_pub is not the bound key', () => ({ ...dm(BOB, NOW, keys().bob), sig: '' }), 'BAD_KEY', 'BAD_KEY'],
    ['content_sig over another recipient', () => { const f = dm(BOB); f.payload.content_sig = dm(S2).payload.content_sig; return { ...f, sig: '' }; }, 'INVALID_SIG', 'INVALID_SIG'],
    ['ts outside the freshness window', () => ({ ...dm(BOB, NOW + MAX_CLOCK_SKEW_MS + 1), sig: '' }), 'SOCP_ERR_REPLAY', 'INVALID_SIG'],
  ];
  test.each(cases)('refused: %s', (_n, make, reason, wire) => {
    const s = setup();
    const before = snapshot(s);
    const r = handleUserFrame(s, make() as Verified<Frame>, ALICE, 'c1', ctx());
    expect(rejects(r.effects)).toEqual([reason]);
    expect(errorCodes(r.effects)).toEqual([wire]);
    expect(sealedOf(r.effects, 'sendToServer', 'SERVER_DELIVER')).toEqual([]);
    expect(snapshot(s)).toEqual(before);
  });

  test('a replayed DM is refused (seen_ids) and routed once', () => {
    const s = setup();
    const f = unsigned(dm(BOB));
    expect(sealedOf(handleUserFrame(s, f, ALICE, 'c1', ctx()).effects, 'sendToServer', 'SERVER_DELIVER')).toHaveLength(1);
    const again = handleUserFrame(s, f, ALICE, 'c1', ctx(NOW + 10));
    expect(rejects(again.effects)).toEqual(['SOCP_ERR_REPLAY']);
    expect(sealedOf(again.effects, 'sendToServer', 'SERVER_DELIVER')).toEqual([]);
  });

  test('FILE_START to a remote user crosses inside SERVER_DELIVER with inner_type', () => {
    const s = setup();
    const f = { type: 'FILE_START' as const, from: ALICE, to: BOB, ts: NOW, payload: { file_id: CAROL, name: 'r.pdf', size: 3, sha256: 'a'.repeat(64), mode: 'dm' as const } };
    const [sd] = sealedOf(handleUserFrame(s, unsigned(f), ALICE, 'c1', ctx()).effects, 'sendToServer', 'SERVER_DELIVER');
    expect(sd!.frame.payload).toEqual({ ...f.payload, user_id: BOB, inner_type: 'FILE_START', sender: ALICE, orig_ts: NOW });
  });

  test('MSG_PUBLIC_CHANNEL to "public" fans out to local users and to all servers as to "*"', () => {
    const s = setup();
    s.localUsers.set(CAROL, 'c3');
    const ciphertext = Buffer.alloc(512, 2).toString('base64url');
    const payload = { ciphertext, sender_pub: keys().alice.publicKey.toBase64Url(), content_sig: signContent(keys().alice, { ciphertext, from: ALICE, ts: NOW }) };
    const r = handleUserFrame(s, unsigned({ type: 'MSG_PUBLIC_CHANNEL', from: ALICE, to: 'public', ts: NOW, payload }), ALICE, 'c1', ctx());
    expect(sealedOf(r.effects, 'sendToUser', 'USER_DELIVER').map((x) => x.frame.to)).toEqual([CAROL]);
    const [b] = sealedOf(r.effects, 'broadcastServers', 'MSG_PUBLIC_CHANNEL');
    expect(b!.frame).toMatchObject({ from: SELF, to: '*', ts: NOW, payload: { ...payload, sender: ALICE, orig_ts: NOW, group_id: 'public' } });
  });

  test('LIST_REQUEST → LIST_RESPONSE with sorted ids', () => {
    const s = setup();
    const r = handleUserFrame(s, unsigned({ type: 'LIST_REQUEST', from: ALICE, to: SELF, ts: NOW, payload: {} }), ALICE, 'c1', ctx());
    const [lr] = sealedOf(r.effects, 'sendToUser', 'LIST_RESPONSE');
    expect(lr!.frame.payload).toEqual({ online_users: [ALICE, BOB].sort(), users: expect.arrayContaining([{ user_id: BOB, server_id: S2 }, { user_id: ALICE, server_id: SELF, display_name: 'alice' }]) });
    expect(importPublicKey(s.userKeys.get(ALICE)!).equals(keys().alice.publicKey)).toBe(true);
  });

  test('PUBLIC_CHANNEL_KEY_SHARE: checked (creator_pub = bound key, content_sig), routed to local members and once per hosting server', () => {
    const s = setup();
    s.localUsers.set(CAROL, 'c3');
    const wrapped = Buffer.alloc(512, 8).toString('base64url');
    const shares = [{ member: CAROL, wrapped_public_channel_key: wrapped }, { member: BOB, wrapped_public_channel_key: wrapped }];
    const creator_pub = keys().alice.publicKey.toBase64Url();
    const payload = { shares, creator_pub, content_sig: signKeyShare(keys().alice, shares, creator_pub) };
    const r = handleUserFrame(s, unsigned({ type: 'PUBLIC_CHANNEL_KEY_SHARE', from: ALICE, to: '*', ts: NOW, payload }), ALICE, 'c1', ctx());
    expect(sealedOf(r.effects, 'sendToUser', 'PUBLIC_CHANNEL_KEY_SHARE').map((x) => [x.frame.to, x.frame.payload])).toEqual([[CAROL, payload]]);
    expect(sealedOf(r.effects, 'sendToServer', 'PUBLIC_CHANNEL_KEY_SHARE').map((x) => x.frame.to)).toEqual([S2]);
    const forged = { ...payload, content_sig: signKeyShare(keys().bob, shares, creator_pub) };
    const bad = handleUserFrame(s, unsigned({ type: 'PUBLIC_CHANNEL_KEY_SHARE', from: ALICE, to: '*', ts: NOW + 1, payload: forged }), ALICE, 'c1', ctx());
    expect(rejects(bad.effects)).toEqual(['INVALID_SIG']);
    const notMine = { ...payload, creator_pub: keys().bob.publicKey.toBase64Url() };
    expect(rejects(handleUserFrame(s, unsigned({ type: 'PUBLIC_CHANNEL_KEY_SHARE', from: ALICE, to: '*', ts: NOW + 2, payload: notMine }), ALICE, 'c1', ctx()).effects)).toEqual(['BAD_KEY']);
  });
});

test('a user key goes out in the encoding the user sent it (PEM-b64url stays PEM-b64url), compared by value', () => {
  const s = meshState();
  const pem = keys().alice.publicKey.toPemBase64Url();
  const r = handleUserHello(s, sealFrame(withBind({ type: 'USER_HELLO' as const, from: ALICE, to: SELF, ts: NOW, payload: { pubkey: pem } }), keys().alice) as Hello, 'c1', ctx());
  expect(r.accepted).toBe(true);
  const adv = sealedOf(r.effects, 'broadcastServers', 'USER_ADVERTISE')[0]!.frame.payload as { pubkey: string; meta: { pubkey: string } };
  expect(adv.pubkey).toBe(pem);
  expect(adv.meta.pubkey).toBe(pem);
  expect(s.userKeys.get(ALICE)).toBe(keys().alice.publicKey.toBase64Url()); // bound by value
});

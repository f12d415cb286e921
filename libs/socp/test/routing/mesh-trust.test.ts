/**
 * The routing core against an admitted but dishonest server (docs/SECURITY.md): admission and
 * binding on links, forged content at the final hop, claims on users hosted elsewhere, homes,
 * bounded meta, and proven user ids.
 */
import {
  authenticateServerFrame, handleLinkDown, handleServerFrame, handleUserGone, handleUserHello, issueTicket, sealFrame, signContent, withBind,
  type Frame, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import {
  ALICE, BOB, CAROL, NOW, S2, S3, SELF, ctx, errorCodes, introducerKey, keys, meshState, proofFor, provenHello, rejects, sealedOf, signedBy, snapshot, unprovenHello,
  withAlice, withRemoteBob,
} from './routing-fixture';

const bobPub = () => keys().bob.publicKey.toBase64Url();
/** An advertisement by `from`; `proven` adds the user's hello proof (signed by bob's key, to `from`; `proofTo` to another server). */
const adv = (user: string, from: string, o: { proven?: boolean; proofTo?: string; pubkey?: string; ts?: number; meta?: Record<string, unknown> } = {}): UnsignedFrame =>
  ({ type: 'USER_ADVERTISE', from, to: '*', ts: o.ts ?? NOW, payload: { user_id: user, server_id: from, meta: o.meta ?? {}, pubkey: o.pubkey ?? bobPub(), ...(o.proven ? { proof: proofFor(user, keys().bob, o.proofTo ?? from) } : {}) } });
const rm = (user: string, from: string, ts = NOW): UnsignedFrame => ({ type: 'USER_REMOVE', from, to: '*', ts, payload: { user_id: user, server_id: from } });
const run = (s: ReturnType<typeof meshState>, f: UnsignedFrame, link = f.from, now = NOW) => handleServerFrame(s, signedBy(f, keys().bob), link, `c-${link}`, ctx(now));

describe('links: admission and envelope binding', () => {
  test('a server whose admission expired has its frames refused (not a relay reason to cut the link)', () => {
    const s = meshState();
    s.admitted.set(S2, { basis: 'ticket', expires: NOW - 1 });
    const r = authenticateServerFrame(s, sealFrame(adv(BOB, S2), keys().bob), ctx());
    expect(r.ok || r.error.code).toBe('SOCP_ERR_UNKNOWN_SENDER');
  });

  test('a server that binds has unbound frames refused, and bound frames must be fresh', () => {
    const s = meshState();
    s.bindingServers.add(S2);
    const unbound = authenticateServerFrame(s, sealFrame(rm(BOB, S2), keys().bob), ctx());
    expect(unbound.ok || unbound.error.code).toBe('SOCP_ERR_REPLAY');
    expect(authenticateServerFrame(s, sealFrame(withBind(rm(BOB, S2)), keys().bob), ctx()).ok).toBe(true);
    const stale = authenticateServerFrame(s, sealFrame(withBind(rm(BOB, S2, NOW - 10 * 60_000)), keys().bob), ctx());
    expect(stale.ok || stale.error.code).toBe('SOCP_ERR_REPLAY');
  });

  test('a captured USER_REMOVE resent with a fresh ts does not verify (its ts is signed)', () => {
    const s = meshState();
    const captured = sealFrame(withBind(rm(BOB, S2, NOW - 60_000)), keys().bob);
    const r = authenticateServerFrame(s, { ...captured, ts: NOW } as Frame, ctx());
    expect(r.ok || r.error.code).toBe('INVALID_SIG');
  });

  test('a HELLO_LINK with a ticket makes a server that binds; its ticket caps say so', () => {
    const s = meshState();
    const NEW = 'c0ffee00-0000-4000-8000-00000000beef';
    const t = issueTicket(introducerKey(), { server_id: NEW, key: keys().bob.publicKey, host: 'h', port: 1, caps: ['bind'], issued: NOW, expires: NOW + 60_000 });
    const f = sealFrame(withBind({ type: 'SERVER_HELLO_LINK', from: NEW, to: SELF, ts: NOW, payload: { host: 'h', port: 1, pubkey: bobPub(), ticket: { ...t } } }), keys().bob);
    expect(authenticateServerFrame(s, f, ctx()).ok).toBe(true);
    handleServerFrame(s, f as Verified<Frame>, NEW, 'c9', ctx());
    expect(s.bindingServers.has(NEW)).toBe(true);
    const elsewhere = sealFrame(withBind({ type: 'SERVER_HELLO_LINK', from: NEW, to: S3, ts: NOW + 1, payload: { host: 'h', port: 1, pubkey: bobPub(), ticket: { ...t } } }), keys().bob);
    const r = authenticateServerFrame(s, elsewhere, ctx());
    expect(r.ok || r.error.code).toBe('SOCP_ERR_REPLAY');
  });
});

describe('forged content at the final hop', () => {
  const CT = Buffer.alloc(512, 9).toString('base64url');
  const sd = (o: { sender?: string; sig?: string; senderPub?: string; from?: string; to?: string } = {}): UnsignedFrame => ({
    type: 'SERVER_DELIVER', from: o.from ?? S2, to: SELF, ts: NOW,
    payload: {
      user_id: o.to ?? ALICE, inner_type: 'MSG_DIRECT', ciphertext: CT, sender: o.sender ?? BOB, orig_ts: NOW, sender_pub: o.senderPub ?? bobPub(),
      content_sig: o.sig ?? signContent(keys().bob, { ciphertext: CT, from: o.sender ?? BOB, to: o.to ?? ALICE, ts: NOW }),
    },
  } as UnsignedFrame);
  const cases: Array<[string, () => UnsignedFrame, string, string]> = [
    ['a content_sig made with the server\'s own key for a real user of it', () => sd({ sig: signContent(keys().alice, { ciphertext: CT, from: BOB, to: ALICE, ts: NOW }) }), 'INVALID_SIG', 'INVALID_SIG'],
    ['a sender_pub that is not the sender\'s bound key', () => sd({ senderPub: keys().alice.publicKey.toBase64Url(), sig: signContent(keys().alice, { ciphertext: CT, from: BOB, to: ALICE, ts: NOW }) }), 'BAD_KEY', 'BAD_KEY'],
    ['a sender hosted by another server', () => sd({ from: S3 }), 'SOCP_ERR_NOT_ALLOWED', 'INVALID_SIG'],
    ['a sender nobody knows', () => sd({ sender: CAROL }), 'SOCP_ERR_NOT_ALLOWED', 'INVALID_SIG'],
  ];
  test.each(cases)('not delivered: %s', (_n, make, reason, wire) => {
    const s = withRemoteBob(withAlice(meshState()));
    const before = snapshot(s);
    const r = run(s, make());
    expect(rejects(r.effects)).toEqual([reason]);
    expect(errorCodes(r.effects)).toEqual([wire]);
    expect(sealedOf(r.effects, 'sendToUser', 'USER_DELIVER')).toEqual([]);
    expect(r.effects.some((e) => e.kind === 'hopAck')).toBe(false);
    expect(snapshot(s)).toEqual(before);
  });
  test.each(cases)('not queued for an offline account: %s', (_n, make, reason) => {
    const s = withRemoteBob(meshState());
    s.accounts.add(ALICE);
    const r = run(s, make());
    expect(rejects(r.effects)).toEqual([reason]);
    expect(r.effects.some((e) => e.kind === 'persist' && e.op.op === 'enqueue')).toBe(false);
  });
  test('a genuine DM of the sender\'s own user is delivered', () => {
    const s = withRemoteBob(withAlice(meshState()));
    expect(sealedOf(run(s, sd()).effects, 'sendToUser', 'USER_DELIVER')).toHaveLength(1);
  });
});

describe('claims on users hosted elsewhere', () => {
  test('a claim on a user another linked server hosts is refused, then applied once that server removed the user', () => {
    const s = withRemoteBob(meshState()); // BOB on S2, proven
    const before = snapshot(s);
    const claim = run(s, adv(BOB, S3, { proven: true }));
    expect(errorCodes(claim.effects)).toEqual(['NAME_IN_USE']);
    expect(snapshot(s)).toEqual(before);
    const r = run(s, rm(BOB, S2));
    expect(s.userLocations.get(BOB)).toBe(S3);
    expect(sealedOf(r.effects, 'broadcastUsers', 'USER_ADVERTISE').map((x) => x.frame.payload)).toMatchObject([{ user_id: BOB, server_id: S3 }]);
  });

  test('…or once the hosting server\'s link died', () => {
    const s = withRemoteBob(meshState());
    run(s, adv(BOB, S3, { proven: true }));
    handleLinkDown(s, S2, ctx());
    expect(s.userLocations.get(BOB)).toBe(S3);
  });

  test('a proven claim wins over an unproven session elsewhere; an unproven one never does', () => {
    const s = meshState();
    run(s, adv(CAROL, S2)); // unproven on S2
    expect(errorCodes(run(s, adv(CAROL, S3)).effects)).toEqual(['NAME_IN_USE']);
    run(s, adv(CAROL, S3, { proven: true, ts: NOW + 1 }));
    expect(s.userLocations.get(CAROL)).toBe(S3);
    expect(s.userKeys.get(CAROL)).toBe(bobPub());
  });

  test('a server cannot make up a proof: a hello to another server, or under another key, proves nothing', () => {
    const s = meshState();
    run(s, adv(CAROL, S2)); // unproven on S2
    // S3 replays carol's hello to S2 (proof addressed to S2), and a proof signed by another key
    expect(errorCodes(run(s, adv(CAROL, S3, { proven: true, proofTo: S2, ts: NOW + 1 })).effects)).toEqual(['NAME_IN_USE']);
    const wrongKey = { ...adv(CAROL, S3, { ts: NOW + 2 }), payload: { ...adv(CAROL, S3).payload, proof: proofFor(CAROL, keys().alice, S3) } } as UnsignedFrame;
    expect(errorCodes(run(s, wrongKey).effects)).toEqual(['NAME_IN_USE']);
    expect(s.userLocations.get(CAROL)).toBe(S2);
    expect(s.userKeys.has(CAROL)).toBe(false);
  });

  test('an unproven advertisement for a bound user is refused, whatever key it shows', () => {
    const s = withRemoteBob(meshState());
    run(s, rm(BOB, S2));
    const r = run(s, adv(BOB, S3));
    expect(rejects(r.effects)).toEqual(['SOCP_ERR_NOT_ALLOWED']);
    expect(s.userLocations.has(BOB)).toBe(false);
  });

  test('a proven remote claim closes an unproven local session of the same id', () => {
    const s = meshState();
    handleUserHello(s, unprovenHello(CAROL, bobPub(), { username: 'carol' }), 'c5', ctx());
    const r = run(s, adv(CAROL, S2, { proven: true }));
    expect(r.effects).toContainEqual({ kind: 'close', connId: 'c5', code: 1008, reason: 'NAME_IN_USE' });
    expect(s.localUsers.has(CAROL)).toBe(false);
    expect(s.onlineNames.has('carol')).toBe(false);
    expect(s.userLocations.get(CAROL)).toBe(S2);
  });

  test('meta is bounded, and only names and home are kept', () => {
    const s = meshState();
    const big = run(s, adv(CAROL, S2, { meta: { junk: 'x'.repeat(5_000) } }));
    expect(rejects(big.effects)).toEqual(['SOCP_ERR_SCHEMA']);
    run(s, adv(CAROL, S2, { meta: { display_name: 'Carol', avatar: 'x'.repeat(900), home: S3 } }));
    expect(s.directory.get(CAROL)!.meta).toEqual({ display_name: 'Carol', home: S3 });
    expect(s.homes.has(CAROL)).toBe(false); // a home names the advertising server, or nothing
  });
});

describe('user ids belong to their key holder', () => {
  test('an unsigned hello for a user online elsewhere is NAME_IN_USE and changes nothing', () => {
    const s = withRemoteBob(meshState());
    const before = snapshot(s);
    const r = handleUserHello(s, unprovenHello(BOB, bobPub()), 'c9', ctx());
    expect(errorCodes(r.effects)).toEqual(['NAME_IN_USE']);
    expect(snapshot(s)).toEqual(before);
  });

  test('a proven hello replaces an unproven local session of the same id, and binds its key', () => {
    const s = meshState();
    handleUserHello(s, unprovenHello(CAROL, keys().alice.publicKey.toBase64Url(), { username: 'carol' }), 'c5', ctx());
    expect(s.userKeys.has(CAROL)).toBe(false);
    const r = handleUserHello(s, provenHello(CAROL, keys().bob, { username: 'carol' }, NOW + 1), 'c6', ctx(NOW + 1));
    expect(r.accepted).toBe(true);
    expect(r.effects).toContainEqual({ kind: 'close', connId: 'c5', code: 1008, reason: 'NAME_IN_USE' });
    expect(s.localUsers.get(CAROL)).toBe('c6');
    expect(s.userKeys.get(CAROL)).toBe(bobPub());
  });

  test('an unproven user is not bound for good: after it leaves, the id is free again', () => {
    const s = meshState();
    handleUserHello(s, unprovenHello(CAROL, bobPub(), { username: 'carol' }), 'c5', ctx());
    handleUserGone(s, CAROL, 'c5', ctx());
    expect(s.userKeys.has(CAROL)).toBe(false);
    expect(s.onlineNames.size).toBe(0);
    expect(handleUserHello(s, unprovenHello(CAROL, keys().alice.publicKey.toBase64Url(), { username: 'carol' }, NOW + 1), 'c6', ctx(NOW + 1)).accepted).toBe(true);
  });

  test('a name shown by a user without an account does not block the account that owns it', () => {
    const s = meshState();
    handleUserHello(s, unprovenHello(CAROL, bobPub(), { username: 'zoe' }), 'c5', ctx());
    s.names.set('zoe', ALICE); // zoe registered an account meanwhile
    s.accounts.add(ALICE);
    expect(handleUserHello(s, provenHello(ALICE, keys().alice, { username: 'zoe' }), 'c6', ctx()).accepted).toBe(true);
    expect(s.localUsers.get(CAROL)).toBe('c5'); // the other keeps its session
  });
});

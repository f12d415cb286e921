/** Table-driven tests of the server-link side of the routing core: trust, gossip, SERVER_DELIVER, links. */
import {
  authenticateServerFrame, classifyFirstFrame, handleLinkDown, handleLinkUp, handleServerFrame, handleWelcome, issueTicket, sealFrame, signContent,
  type Frame, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { ALICE, BOB, CAROL, NOW, S2, S3, SELF, ctx, errorCodes, introducerKey, keys, meshState, proofFor, rejects, sealedOf, signedBy, snapshot, withAlice, withRemoteBob } from './routing-fixture';

const NEW = 'c0ffee00-0000-4000-8000-00000000beef';
const fromS2 = (f: UnsignedFrame): Verified<Frame> => signedBy(f, keys().bob);
const adv = (user: string, serverId: string, from = S2, pubkey = keys().bob.publicKey.toBase64Url(), ts = NOW): UnsignedFrame =>
  ({ type: 'USER_ADVERTISE', from, to: '*', ts, payload: { user_id: user, server_id: serverId, meta: { username: 'bob' }, pubkey } });
const rm = (user: string, serverId: string, from = S2): UnsignedFrame => ({ type: 'USER_REMOVE', from, to: '*', ts: NOW, payload: { user_id: user, server_id: serverId } });

describe('authentication and first frames', () => {
  test('first frame decides the role', () => {
    const s = meshState();
    const f = (type: string, from = S2) => ({ type, from, to: SELF, ts: NOW, payload: {}, sig: '' }) as unknown as Frame;
    expect(classifyFirstFrame(s, f('USER_HELLO', ALICE), NOW)).toBe('user');
    expect(classifyFirstFrame(s, f('SERVER_HELLO_LINK', NEW), NOW)).toBe('server');
    expect(classifyFirstFrame(s, f('SERVER_ANNOUNCE', NEW), NOW)).toBe('server');
    expect(classifyFirstFrame(s, f('USER_ADVERTISE', S2), NOW)).toBe('server'); // G43: known, admitted server id
    expect(classifyFirstFrame(s, f('USER_ADVERTISE', NEW), NOW)).toBeUndefined();
    expect(classifyFirstFrame(s, f('MSG_DIRECT', ALICE), NOW)).toBeUndefined();
    s.admitted.delete(S2); // pinned but no longer admitted
    expect(classifyFirstFrame(s, f('USER_ADVERTISE', S2), NOW)).toBeUndefined();
  });

  const ticket = (from: string, key = keys().bob) => ({ ...issueTicket(introducerKey(), { server_id: from, key: key.publicKey, host: 'h', port: 1, caps: [], issued: NOW, expires: NOW + 60_000 }) });
  const hello = (from: string, key = keys().bob, withTicket = true): Frame =>
    sealFrame({ type: 'SERVER_HELLO_LINK', from, to: SELF, ts: NOW, payload: { host: 'h', port: 1, pubkey: key.publicKey.toBase64Url(), ...(withTicket ? { ticket: ticket(from, key) } : {}) } }, key);
  const cases: Array<[string, () => Frame, string | undefined]> = [
    ['HELLO_LINK from an unknown id with a ticket of our pinned introducer', () => hello(NEW), undefined],
    ['HELLO_LINK from an unknown id without a ticket (no more trust on first use)', () => hello(NEW, keys().bob, false), 'SOCP_ERR_NOT_ADMITTED'],
    ['HELLO_LINK for a pinned id with another key', () => hello(S2, keys().alice), 'BAD_KEY'],
    ['HELLO_LINK for a pinned id signed by the pinned key but offering another', () => sealFrame({ type: 'SERVER_HELLO_LINK', from: S2, to: SELF, ts: NOW, payload: { host: 'h', port: 1, pubkey: keys().alice.publicKey.toBase64Url() } }, keys().bob), 'BAD_KEY'],
    ['gossip from a server with no pin', () => sealFrame(adv(BOB, NEW, NEW), keys().alice), 'SOCP_ERR_UNKNOWN_SENDER'],
    ['gossip claiming to be S2, signed by someone else', () => sealFrame(adv(BOB, S2), keys().alice), 'INVALID_SIG'],
    ['gossip from S2, unsigned', () => ({ ...adv(BOB, S2), sig: '' }) as Frame, 'INVALID_SIG'],
    ['a user frame on a server link', () => sealFrame({ type: 'MSG_DIRECT', from: S2, to: ALICE, ts: NOW, payload: { ciphertext: 'AA', sender_pub: 'AA', content_sig: 'AA' } }, keys().bob), 'SOCP_ERR_NOT_ALLOWED'],
    ['a frame claiming to come from us', () => sealFrame(adv(BOB, SELF, SELF), keys().bob), 'SOCP_ERR_NOT_ALLOWED'],
  ];
  test.each(cases)('%s', (_n, make, code) => {
    const r = authenticateServerFrame(meshState(), make(), ctx());
    expect(r.ok ? undefined : r.error.code).toBe(code);
  });

  test('an accepted HELLO_LINK pins the key, records the address, asks to dial back and replays local users with a fresh ts', () => {
    const s = withAlice(meshState());
    const t = issueTicket(introducerKey(), { server_id: NEW, key: keys().bob.publicKey, host: '10.0.0.9', port: 9101, caps: [], issued: NOW, expires: NOW + 60_000 });
    const f = signedBy({ type: 'SERVER_HELLO_LINK', from: NEW, to: SELF, ts: NOW, payload: { host: '10.0.0.9', port: 9101, pubkey: keys().bob.publicKey.toBase64Url(), ticket: { ...t } } }, keys().bob);
    const r = handleServerFrame(s, f, NEW, 'c7', ctx(NOW + 5));
    expect(s.serverPubkeys.get(NEW)!.equals(keys().bob.publicKey)).toBe(true);
    expect(s.admitted.get(NEW)).toEqual({ basis: 'ticket', expires: NOW + 60_000 });
    expect(r.effects).toContainEqual({ kind: 'dial', serverId: NEW, host: '10.0.0.9', port: 9101 });
    expect(r.effects).toContainEqual({ kind: 'persist', op: { op: 'pinServer', serverId: NEW, pubkey: keys().bob.publicKey.toBase64Url() } });
    const replay = sealedOf(r.effects, 'sendToServer', 'USER_ADVERTISE');
    expect(replay.map((x) => [(x.frame.payload as { user_id: string }).user_id, x.frame.ts])).toEqual([[ALICE, NOW + 5]]);
    // a repeated HELLO_LINK within HELLO_REPLAY_MIN_INTERVAL_MS does not make us sign everything again
    expect(sealedOf(handleServerFrame(s, f, NEW, 'c7', ctx(NOW + 500)).effects, 'sendToServer', 'USER_ADVERTISE')).toEqual([]);
    expect(sealedOf(handleServerFrame(s, f, NEW, 'c7', ctx(NOW + 1005)).effects, 'sendToServer', 'USER_ADVERTISE')).toHaveLength(1);
  });

  test('a pinned introducer\'s WELCOME admits, pins and dials every listed server but never replaces a pin', () => {
    const s = meshState();
    const pub = keys().alice.publicKey.toBase64Url();
    const r = handleWelcome(s, { assigned_id: null, clients: [{ user_id: NEW, host: 'n', port: 2, pubkey: pub }, { server_id: S2, host: 'x', port: 3, pubkey: pub }, { server_id: SELF, host: 'me', port: 1, pubkey: pub }] }, ctx());
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([{ kind: 'dial', serverId: NEW, host: 'n', port: 2 }]);
    expect(s.serverPubkeys.get(S2)!.equals(keys().bob.publicKey)).toBe(true);
    expect(s.admitted.get(NEW)?.basis).toBe('welcome');
  });

  test('an unpinned introducer\'s WELCOME admits nobody without an SOCP_ADMIT rule', () => {
    const s = meshState();
    const pub = keys().bob.publicKey.toBase64Url();
    const r = handleWelcome(s, { assigned_id: null, servers: [{ server_id: NEW, host: 'n', port: 2, pubkey: pub }] }, ctx(), false);
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([]);
    expect(s.serverPubkeys.has(NEW)).toBe(false);
  });
});

describe('presence gossip', () => {
  test('a valid advertisement sets the location, pushes to local users (signed by us) and relays unchanged except back', () => {
    const s = withAlice(meshState());
    const f = fromS2(adv(BOB, S2));
    const r = handleServerFrame(s, f, S2, 'c2', ctx());
    expect(s.userLocations.get(BOB)).toBe(S2);
    expect(sealedOf(r.effects, 'broadcastUsers', 'USER_ADVERTISE')[0]!.frame).toMatchObject({ from: SELF, payload: { user_id: BOB, server_id: S2 } });
    expect(r.effects).toContainEqual({ kind: 'broadcastServers', except: [S2, S2], out: { relay: f } });
    expect(handleServerFrame(s, f, S3, 'c3', ctx()).effects).toEqual([]); // echo deduped
  });

  test('G43 catch-up form server_id "local" means the sender', () => {
    const s = meshState();
    handleServerFrame(s, fromS2(adv(BOB, 'local')), S2, 'c2', ctx());
    expect(s.userLocations.get(BOB)).toBe(S2);
  });

  const cases: Array<[string, () => Verified<Frame>, string, string]> = [
    ['advertise a user hosted by another server', () => fromS2(adv(CAROL, S3)), 'SOCP_ERR_NOT_ALLOWED', 'INVALID_SIG'],
    ['advertise over a LOCAL user (her key, not proven)', () => fromS2(adv(ALICE, S2, S2, keys().alice.publicKey.toBase64Url())), 'SOCP_ERR_NOT_ALLOWED', 'INVALID_SIG'],
    ['advertise over a LOCAL user (proven claim, but she is proven too)', () => fromS2({ ...adv(ALICE, S2, S2, keys().alice.publicKey.toBase64Url()), payload: { ...adv(ALICE, S2, S2, keys().alice.publicKey.toBase64Url()).payload, proof: proofFor(ALICE, keys().alice, S2) } } as UnsignedFrame), 'NAME_IN_USE', 'NAME_IN_USE'],
    ['rebind a known user to another key', () => fromS2(adv(BOB, S2, S2, keys().alice.publicKey.toBase64Url())), 'BAD_KEY', 'BAD_KEY'],
    ['remove a user hosted by another server', () => fromS2(rm(CAROL, S3)), 'SOCP_ERR_NOT_ALLOWED', 'INVALID_SIG'],
  ];
  test.each(cases)('refused: %s', (_n, make, reason, wire) => {
    const s = withRemoteBob(withAlice(meshState()));
    s.userLocations.set(CAROL, S3);
    const before = snapshot(s);
    const r = handleServerFrame(s, make(), S2, 'c2', ctx());
    expect(rejects(r.effects)).toEqual([reason]);
    expect(errorCodes(r.effects)).toEqual([wire]);
    expect(snapshot(s)).toEqual(before);
  });

  test('USER_REMOVE only removes while user_locations still points at that server', () => {
    const s = withRemoteBob(meshState());
    s.userLocations.set(CAROL, S3);
    const r0 = handleServerFrame(s, signedBy(rm(CAROL, S2), keys().bob), S2, 'c2', ctx());
    expect(s.userLocations.get(CAROL)).toBe(S3);
    expect(sealedOf(r0.effects, 'broadcastUsers', 'USER_REMOVE')).toEqual([]);
    const r = handleServerFrame(s, fromS2(rm(BOB, S2)), S2, 'c2', ctx());
    expect(s.userLocations.has(BOB)).toBe(false);
    expect(sealedOf(r.effects, 'broadcastUsers', 'USER_REMOVE')[0]!.frame.payload).toEqual({ user_id: BOB, server_id: S2 });
  });

  test('link down removes the users that server hosted; link up replays ours', () => {
    const s = withRemoteBob(withAlice(meshState()));
    const down = handleLinkDown(s, S2, ctx());
    expect(s.servers.has(S2)).toBe(false);
    expect(s.userLocations.has(BOB)).toBe(false);
    expect(s.serverPubkeys.has(S2)).toBe(true);
    expect(sealedOf(down, 'broadcastUsers', 'USER_REMOVE')).toHaveLength(1);
    const up = handleLinkUp(s, S2, ctx(NOW + 1));
    expect(s.servers.has(S2)).toBe(true);
    expect(sealedOf(up, 'sendToServer', 'USER_ADVERTISE').map((x) => (x.frame.payload as { user_id: string }).user_id)).toEqual([ALICE]);
  });
});

describe('SERVER_DELIVER', () => {
  const CT = Buffer.alloc(512, 7).toString('base64url');
  const sd = (to: string, ts = NOW): UnsignedFrame => ({
    type: 'SERVER_DELIVER', from: S2, to: SELF, ts,
    payload: { user_id: to, ciphertext: CT, sender: BOB, sender_pub: keys().bob.publicKey.toBase64Url(), content_sig: signContent(keys().bob, { ciphertext: CT, from: BOB, to, ts }), inner_type: 'MSG_DIRECT', orig_ts: ts },
  } as UnsignedFrame);

  test('local recipient → USER_DELIVER with the original ts; a duplicate is dropped', () => {
    const s = withRemoteBob(withAlice(meshState()));
    const f = fromS2(sd(ALICE, NOW - 7));
    const r = handleServerFrame(s, f, S2, 'c2', ctx());
    const [ud] = sealedOf(r.effects, 'sendToUser', 'USER_DELIVER');
    const p = f.payload as { content_sig: string };
    expect(ud!.frame).toEqual({ type: 'USER_DELIVER', from: SELF, to: ALICE, ts: NOW - 7, payload: { ciphertext: CT, sender: BOB, sender_pub: keys().bob.publicKey.toBase64Url(), content_sig: p.content_sig, orig_ts: NOW - 7 } });
    expect(handleServerFrame(s, f, S2, 'c2', ctx()).effects.map((e) => e.kind)).toEqual(['hopAck']); // acknowledged again, not delivered again
  });

  test('a FILE_CHUNK inner frame reaches the user as FILE_CHUNK from the sending user', () => {
    const s = withRemoteBob(withAlice(meshState()));
    const f = fromS2({ type: 'SERVER_DELIVER', from: S2, to: SELF, ts: NOW, payload: { user_id: ALICE, inner_type: 'FILE_CHUNK', file_id: CAROL, index: 2, ciphertext: 'AAAA', sender: BOB } } as UnsignedFrame);
    const [fc] = sealedOf(handleServerFrame(s, f, S2, 'c2', ctx()).effects, 'sendToUser', 'FILE_CHUNK');
    expect(fc!.frame).toEqual({ type: 'FILE_CHUNK', from: BOB, to: ALICE, ts: NOW, payload: { file_id: CAROL, index: 2, ciphertext: 'AAAA', sender: BOB } });
  });

  test('a stale directory forwards unchanged to the server user_locations names', () => {
    const s = meshState();
    s.userLocations.set(CAROL, S3);
    const f = fromS2(sd(CAROL));
    expect(handleServerFrame(s, f, S2, 'c2', ctx()).effects).toContainEqual({ kind: 'sendToServer', serverId: S3, out: { relay: f } });
  });

  test('an unknown recipient → ERROR USER_NOT_FOUND upstream, no state change', () => {
    const s = meshState();
    const before = snapshot(s);
    const r = handleServerFrame(s, fromS2(sd(CAROL)), S2, 'c2', ctx());
    expect(errorCodes(r.effects)).toEqual(['USER_NOT_FOUND']);
    expect(snapshot(s)).toEqual(before);
  });
});

test('a remote user\'s key is pushed to our users in the encoding its server advertised', () => {
  const s = withAlice(meshState());
  const pem = keys().bob.publicKey.toPemBase64Url();
  const r = handleServerFrame(s, fromS2({ type: 'USER_ADVERTISE', from: S2, to: '*', ts: NOW, payload: { user_id: BOB, server_id: S2, meta: { pubkey: pem } } } as UnsignedFrame), S2, 'c2', ctx());
  const pushed = sealedOf(r.effects, 'broadcastUsers', 'USER_ADVERTISE')[0]!.frame.payload as { pubkey: string; meta: { pubkey: string } };
  expect([pushed.pubkey, pushed.meta.pubkey]).toEqual([pem, pem]);
  expect(s.directory.get(BOB)!.pubkey).toBe(keys().bob.publicKey.toBase64Url());
});

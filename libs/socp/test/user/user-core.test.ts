/**
 * Table-driven tests of the user core (libs/socp/src/user), as routing's are for servers: what
 * handleIncoming makes of each kind of frame (events, effects, and no state change when it
 * refuses), the drafts the builders make (form, variant, sender_pub, signatures), the decisions
 * behind the commands, and the session's lifecycle. Real RSA-4096, no sockets, no timers.
 */
import {
  allDrafts, attachSelf, beginResync, createUserState, directDraft, dropTransfer, endResync, expectReceipts, fileChunkDraft, fileEndDraft,
  fileStartDraft, handleIncoming, helloDraft, holdIfKeyChanged, isPemB64url, isWarning, keyChangedNote, linkLost, publicDraft, queueAckDraft,
  receiptDraft, receiptRef, resolveKnown, resolveOnline, sealDraft, sealFrame, shownKey, sweepStale, tellDrafts, tooLong, trustKey, verifyContent,
  verifyFrame, MAX_MESSAGE_BYTES, PART_REASSEMBLY_TIMEOUT_MS, FILE_TRANSFER_IDLE_MS,
  type Dialect, type Draft, type Frame, type RsaPrivateKey, type UserEffect, type UserEvent, type UserState, type Verified,
} from '@socp/protocol';
import { advertise, deliver, makePeers, sendCtx, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';
const NOW = 1_760_000_000_000;
let alice: Peer, bob: Peer, mallory: Peer;
let server: { id: string; key: RsaPrivateKey };

beforeAll(async () => {
  [alice, bob, mallory] = await makePeers('alice', 'bob', 'mallory');
  server = { id: S1, key: mallory.key }; // any RSA-4096 key serves as the server's: the core trusts what the client verified
}, 120_000);

const fromServer = (type: Frame['type'], payload: Record<string, unknown>, ts = NOW): Verified<Frame> =>
  sealFrame({ type, from: S1, to: alice.userId, ts, payload: payload as never }, server.key) as Verified<Frame>;
const kinds = (ev: readonly UserEvent[]): string[] => ev.map((e) => (e.event === 'warning' ? `warning:${e.code}` : e.event));
const effectKinds = (ef: readonly UserEffect[]): string[] => ef.map((e) => e.kind);
/** Everything a refused frame must leave as it was. */
const snapshot = (s: UserState): unknown => ({
  roster: s.roster.list().map((e) => [e.userId, e.serverId, e.key.b64url]),
  files: s.files.size, parts: s.parts.size, seen: s.seen.size, pins: s.pins.takeChanged(), shown: s.shown.takeChanged(),
});

describe('handleIncoming: what each frame yields', () => {
  const cases: Array<[string, () => Verified<Frame>, string[], string[]]> = [
    ['USER_ADVERTISE of a new user: online, first key pinned', () => fromServer('USER_ADVERTISE', { ...advertise(mallory, S2) }), ['presence'], ['savePins']],
    ['USER_ADVERTISE again, unchanged: nothing', () => fromServer('USER_ADVERTISE', { ...advertise(bob, S1) }), [], []],
    ['USER_REMOVE from the server that hosts them: offline', () => fromServer('USER_REMOVE', { user_id: bob.userId, server_id: S1 }), ['presence'], []],
    ['USER_REMOVE from another server: nothing (§9.2)', () => fromServer('USER_REMOVE', { user_id: bob.userId, server_id: S2 }), [], []],
    ['a DM from a rostered sender: shown', () => deliver(server, bob, alice, 'hi', { ts: NOW }), ['message'], []],
    ['a DM asking for a receipt: shown, the receipt sent', () => receiptAsked(), ['message'], ['send']],
    ['a queued DM with a ref: digests kept first, then acknowledged', () => queuedDm('q1'), ['message'], ['saveShown', 'ackQueued']],
    ['ACK {status: queued}: a queued delivery', () => fromServer('ACK', { msg_ref: 'm', status: 'queued', to: bob.userId, ts: 5 }), ['delivery'], []],
    ['a plain ACK: nothing', () => fromServer('ACK', { msg_ref: 'm' }), [], []],
    ['ERROR naming no message: a server error only', () => fromServer('ERROR', { code: 'TIMEOUT', detail: 'x' }), ['server-error'], []],
    ['HEARTBEAT: nothing', () => fromServer('HEARTBEAT', {}), [], []],
  ];
  let receiptFrame: Verified<Frame>;
  let queuedFrame: (ref: string) => Verified<Frame>;
  const receiptAsked = (): Verified<Frame> => receiptFrame;
  const queuedDm = (ref: string): Verified<Frame> => queuedFrame(ref);
  beforeAll(() => {
    const d = sealDraft(directDraft(bob, { userId: alice.userId, key: alice.key.publicKey }, Buffer.from('ping'), NOW, true), bob.key);
    receiptFrame = fromServer('USER_DELIVER', { ...d.payload, sender: bob.userId, orig_ts: NOW });
    queuedFrame = (ref) => fromServer('USER_DELIVER', { ...deliver(server, bob, alice, 'queued', { ts: NOW + 1 }).payload as object, queued: true, queue_ref: ref });
  });

  test.each(cases)('%s', (_name, make, events, effects) => {
    const s = userState(alice, [alice, bob]);
    const step = handleIncoming(s, make(), { now: NOW });
    expect(kinds(step.events)).toEqual(events);
    expect(effectKinds(step.effects)).toEqual(effects);
  });

  const refusals: Array<[string, () => Verified<Frame>, string]> = [
    ['a DM from an unknown sender', () => deliver(server, mallory, alice, 'psst', { ts: NOW }), 'warning:USER_NOT_FOUND'],
    ['a DM whose sender_pub is another key', () => deliver(server, bob, alice, 'x', { ts: NOW, signer: mallory.key, senderPub: mallory.key.publicKey.b64url }), 'warning:BAD_KEY'],
    ['a DM signed by another key', () => deliver(server, bob, alice, 'x', { ts: NOW, signer: mallory.key }), 'warning:INVALID_SIG'],
    ['a DM with an unusable sender_pub', () => deliver(server, bob, alice, 'x', { ts: NOW, senderPub: 'AAAA' }), 'warning:BAD_KEY'],
    ['an advertisement without a key', () => fromServer('USER_ADVERTISE', { user_id: mallory.userId, server_id: S1, meta: {} }), 'warning:BAD_KEY'],
    ['a known user advertised with another key', () => fromServer('USER_ADVERTISE', { ...advertise(bob, S1, mallory.key) }), 'warning:BAD_KEY'],
    ['a file offer from an unknown user', () => fromServer('FILE_START', { file_id: 'f', name: 'a', size: 1, sha256: 'ab'.repeat(32), mode: 'dm', sender: mallory.userId }), 'warning:USER_NOT_FOUND'],
    ['a file offer over MAX_FILE_BYTES', () => fromServer('FILE_START', { file_id: 'f', name: 'a', size: 2 ** 40, sha256: 'ab'.repeat(32), mode: 'dm', sender: bob.userId }), 'warning:FILE_REFUSED'],
  ];
  test.each(refusals)('refused, state unchanged: %s', (_name, make, warning) => {
    const s = userState(alice, [alice, bob]);
    const before = snapshot(s);
    const step = handleIncoming(s, make(), { now: NOW });
    expect(kinds(step.events)).toEqual([warning]);
    expect(step.effects).toEqual([]);
    expect(snapshot(s)).toEqual(before);
  });

  test('a contact pinned in an earlier run, advertised with another key: online, then KEY_CHANGED, and DMs to them are held', () => {
    const earlier = userState(alice);
    const saved = handleIncoming(earlier, fromServer('USER_ADVERTISE', { ...advertise(bob, S1) }), { now: NOW }).effects.find((e) => e.kind === 'savePins');
    const s = createUserState(alice, { pins: JSON.parse(JSON.stringify(saved?.kind === 'savePins' ? saved.pins : {})) });
    const step = handleIncoming(s, fromServer('USER_ADVERTISE', { ...advertise(bob, S1, mallory.key) }), { now: NOW });
    expect(kinds(step.events)).toEqual(['presence', 'warning:KEY_CHANGED']);
    const entry = s.roster.get(bob.userId)!;
    expect(holdIfKeyChanged(s, entry, 'later')).toMatchObject({ code: 'HELD' });
    expect(keyChangedNote(s, entry)).toMatchObject({ code: 'KEY_CHANGED' });
    const trusted = trustKey(s, entry, NOW);
    expect(trusted.held).toEqual(['later']);
    expect(effectKinds(trusted.effects)).toEqual(['savePins']);
    expect(holdIfKeyChanged(s, entry, 'now')).toBeUndefined();
  });

  test('a queued DM handled in an earlier run (its digest kept): acknowledged silently', () => {
    const f = queuedDm('q2');
    const p = f.payload as { sender: string; orig_ts: number; content_sig: string };
    const s = createUserState(alice, { shown: [shownKey(p.sender, p.orig_ts, p.content_sig)] });
    const step = handleIncoming(s, f, { now: NOW });
    expect(step.events).toEqual([]);
    expect(step.effects).toEqual([{ kind: 'ackQueued', ref: 'q2' }]);
  });
});

describe('builders: what a user sends', () => {
  const A: Dialect = { variant: 'A', pemSenderPub: true };
  type Content = { ciphertext: string; sender_pub: string; content_sig: string };
  const to = (dialect?: Dialect) => ({ userId: bob.userId, key: bob.key.publicKey, ...(dialect ? { dialect } : {}) });
  const cases: Array<[string, () => Draft, 'dm' | 'public', Dialect['variant']]> = [
    ['MSG_DIRECT', () => directDraft(alice, to(), Buffer.from('hi'), NOW), 'dm', 'C'],
    ['MSG_DIRECT in variant A', () => directDraft(alice, to(A), Buffer.from('hi'), NOW), 'dm', 'A'],
    ['a receipt', () => receiptDraft(alice, to(), `${NOW}.${'0'.repeat(32)}`, NOW), 'dm', 'C'],
    ['MSG_PUBLIC_CHANNEL', () => publicDraft(alice, to(), Buffer.from('all'), NOW), 'public', 'C'],
    ['FILE_CHUNK', () => fileChunkDraft(alice, to(), 'f1', 0, Buffer.alloc(446, 1), NOW), 'dm', 'C'],
    ['FILE_CHUNK in variant A', () => fileChunkDraft(alice, to(A), 'f1', 0, Buffer.alloc(10, 1), NOW), 'dm', 'A'],
  ];
  test.each(cases)('%s: OAEP to the recipient, content_sig in its form and variant, sealed by the sender', (_name, make, form, variant) => {
    const f = sealDraft(make(), alice.key);
    const p = f.payload as unknown as Content;
    expect(f).toMatchObject({ from: alice.userId, to: bob.userId, ts: NOW });
    expect(verifyFrame(f, alice.key.publicKey).ok).toBe(true);
    expect(verifyContent(alice.key.publicKey, { ciphertext: p.ciphertext, from: alice.userId, to: form === 'dm' ? bob.userId : undefined, ts: NOW }, p.content_sig)).toBe(variant);
    expect(isPemB64url(p.sender_pub)).toBe(variant === 'A');
    expect(bob.key.decrypt(Buffer.from(p.ciphertext, 'base64url')).byteLength).toBeGreaterThan(0);
  });

  const plain: Array<[string, () => Draft, () => Record<string, unknown>]> = [
    ['FILE_START', () => fileStartDraft(alice, to(), { file_id: 'f1', name: 'a.bin', size: 1, sha256: 'ab'.repeat(32), mode: 'dm' }, NOW), () => ({ file_id: 'f1', name: 'a.bin', size: 1, mode: 'dm' })],
    ['FILE_END', () => fileEndDraft(alice, to(), 'f1', NOW), () => ({ file_id: 'f1' })],
    ['a queue ACK', () => queueAckDraft(alice, S1, ['q1', 'q2'], NOW), () => ({ msg_ref: 'q1', msg_refs: ['q1', 'q2'] })],
    ['USER_HELLO', () => helloDraft(alice, S1, NOW, { client: 'c', name: 'alice', queueAck: true }), () => ({ client: 'c', pubkey: alice.key.publicKey.b64url, meta: { username: 'alice' }, queue_ack: true, bind: { type: 'USER_HELLO', from: alice.userId, to: S1, ts: NOW } })],
    ['a spec-only USER_HELLO (no bind, no meta)', () => helloDraft(alice, '*', NOW, { client: 'c', bind: false }), () => ({ client: 'c', pubkey: alice.key.publicKey.b64url })],
  ];
  test.each(plain)('%s: no content_sig, sealed by the sender', (_name, make, payload) => {
    const d = make();
    expect(d.content).toBeUndefined();
    const f = sealDraft(d, alice.key);
    expect(f.payload).toMatchObject(payload());
    expect(f.payload).not.toHaveProperty('content_sig');
    expect(verifyFrame(f, alice.key.publicKey).ok).toBe(true);
  });

  test('a spec-only hello carries neither bind nor meta', () => {
    const p = helloDraft(alice, '*', NOW, { client: 'c', bind: false }).frame.payload;
    expect(p).not.toHaveProperty('bind');
    expect(p).not.toHaveProperty('meta');
  });
});

describe('commands: decisions before anything is sent', () => {
  test('who a typed name means, or why not', () => {
    const s = userState(alice, [alice, bob]);
    s.roster.upsert(advertise({ ...mallory, name: 'bob' }, S2));
    expect(resolveOnline(s, 'alice')).toMatchObject({ userId: alice.userId });
    expect(resolveOnline(s, 'nobody')).toMatchObject({ event: 'warning', code: 'USER_NOT_FOUND' });
    expect(resolveOnline(s, 'bob')).toMatchObject({ event: 'warning', code: 'AMBIGUOUS' });
    expect(resolveOnline(s, `bob@${S2.slice(0, 8)}`)).toMatchObject({ userId: mallory.userId });
    s.roster.remove(mallory.userId, S2); // gone offline: /tell still finds them by id (a DM may queue), /file does not
    expect(isWarning(resolveOnline(s, mallory.userId))).toBe(true);
    expect(resolveKnown(s, mallory.userId)).toMatchObject({ userId: mallory.userId });
    expect(resolveOnline(s, 'bob')).toMatchObject({ userId: bob.userId });
  });

  test('length: up to MAX_MESSAGE_BYTES, longer refused', () => {
    expect(tooLong('x'.repeat(MAX_MESSAGE_BYTES))).toBeUndefined();
    expect(tooLong('x'.repeat(MAX_MESSAGE_BYTES + 1))).toMatchObject({ code: 'TOO_LONG' });
  });

  test('/tell asks for receipts, and the receipts of every part deliver the message; /all goes to everyone but us', () => {
    const s = userState(alice, [alice, bob]);
    const drafts = tellDrafts(s, s.roster.get(bob.userId)!, 'y'.repeat(600), sendCtx);
    expect(drafts).toHaveLength(2);
    const frames = drafts.map((d) => sealDraft(d, alice.key));
    expect(frames.every((f) => (f.payload as { receipts?: unknown }).receipts === true)).toBe(true);
    expectReceipts(s, bob.userId, frames);
    const receipt = (f: Frame): Verified<Frame> => {
      const ref = receiptRef(f.ts, (f.payload as { content_sig: string }).content_sig);
      const r = sealDraft(receiptDraft(bob, { userId: alice.userId, key: alice.key.publicKey }, ref, NOW), bob.key);
      return fromServer('USER_DELIVER', { ...r.payload, sender: bob.userId, orig_ts: r.ts }, r.ts);
    };
    expect(handleIncoming(s, receipt(frames[0]!), { now: NOW }).events).toEqual([]);
    expect(handleIncoming(s, receipt(frames[1]!), { now: NOW }).events).toEqual([{ event: 'delivery', status: 'delivered', to: 'bob', ts: frames[0]!.ts }]);
    const all = allDrafts(s, 'hi all', sendCtx);
    expect(all.to.map((e) => e.userId)).toEqual([bob.userId]);
    expect(all.parts).toBe(1);
  });
});

describe('lifecycle', () => {
  test('attach puts us in the roster; a resync drops who the new snapshot does not re-advertise', () => {
    const s = createUserState(alice);
    attachSelf(s, S1);
    handleIncoming(s, fromServer('USER_ADVERTISE', { ...advertise(bob, S1) }), { now: NOW });
    beginResync(s, S2);
    expect(endResync(s)).toEqual([{ event: 'presence', action: 'offline', user: { userId: bob.userId, name: 'bob', serverId: S1 } }]);
    expect(s.roster.list().map((e) => [e.userId, e.serverId])).toEqual([[alice.userId, S2]]);
  });

  test('a lost link fails open transfers once; the disk refusing ends one; time drops idle transfers and split messages', () => {
    const s = userState(alice, [bob]);
    const start = (id: string) => handleIncoming(s, fromServer('FILE_START', { file_id: id, name: 'a', size: 10, sha256: 'ab'.repeat(32), mode: 'dm', sender: bob.userId }), { now: NOW });
    start('f1');
    expect(kinds(linkLost(s))).toEqual(['file-failed']);
    expect(linkLost(s)).toEqual([]);
    const offered = start('f2').events[0]!;
    if (offered.event !== 'file-offered') throw new Error('no offer');
    dropTransfer(s, offered.transfer);
    expect(s.files.size).toBe(0);
    start('f3');
    const part = sealDraft(directDraft(bob, { userId: alice.userId, key: alice.key.publicKey }, Buffer.from('\u001e0badc0de:1/2\u001fhalf'), NOW), bob.key);
    handleIncoming(s, fromServer('USER_DELIVER', { ...part.payload, sender: bob.userId, orig_ts: NOW }), { now: NOW });
    expect(s.parts.size).toBe(1);
    expect(sweepStale(s, NOW + Math.max(PART_REASSEMBLY_TIMEOUT_MS, FILE_TRANSFER_IDLE_MS))).toEqual([
      expect.objectContaining({ event: 'warning', code: 'TIMEOUT' }),
      expect.objectContaining({ event: 'file-failed', reason: 'idle' }),
    ]);
  });
});

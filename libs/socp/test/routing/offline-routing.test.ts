/**
 * Offline delivery in the pure routing core (docs/accounts.md): DMs to an offline account user
 * of ours are queued (enqueue persist op) with ACK status "queued" to the sender; an account
 * homed on another linked server is forwarded there; homes come only from the hosting server's
 * own advertisement; everything else stays USER_NOT_FOUND.
 */
import { handleServerFrame, handleUserFrame, handleUserHello, signContent, type Effect, type Frame, type PersistOp, type UnsignedFrame, type Verified } from '@socp/protocol';
import { ALICE, BOB, CAROL, NOW, S2, S3, SELF, ctx, dm, errorCodes, keys, meshState, proofFor, sealedOf, signedBy, unsigned, withAlice, withRemoteBob } from './routing-fixture';

const persisted = (effects: Effect[]): PersistOp[] => effects.flatMap((e) => (e.kind === 'persist' ? [e.op] : []));

test('a DM to an offline account user of ours is queued (final-hop frame, still encrypted) and the sender told "queued"', () => {
  const s = withAlice(meshState());
  s.accounts.add(CAROL);
  const d = dm(CAROL);
  const effects = handleUserFrame(s, unsigned(d), ALICE, 'c1', ctx()).effects;
  const q = persisted(effects).find((o) => o.op === 'enqueue') as unknown as { userId: string; frame: UnsignedFrame };
  expect(q.userId).toBe(CAROL);
  expect(q.frame).toMatchObject({ type: 'USER_DELIVER', from: SELF, to: CAROL, ts: NOW, payload: { ciphertext: d.payload.ciphertext, sender: ALICE, content_sig: d.payload.content_sig, orig_ts: NOW, queued: true } });
  const ack = sealedOf(effects, 'sendToUser', 'ACK')[0]!.frame;
  expect(ack).toMatchObject({ to: ALICE, payload: { status: 'queued', to: CAROL, ts: NOW } });
  expect(errorCodes(effects)).toEqual([]);
});

test('an account homed on another linked server: the DM goes there as SERVER_DELIVER; unknown homes stay USER_NOT_FOUND', () => {
  const s = withAlice(meshState());
  s.homes.set(CAROL, S3);
  const effects = handleUserFrame(s, unsigned(dm(CAROL)), ALICE, 'c1', ctx()).effects;
  expect(sealedOf(effects, 'sendToServer', 'SERVER_DELIVER')[0]!.frame).toMatchObject({ to: S3, payload: { user_id: CAROL, inner_type: 'MSG_DIRECT' } });
  expect(sealedOf(effects, 'sendToUser', 'ACK')[0]!.frame.payload).toMatchObject({ status: 'queued' });
  const s2 = withAlice(meshState());
  expect(errorCodes(handleUserFrame(s2, unsigned(dm(CAROL)), ALICE, 'c1', ctx()).effects)).toEqual(['USER_NOT_FOUND']);
});

test('only DMs queue: a file frame to an offline account user is USER_NOT_FOUND', () => {
  const s = withAlice(meshState());
  s.accounts.add(CAROL);
  const f = unsigned({ type: 'FILE_END', from: ALICE, to: CAROL, ts: NOW, payload: { file_id: BOB } } as UnsignedFrame);
  const effects = handleUserFrame(s, f, ALICE, 'c1', ctx()).effects;
  expect(errorCodes(effects)).toEqual(['USER_NOT_FOUND']);
  expect(persisted(effects).some((o) => o.op === 'enqueue')).toBe(false);
});

test('a SERVER_DELIVER for an offline account user of ours is queued', () => {
  const s = withRemoteBob(meshState());
  s.accounts.add(CAROL);
  const ciphertext = Buffer.alloc(512, 5).toString('base64url');
  const content_sig = signContent(keys().bob, { ciphertext, from: BOB, to: CAROL, ts: NOW });
  const f = signedBy({ type: 'SERVER_DELIVER', from: S2, to: SELF, ts: NOW, payload: { user_id: CAROL, ciphertext, sender: BOB, sender_pub: keys().bob.publicKey.toBase64Url(), content_sig, inner_type: 'MSG_DIRECT', orig_ts: NOW } } as UnsignedFrame, keys().bob);
  const effects = handleServerFrame(s, f, S2, 'c2', ctx()).effects;
  expect(persisted(effects).find((o) => o.op === 'enqueue')).toMatchObject({ userId: CAROL, frame: { type: 'USER_DELIVER', to: CAROL, payload: { sender: BOB, queued: true } } });
  // deduped: only acknowledged again (the peer may be re-sending), not queued twice
  expect(handleServerFrame(s, f, S2, 'c2', ctx()).effects.map((e) => e.kind)).toEqual(['hopAck']);
});

test('homes: our account users are advertised with meta.home; a home is learnt only from the hosting server itself', () => {
  const s = meshState();
  s.accounts.add(ALICE);
  const hello = unsigned({ type: 'USER_HELLO', from: ALICE, to: SELF, ts: NOW, payload: { pubkey: keys().alice.publicKey.toBase64Url() } }) as Verified<Extract<Frame, { type: 'USER_HELLO' }>>;
  const r = handleUserHello(s, hello, 'c1', ctx());
  expect(sealedOf(r.effects, 'broadcastServers', 'USER_ADVERTISE')[0]!.frame.payload).toMatchObject({ meta: { home: SELF } });

  const adv = (from: string, home: string, user: string, ts = NOW): Verified<Frame> =>
    signedBy({ type: 'USER_ADVERTISE', from, to: '*', ts, payload: { user_id: user, server_id: from, meta: { username: user.slice(0, 4), home }, pubkey: keys().bob.publicKey.toBase64Url(), proof: proofFor(user, keys().bob, from) } } as UnsignedFrame, keys().bob);
  const e1 = handleServerFrame(s, adv(S2, S2, BOB), S2, 'c2', ctx()).effects;
  expect(s.homes.get(BOB)).toBe(S2);
  expect(persisted(e1)).toContainEqual({ op: 'home', userId: BOB, serverId: S2 });
  handleServerFrame(s, adv(S2, S3, CAROL), S2, 'c2', ctx()); // S2 cannot name S3 as someone's home
  expect(s.homes.has(CAROL)).toBe(false);
  // a home is set once: after BOB left S2, S3 hosting him may not move his offline home to itself
  handleServerFrame(s, signedBy({ type: 'USER_REMOVE', from: S2, to: '*', ts: NOW + 1, payload: { user_id: BOB, server_id: S2 } } as UnsignedFrame, keys().bob), S2, 'c2', ctx());
  handleServerFrame(s, adv(S3, S3, BOB, NOW + 2), S3, 'c3', ctx());
  expect(s.userLocations.get(BOB)).toBe(S3);
  expect(s.homes.get(BOB)).toBe(S2);
});

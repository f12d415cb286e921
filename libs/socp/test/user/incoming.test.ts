/**
 * The receiving side of the user core (handleIncoming) with real RSA-4096: what is shown as a
 * message, and what is refused (tampered content, wrong sender key, unknown sender, replay,
 * malicious file names).
 */
import { createHash, randomUUID } from 'node:crypto';
import { fileChunkDraft, fileEndDraft, fileStartDraft, sealDraftAsync, generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type Verified, linkLost, type UserEvent, type UserState } from '@socp/protocol';
import { advertise, deliver, directFrames, eventsOf, makePeers, publicFrames, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';

let alice: Peer, bob: Peer, mallory: Peer, stranger: Peer;
let server: { id: string; key: RsaPrivateKey };

beforeAll(async () => {
  [alice, bob, mallory, stranger] = await makePeers('alice', 'bob', 'mallory', 'stranger');
  server = { id: S1, key: await generateKeyPair() };
}, 120_000);

const fresh = (): UserState => userState(alice, [alice, bob, mallory]);
const reseal = (f: Frame, payload: Record<string, unknown>): Verified<Frame> =>
  sealFrame({ type: f.type, from: f.from, to: f.to, ts: f.ts, payload: payload as never }, server.key) as Verified<Frame>;
const messages = (ev: UserEvent[]) => ev.filter((e) => e.event === 'message');
const warnings = (ev: UserEvent[]) => ev.filter((e) => e.event === 'warning').map((e) => (e.event === 'warning' ? e.code : ''));

/** A MSG_DIRECT / MSG_PUBLIC_CHANNEL as our server hands it to the recipient (docs/contracts.md). */
function asDelivered(f: Frame): Verified<Frame> {
  const extra = f.type === 'MSG_PUBLIC_CHANNEL' ? { group_id: 'public', inner_type: 'MSG_PUBLIC_CHANNEL' } : {};
  return sealFrame({ type: 'USER_DELIVER', from: server.id, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, ...extra } as never }, server.key) as Verified<Frame>;
}
/** A FILE_* frame as our server hands it over: envelope from = sender, payload + sender. */
const asFileDelivered = (f: Frame): Verified<Frame> => reseal(f, { ...(f.payload as object), sender: f.from });

describe('messages', () => {
  it('shows a DM whose signature and sender key check out', () => {
    const ev = eventsOf(fresh(), deliver(server, bob, alice, 'hello alice'), Date.now());
    expect(messages(ev)).toEqual([expect.objectContaining({ kind: 'dm', text: 'hello alice', from: expect.objectContaining({ userId: bob.userId, name: 'bob' }) })]);
  });

  it('refuses a tampered ciphertext (re-signed by a hostile server) with a warning, never a message', () => {
    const f = deliver(server, bob, alice, 'pay 10 EUR');
    const p = f.payload as { ciphertext: string };
    const flipped = (p.ciphertext[10] === 'A' ? 'B' : 'A');
    const ev = eventsOf(fresh(), reseal(f, { ...p, ciphertext: p.ciphertext.slice(0, 10) + flipped + p.ciphertext.slice(11) }), Date.now());
    expect(messages(ev)).toEqual([]);
    expect(warnings(ev)).toEqual(['INVALID_SIG']);
  });

  it('refuses a message whose timestamp was changed after signing', () => {
    const f = deliver(server, bob, alice, 'hi', { ts: 1_000_000 });
    const ev = eventsOf(fresh(), reseal(f, { ...(f.payload as object), orig_ts: 1_000_001 }), Date.now());
    expect(warnings(ev)).toEqual(['INVALID_SIG']);
  });

  it('refuses a message claiming to be from bob but carrying another key (wrong sender key)', () => {
    const ev = eventsOf(fresh(), deliver(server, bob, alice, 'I am bob', { signer: mallory.key, senderPub: mallory.key.publicKey.b64url }), Date.now());
    expect(messages(ev)).toEqual([]);
    expect(warnings(ev)).toEqual(['BAD_KEY']);
  });

  it("refuses a message with bob's key as sender_pub but signed by someone else", () => {
    const ev = eventsOf(fresh(), deliver(server, bob, alice, 'I am bob', { signer: mallory.key }), Date.now());
    expect(warnings(ev)).toEqual(['INVALID_SIG']);
  });

  it('refuses a message from a user the roster does not know', () => {
    const ev = eventsOf(fresh(), deliver(server, stranger, alice, 'psst'), Date.now());
    expect(warnings(ev)).toEqual(['USER_NOT_FOUND']);
  });

  it('drops a replayed message', () => {
    const inbound = fresh();
    const f = deliver(server, bob, alice, 'once');
    expect(messages(eventsOf(inbound, f, Date.now()))).toHaveLength(1);
    expect(warnings(eventsOf(inbound, f, Date.now()))).toEqual(['REPLAY']);
  });

  it('shows public messages in the public content_sig form and in the G43 DM form', () => {
    const inbound = fresh();
    const pub = eventsOf(inbound, deliver(server, bob, alice, 'hi all', { public: true }), Date.now());
    expect(messages(pub)).toEqual([expect.objectContaining({ kind: 'public', text: 'hi all' })]);
    const g43 = deliver(server, bob, alice, 'hi all (g43)');
    const ev = eventsOf(inbound, reseal(g43, { ...(g43.payload as object), public: true }), Date.now());
    expect(messages(ev)).toEqual([expect.objectContaining({ kind: 'public', text: 'hi all (g43)' })]);
  });

  it('does not accept a public-form signature on a DM', () => {
    const f = deliver(server, bob, alice, 'x', { public: true });
    const p = { ...(f.payload as Record<string, unknown>) };
    delete p['group_id'];
    delete p['inner_type'];
    expect(warnings(eventsOf(fresh(), reseal(f, p), Date.now()))).toEqual(['INVALID_SIG']);
  });

  it('round-trips our own long DMs and /all: several signed frames, one message', async () => {
    const text = `start ${'0123456789'.repeat(150)} end`;
    const frames = await directFrames(bob, { userId: alice.userId, key: alice.key.publicKey }, text);
    expect(frames.length).toBe(4);
    const inbound = fresh();
    const shown = frames.reverse().flatMap((f) => messages(eventsOf(inbound, asDelivered(f), Date.now())));
    expect(shown).toEqual([expect.objectContaining({ kind: 'dm', text })]);
    const pubs = await publicFrames(bob, [{ userId: alice.userId, key: alice.key.publicKey }], 'short public');
    expect(pubs).toHaveLength(1);
    expect(pubs[0]).toMatchObject({ type: 'MSG_PUBLIC_CHANNEL', to: alice.userId, payload: { group_id: 'public' } });
    expect(messages(eventsOf(inbound, asDelivered(pubs[0]!), Date.now()))).toEqual([expect.objectContaining({ kind: 'public', text: 'short public' })]);
  });
});

describe('files', () => {
  const data = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7) % 256));
  const sha = createHash('sha256').update(data).digest('hex');

  async function transfer(name: string, tamper?: (i: number, f: Frame) => Verified<Frame>): Promise<UserEvent[]> {
    const inbound = fresh();
    const to = { userId: alice.userId, key: alice.key.publicKey };
    const fileId = randomUUID();
    const ev: UserEvent[] = [];
    const now = Date.now();
    ev.push(...eventsOf(inbound, asFileDelivered(await sealDraftAsync(fileStartDraft(bob, to, { file_id: fileId, name, size: data.length, sha256: sha, mode: 'dm' }, now), bob.key)), now));
    for (let i = 0; i * 446 < data.length; i++) {
      const f = await sealDraftAsync(fileChunkDraft(bob, to, fileId, i, data.subarray(i * 446, (i + 1) * 446), now + i), bob.key);
      ev.push(...eventsOf(inbound, tamper ? tamper(i, f) : asFileDelivered(f), now));
    }
    ev.push(...eventsOf(inbound, asFileDelivered(await sealDraftAsync(fileEndDraft(bob, to, fileId, now + 10), bob.key)), now));
    return ev;
  }

  it('reassembles a verified file and reports it received', async () => {
    const ev = await transfer('photo.jpg');
    const bytes = Buffer.concat(ev.flatMap((e) => (e.event === 'file-data' ? e.append : [])));
    expect(bytes.equals(data)).toBe(true);
    expect(ev.at(-1)).toMatchObject({ event: 'file-received', transfer: { name: 'photo.jpg', size: data.length } });
  });

  it.each([
    ['../x', 'x'],
    ['/etc/cron.d/evil', 'evil'],
    ['a\u0000b', 'ab'],
  ])('keeps only a sanitized base name for %j', async (name, safe) => {
    const ev = await transfer(name);
    expect(ev.find((e) => e.event === 'file-offered')).toMatchObject({ transfer: { name: safe, offeredName: name } });
    expect(ev.at(-1)).toMatchObject({ event: 'file-received', transfer: { name: safe } });
  });

  it('a transfer open when the connection drops is reported failed ("disconnected"), each once', async () => {
    const inbound = fresh();
    const to = { userId: alice.userId, key: alice.key.publicKey };
    const fileId = randomUUID();
    const now = Date.now();
    eventsOf(inbound, asFileDelivered(await sealDraftAsync(fileStartDraft(bob, to, { file_id: fileId, name: 'half.bin', size: data.length, sha256: sha, mode: 'dm' }, now), bob.key)), now);
    eventsOf(inbound, asFileDelivered(await sealDraftAsync(fileChunkDraft(bob, to, fileId, 0, data.subarray(0, 446), now), bob.key)), now);
    expect(linkLost(inbound)).toEqual([expect.objectContaining({ event: 'file-failed', reason: 'disconnected', transfer: expect.objectContaining({ fileId }) as unknown })]);
    expect(linkLost(inbound)).toEqual([]);
  });

  it('abandons a transfer at the first tampered chunk', async () => {
    const ev = await transfer('doc.txt', (i, f) => {
      const p = f.payload as { ciphertext: string };
      return asFileDelivered(i === 1 ? { ...f, payload: { ...p, ciphertext: `${p.ciphertext.slice(0, -2)}AA` } } as Frame : f);
    });
    expect(ev.find((e) => e.event === 'file-failed')).toMatchObject({ reason: 'invalid-chunk', detail: expect.stringContaining('signature') });
    expect(ev.some((e) => e.event === 'file-received')).toBe(false);
  });

  it('abandons a transfer whose chunks carry a key other than the sender’s', async () => {
    const ev = await transfer('doc.txt', (_i, f) => asFileDelivered({ ...f, payload: { ...(f.payload as object), sender_pub: mallory.key.publicKey.b64url } } as Frame));
    expect(ev.find((e) => e.event === 'file-failed')).toMatchObject({ reason: 'invalid-chunk' });
    expect(ev.some((e) => e.event === 'file-received')).toBe(false);
  });

  it('refuses an offer from an unknown user', () => {
    const f = sealFrame({ type: 'FILE_START', from: stranger.userId, to: alice.userId, ts: 1, payload: { file_id: randomUUID(), name: 'a', size: 1, sha256: sha, mode: 'dm', sender: stranger.userId } }, server.key) as Verified<Frame>;
    expect(warnings(eventsOf(fresh(), f, Date.now()))).toEqual(['USER_NOT_FOUND']);
  });
});

describe('namesakes', () => {
  it('shows name@serverprefix for a sender whose name another online user also has', async () => {
    const [fakeBob] = await makePeers('bob');
    const S2 = '22222222-2222-4222-8222-222222222222';
    const inbound = fresh();
    inbound.roster.upsert(advertise(fakeBob, S2));
    const [m] = messages(eventsOf(inbound, deliver(server, fakeBob, alice, 'it is me, bob'), Date.now()));
    expect(m).toMatchObject({ from: { name: 'bob', handle: 'bob@22222222' } });
    const [real] = messages(eventsOf(fresh(), deliver(server, bob, alice, 'hi'), Date.now()));
    expect(real).toMatchObject({ from: { name: 'bob' } });
    expect(real!.event === 'message' && real!.from.handle).toBeUndefined();
  }, 60_000);
});

describe('presence', () => {
  it('turns advertisements into online/offline events and warns on a key swap', () => {
    const inbound = userState(alice);
    const adv = (p: Peer, key?: RsaPrivateKey) => sealFrame({ type: 'USER_ADVERTISE', from: S1, to: '*', ts: 1, payload: advertise(p, S1, key) }, server.key) as Verified<Frame>;
    expect(eventsOf(inbound, adv(bob), 1)).toEqual([{ event: 'presence', action: 'online', user: { userId: bob.userId, name: 'bob', serverId: S1 } }]);
    expect(warnings(eventsOf(inbound, adv(bob, mallory.key), 1))).toEqual(['BAD_KEY']);
    const rm = sealFrame({ type: 'USER_REMOVE', from: S1, to: '*', ts: 2, payload: { user_id: bob.userId, server_id: S1 } }, server.key) as Verified<Frame>;
    expect(eventsOf(inbound, rm, 2)).toEqual([{ event: 'presence', action: 'offline', user: { userId: bob.userId, name: 'bob', serverId: S1 } }]);
  });
});

describe('per-message failures named by the server (docs/contracts.md "Delivery acks")', () => {
  const error = (payload: Record<string, unknown>): Verified<Frame> =>
    sealFrame({ type: 'ERROR', from: S1, to: alice.userId, ts: 5_000, payload: { detail: 'x', ...payload } as never }, server.key) as Verified<Frame>;
  const deliveries = (ev: UserEvent[]) => ev.flatMap((e) => (e.event === 'delivery' ? [{ status: e.status, to: e.to, ts: e.ts, code: e.code }] : []));

  it('TIMEOUT naming a DM → "unconfirmed" for that message (its own ts), not a failure', () => {
    const ev = eventsOf(fresh(), error({ code: 'TIMEOUT', msg_ref: '1|a|b|c', to: bob.userId, ts: 1_234 }), 6_000);
    expect(deliveries(ev)).toEqual([{ status: 'unconfirmed', to: 'bob', ts: 1_234, code: 'TIMEOUT' }]);
  });

  it('USER_NOT_FOUND naming a DM → failed, from the structured fields or the older detail text', () => {
    expect(deliveries(eventsOf(fresh(), error({ code: 'USER_NOT_FOUND', to: bob.userId, ts: 7 }), 6_000))).toEqual([{ status: 'failed', to: 'bob', ts: 7, code: 'USER_NOT_FOUND' }]);
    const old = error({ code: 'USER_NOT_FOUND', detail: `recipient ${bob.userId} is not registered` });
    expect(deliveries(eventsOf(fresh(), old, 6_000))).toEqual([{ status: 'failed', to: 'bob', ts: 5_000, code: 'USER_NOT_FOUND' }]);
  });

  it('an ERROR naming no message is only a server error; a malformed `to` is ignored', () => {
    expect(deliveries(eventsOf(fresh(), error({ code: 'TIMEOUT' }), 6_000))).toEqual([]);
    expect(deliveries(eventsOf(fresh(), error({ code: 'TIMEOUT', to: '../../etc' }), 6_000))).toEqual([]);
  });
});

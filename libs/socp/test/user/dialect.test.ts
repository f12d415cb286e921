/**
 * Speaking each recipient's dialect (issue 14.2): the variant and sender_pub encoding we send
 * follow what the recipient showed (its key's encoding, the content it signed), or the
 * SOCP_CONTENT_SIG setting; the frames we build then verify in exactly that variant. Real
 * RSA-4096, real frames.
 */
import { randomUUID } from 'node:crypto';
import {
  Dialects, PROFILE_DIALECT, fileChunkDraft, importPublicKey, isPemB64url, sealDraftAsync, sealFrame, verifyContent,
  type Frame, type Recipient, type RsaPrivateKey, type Verified,
} from '@socp/protocol';
import { deliver, directFrames, eventsOf, makePeers, publicFrames, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer;
let serverKey: RsaPrivateKey;
beforeAll(async () => {
  [alice, bob] = await makePeers('alice', 'bob');
  serverKey = (await makePeers('server'))[0].key;
}, 120_000);

describe('Dialects', () => {
  it('nothing seen: the profile (variant C, DER sender_pub)', () => {
    expect(new Dialects().for(randomUUID())).toEqual(PROFILE_DIALECT);
  });
  it('a PEM-b64url key means variant A and a PEM sender_pub; a DER key the profile', () => {
    const d = new Dialects();
    d.sawKey('pem-user', bob.key.publicKey.toPemBase64Url());
    d.sawKey('der-user', bob.key.publicKey.b64url);
    expect(d.for('pem-user')).toEqual({ variant: 'A', pemSenderPub: true });
    expect(d.for('der-user')).toEqual(PROFILE_DIALECT);
    expect(isPemB64url(bob.key.publicKey.toPemBase64Url())).toBe(true);
    expect(isPemB64url(bob.key.publicKey.b64url)).toBe(false);
  });
  it('what their own content showed wins over the key encoding', () => {
    const d = new Dialects();
    d.sawKey('u', bob.key.publicKey.toPemBase64Url());
    d.sawContent('u', 'D', bob.key.publicKey.b64url);
    expect(d.for('u')).toEqual({ variant: 'D', pemSenderPub: false });
  });
  it('SOCP_CONTENT_SIG forces A (PEM sender_pub) or C (DER), whatever was seen', () => {
    const a = new Dialects('A');
    const c = new Dialects('C');
    for (const d of [a, c]) d.sawKey('u', bob.key.publicKey.toPemBase64Url());
    expect(a.for('nobody')).toEqual({ variant: 'A', pemSenderPub: true });
    expect(c.for('u')).toEqual(PROFILE_DIALECT);
  });
  it('is bounded: the oldest peer is forgotten first', () => {
    const d = new Dialects('auto', 2);
    for (const u of ['a', 'b', 'c']) d.sawKey(u, bob.key.publicKey.toPemBase64Url());
    expect(d.for('a')).toEqual(PROFILE_DIALECT);
    expect(d.for('c').variant).toBe('A');
  });
});

describe('frames in the recipient\'s dialect', () => {
  const dialectA = { variant: 'A', pemSenderPub: true } as const;
  const to = (): Recipient => ({ userId: bob.userId, key: bob.key.publicKey, dialect: dialectA });
  type Content = Frame & { payload: { ciphertext: string; sender_pub: string; content_sig: string } };

  it('a DM, an /all and a file chunk verify in variant A and carry a PEM sender_pub', async () => {
    const [dm] = (await directFrames(alice, to(), 'hi')) as Content[];
    const [pub] = (await publicFrames(alice, [to()], 'hi all')) as Content[];
    const chunk = (await sealDraftAsync(fileChunkDraft(alice, to(), randomUUID(), 0, Buffer.alloc(190, 1), 1_000), alice.key)) as Content;
    for (const [f, recipient] of [[dm!, bob.userId], [pub!, undefined], [chunk, bob.userId]] as const) {
      expect(isPemB64url(f.payload.sender_pub)).toBe(true);
      expect(importPublicKey(f.payload.sender_pub).equals(alice.key.publicKey)).toBe(true);
      expect(verifyContent(alice.key.publicKey, { ciphertext: f.payload.ciphertext, from: alice.userId, to: recipient, ts: f.ts }, f.payload.content_sig)).toBe('A');
    }
  });

  it('without a dialect: variant C and a DER sender_pub (the profile)', async () => {
    const [dm] = (await directFrames(alice, { userId: bob.userId, key: bob.key.publicKey }, 'hi')) as Content[];
    expect(dm!.payload.sender_pub).toBe(alice.key.publicKey.b64url);
    expect(verifyContent(alice.key.publicKey, { ciphertext: dm!.payload.ciphertext, from: alice.userId, to: bob.userId, ts: dm!.ts }, dm!.payload.content_sig)).toBe('C');
  });

  it('the receiving core learns a sender\'s dialect from the variant of a DM it verified and from its advertised key', () => {
    const inbound = userState(alice);
    const adv = sealFrame({ type: 'USER_ADVERTISE', from: S1, to: '*', ts: 1, payload: { user_id: bob.userId, server_id: S1, meta: { display_name: 'bob' }, pubkey: bob.key.publicKey.toPemBase64Url() } }, serverKey) as Verified<Frame>;
    eventsOf(inbound, adv, 1);
    expect(inbound.dialects.for(bob.userId)).toEqual(dialectA);
    // bob then signs a DM in variant C with a DER sender_pub: we answer in kind.
    const dm = deliver({ id: S1, key: serverKey }, bob, alice, 'hello in C');
    expect(eventsOf(inbound, dm).some((e) => e.event === 'message')).toBe(true);
    expect(inbound.dialects.for(bob.userId)).toEqual(PROFILE_DIALECT);
  });
});

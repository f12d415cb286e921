/**
 * Delivery status and receipts in the user core (real RSA-4096): a DM that asks for a receipt
 * yields one (a `send` effect; a receipt is never shown as a message, and settles the sent
 * message at its sender); a forged receipt (signed by another key) is refused; a queued DM from
 * a sender who is offline is accepted on the key the server vouches for, but only with a valid
 * content_sig; USER_NOT_FOUND becomes a failed status; a contact pin holds a changed key until
 * /trust, across runs (the records the client stores: services/client-cli/test/account-files.test.ts).
 */
import {
  ContactPins, PendingReceipts, b64urlDecode, expectReceipts, generateKeyPair, parseReceipt, receiptDraft, receiptRef, sealDraftAsync,
  sealDraftsAsync, sealFrame, tellDrafts, type Frame, type RsaPrivateKey, type UserEvent, type UserStep, type Verified,
} from '@socp/protocol';
import { directFrames, eventsOf, makePeers, sendCtx, stepOf, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer, mallory: Peer;
let server: RsaPrivateKey;

beforeAll(async () => {
  [alice, bob, mallory] = await makePeers('alice', 'bob', 'mallory');
  server = await generateKeyPair();
}, 120_000);

const delivered = (f: Frame, extra: Record<string, unknown> = {}): Verified<Frame> =>
  sealFrame({ type: 'USER_DELIVER', from: S1, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, ...extra } as never }, server) as Verified<Frame>;
const rcpt = (p: Peer) => ({ userId: p.userId, key: p.key.publicKey });
const kinds = (ev: UserEvent[]) => ev.map((e) => (e.event === 'warning' ? `warning:${e.code}` : e.event));
const sent = (step: UserStep) => step.effects.flatMap((e) => (e.kind === 'send' ? e.drafts : []));
const contentSig = (f: Frame): string => (f.payload as { content_sig: string }).content_sig;

test('a DM asking for a receipt yields one; the receipt settles the message at the sender and is not shown', async () => {
  // alice's /tell: the frames sealed, then their receipts awaited (as the CLI does).
  const atAlice = userState(alice, [bob]);
  const [dm] = await sealDraftsAsync(tellDrafts(atAlice, atAlice.roster.get(bob.userId)!, 'hello', sendCtx), alice.key);
  expectReceipts(atAlice, bob.userId, [dm!]);

  const atBob = stepOf(userState(bob, [alice]), delivered(dm!));
  expect(kinds(atBob.events)).toEqual(['message']);
  const [due] = sent(atBob);
  expect(sent(atBob)).toHaveLength(1);
  const r = await sealDraftAsync(due!, bob.key);
  expect(r).toMatchObject({ type: 'MSG_DIRECT', from: bob.userId, to: alice.userId });
  expect(r.payload).not.toHaveProperty('receipts'); // a receipt never asks for a receipt
  const ref = parseReceipt(alice.key.decrypt(b64urlDecode((r.payload as { ciphertext: string }).ciphertext)!).toString('utf8'));
  expect(ref).toBe(receiptRef(dm!.ts, contentSig(dm!)));

  expect(eventsOf(atAlice, delivered(r))).toEqual([{ event: 'delivery', status: 'delivered', to: 'bob', ts: dm!.ts }]);
  const pending = new PendingReceipts();
  pending.add(bob.userId, dm!.ts, [ref!]);
  expect(pending.settle(mallory.userId, ref!)).toBeUndefined(); // only the recipient settles it
  expect(pending.settle(bob.userId, ref!)).toEqual({ to: bob.userId, ts: dm!.ts });
  expect(parseReceipt('socp-receipt/1 not-a-ref')).toBeUndefined();
});

test('a receipt content-signed by another key is refused', async () => {
  const [dm] = await directFrames(alice, rcpt(bob), 'hello', true);
  const ref = receiptRef(dm!.ts, contentSig(dm!));
  const forged = await sealDraftAsync(receiptDraft(mallory, rcpt(alice), ref, Date.now()), mallory.key);
  const f = delivered({ ...forged, from: bob.userId } as Frame, { sender_pub: bob.key.publicKey.b64url });
  expect(kinds(eventsOf(userState(alice, [bob]), f))).toEqual(['warning:INVALID_SIG']);
});

test('a queued DM from an offline sender is shown on the vouched key, and only with a valid content_sig', async () => {
  const [dm] = await directFrames(alice, rcpt(bob), 'while you were away', true);
  const ev = eventsOf(userState(bob), delivered(dm!, { queued: true }));
  expect(ev.find((e) => e.event === 'message')).toMatchObject({ text: 'while you were away' });
  expect(kinds(eventsOf(userState(bob), delivered(dm!)))).toEqual(['warning:USER_NOT_FOUND']); // not queued: unknown sender
  const swapped = delivered(dm!, { queued: true, sender_pub: mallory.key.publicKey.b64url });
  expect(kinds(eventsOf(userState(bob), swapped))).toEqual(['warning:INVALID_SIG']);
});

test('USER_NOT_FOUND for a DM becomes a failed delivery status with its code', () => {
  const err = sealFrame({ type: 'ERROR', from: S1, to: alice.userId, ts: Date.now(), payload: { code: 'USER_NOT_FOUND', detail: `recipient ${bob.userId} is not registered` } }, server) as Verified<Frame>;
  expect(eventsOf(userState(alice, [bob]), err)).toEqual([
    { event: 'server-error', code: 'USER_NOT_FOUND', detail: `recipient ${bob.userId} is not registered` },
    { event: 'delivery', status: 'failed', to: 'bob', ts: err.ts, code: 'USER_NOT_FOUND' },
  ]);
});

test('contact pins: first key pinned and kept for the next run, a changed key is held until trust', () => {
  /** What the client writes after a change and reads back in the next run (JSON). */
  const stored = (p: ContactPins): unknown => JSON.parse(JSON.stringify(p.takeChanged()));
  const pins = new ContactPins();
  expect(pins.check(bob.userId, bob.key.publicKey, 'bob', 1)).toEqual({ kind: 'new' });
  const again = new ContactPins(stored(pins)); // a later session
  expect(again.check(bob.userId, bob.key.publicKey, 'bob', 2)).toEqual({ kind: 'same' });
  expect(again.takeChanged()).toBeUndefined(); // nothing to write
  expect(again.check(bob.userId, mallory.key.publicKey, 'bob', 2)).toMatchObject({ kind: 'changed', was: bob.key.publicKey.fingerprint() });
  expect(again.isHeld(bob.userId)).toBe(true);
  expect(again.hold(bob.userId, 'one')).toBe(true);
  expect(again.trust(bob.userId, 3)).toEqual(['one']);
  expect(new ContactPins(stored(again)).check(bob.userId, mallory.key.publicKey, 'bob', 4)).toEqual({ kind: 'same' });
});

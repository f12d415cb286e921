/**
 * Delivery status and receipts in the receiving core (real RSA-4096): a DM that asks for a
 * receipt yields one (and a receipt is never shown as a message); a forged receipt (signed by
 * another key) is refused; a queued DM from a sender who is offline is accepted on the key the
 * server vouches for, but only with a valid content_sig; USER_NOT_FOUND becomes a failed status;
 * the contact pin file holds a changed key until /trust.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receiptDraft, sealDraftAsync, PendingReceipts, Roster, parseReceipt, receiptRef, generateKeyPair, sealFrame, type Frame, type RsaPrivateKey, type Verified } from '@socp/protocol';
import type { ClientEvent } from '../src/events';
import { Inbound } from '../src/inbound';
import { ContactPins } from '../src/contact-pins';
import { advertise, makePeers, type Peer, directFrames } from '../../../libs/socp/test/user/peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer, mallory: Peer;
let server: RsaPrivateKey;
let dir: string;

beforeAll(async () => {
  [alice, bob, mallory] = await makePeers('alice', 'bob', 'mallory');
  server = await generateKeyPair();
  dir = mkdtempSync(join(tmpdir(), 'socp-receipts-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inboundOf(me: Peer, ...known: Peer[]): Inbound {
  const r = new Roster();
  for (const p of known) r.upsert(advertise(p, S1));
  return new Inbound(me, r);
}
const delivered = (f: Frame, extra: Record<string, unknown> = {}): Verified<Frame> =>
  sealFrame({ type: 'USER_DELIVER', from: S1, to: f.to, ts: f.ts, payload: { ...(f.payload as object), sender: f.from, orig_ts: f.ts, ...extra } as never }, server) as Verified<Frame>;
const rcpt = (p: Peer) => ({ userId: p.userId, key: p.key.publicKey });
const kinds = (ev: ClientEvent[]) => ev.map((e) => (e.event === 'warning' ? `warning:${e.code}` : e.event));

test('a DM asking for a receipt yields one; the receipt settles the message at the sender and is not shown', async () => {
  const [dm] = await directFrames(alice, rcpt(bob), 'hello', true);
  const atBob = inboundOf(bob, alice).handle(delivered(dm!), Date.now());
  expect(kinds(atBob)).toEqual(['receipt-due', 'message']);
  const due = atBob[0]!;
  if (due.event !== 'receipt-due') throw new Error('no receipt');
  expect(due.ref).toBe(receiptRef(dm!.ts, (dm!.payload as { content_sig: string }).content_sig));

  const pending = new PendingReceipts();
  pending.add(bob.userId, dm!.ts, [due.ref]);
  const r = await sealDraftAsync(receiptDraft(bob, rcpt(alice), due.ref, Date.now()), bob.key);
  const atAlice = inboundOf(alice, bob).handle(delivered(r), Date.now());
  expect(atAlice).toEqual([{ event: 'receipt', from: bob.userId, ref: due.ref }]);
  expect(pending.settle(mallory.userId, due.ref)).toBeUndefined(); // only the recipient settles it
  expect(pending.settle(bob.userId, due.ref)).toEqual({ to: bob.userId, ts: dm!.ts });
  expect(parseReceipt('socp-receipt/1 not-a-ref')).toBeUndefined();
});

test('a receipt content-signed by another key is refused', async () => {
  const [dm] = await directFrames(alice, rcpt(bob), 'hello', true);
  const ref = receiptRef(dm!.ts, (dm!.payload as { content_sig: string }).content_sig);
  const forged = await sealDraftAsync(receiptDraft(mallory, rcpt(alice), ref, Date.now()), mallory.key);
  const f = delivered({ ...forged, from: bob.userId } as Frame, { sender_pub: bob.key.publicKey.b64url });
  expect(kinds(inboundOf(alice, bob).handle(f, Date.now()))).toEqual(['warning:INVALID_SIG']);
});

test('a queued DM from an offline sender is shown on the vouched key, and only with a valid content_sig', async () => {
  const [dm] = await directFrames(alice, rcpt(bob), 'while you were away', true);
  const ev = inboundOf(bob).handle(delivered(dm!, { queued: true }), Date.now());
  expect(ev.find((e) => e.event === 'message')).toMatchObject({ text: 'while you were away' });
  expect(kinds(inboundOf(bob).handle(delivered(dm!), Date.now()))).toEqual(['warning:USER_NOT_FOUND']); // not queued: unknown sender
  const swapped = delivered(dm!, { queued: true, sender_pub: mallory.key.publicKey.b64url });
  expect(kinds(inboundOf(bob).handle(swapped, Date.now()))).toEqual(['warning:INVALID_SIG']);
});

test('USER_NOT_FOUND for a DM becomes a failed delivery status with its code', () => {
  const err = sealFrame({ type: 'ERROR', from: S1, to: alice.userId, ts: Date.now(), payload: { code: 'USER_NOT_FOUND', detail: `recipient ${bob.userId} is not registered` } }, server) as Verified<Frame>;
  expect(inboundOf(alice, bob).handle(err, Date.now())).toEqual([
    { event: 'server-error', code: 'USER_NOT_FOUND', detail: `recipient ${bob.userId} is not registered` },
    { event: 'delivery', status: 'failed', to: 'bob', ts: err.ts, code: 'USER_NOT_FOUND' },
  ]);
});

test('contact pins: first key pinned on disk, a changed key is held until trust', async () => {
  const pins = new ContactPins(dir, 'alice');
  expect(pins.check(bob.userId, bob.key.publicKey, 'bob')).toEqual({ kind: 'new' });
  await pins.flush();
  const again = new ContactPins(dir, 'alice'); // a later session reads the file
  expect(again.check(bob.userId, bob.key.publicKey, 'bob')).toEqual({ kind: 'same' });
  expect(again.check(bob.userId, mallory.key.publicKey, 'bob')).toMatchObject({ kind: 'changed', was: bob.key.publicKey.fingerprint() });
  expect(again.isHeld(bob.userId)).toBe(true);
  expect(again.hold(bob.userId, 'one')).toBe(true);
  expect(again.trust(bob.userId)).toEqual(['one']);
  await again.flush();
  expect(new ContactPins(dir, 'alice').check(bob.userId, mallory.key.publicKey, 'bob')).toEqual({ kind: 'same' });
});

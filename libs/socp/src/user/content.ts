/**
 * User content that arrives (DMs, public messages, receipts, file acks), checked before
 * anything is shown (SPEC.md §10.2 [profile]), in order:
 *  1. we hold a key for the sender: its contact pin, else the roster's (see senderKey; a queued
 *     DM from someone never seen is first contact);
 *  2. `sender_pub` is that same key (a stranger cannot sign as a contact);
 *  3. `content_sig` verifies under it, over the ORIGINAL ts (payload orig_ts, else ts, else the
 *     envelope's); DMs in the DM form (to = us), public messages in the public form or (G43) the
 *     DM form;
 *  4. it was not seen before (replays are dropped);
 *  5. the ciphertext decrypts under our key.
 * Anything failing is a `warning` event, never a `message`.
 */
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { verifyContent } from '../crypto/content-sig';
import { warn, labelById, shownRef, type UserEvent, type Warning } from './events';
import { parseFileAck } from './file-acks';
import { parsePart } from './message-parts';
import { receiptDraft } from './outbound';
import { parseReceipt, receiptRef } from './receipts';
import { labelOf, type RosterEntry } from './roster';
import type { UserStep } from './effects';
import type { UserCtx, UserState } from './state';

/** Whose key content verifies under; `firstContact`: a queued DM's own key, pinned on first use. */
export interface SenderKey { entry: RosterEntry; firstContact: boolean }

export interface SignedContent { ciphertext: string; sender_pub?: string | undefined; content_sig: string; receipts?: unknown }

/**
 * Steps 1–2: the key content from `sender` must verify under, never taken from the payload.
 * In order: the contact pin, else the key the roster bound (online; for a queued DM also seen
 * earlier this session). `sender_pub` is only compared with it (a mismatch is BAD_KEY). Only a
 * queued DM from someone never seen at all (no pin, not in the roster) may bring its own key:
 * first contact, pinned now (TOFU) and shown as such, not as verified.
 */
export function senderKey(state: UserState, sender: string, senderPub: string | undefined, what: string, now: number, queued = false): SenderKey | Warning {
  const { roster, pins } = state;
  const seen = roster.get(sender) ?? (queued ? roster.known(sender) : undefined);
  const pin = pins.pinned(sender);
  const bound = pin?.key ?? seen?.key;
  const who = seen ? labelOf(seen) : (pin?.name ?? sender);
  let claimed: RsaPublicKey | undefined;
  try {
    claimed = senderPub === undefined ? undefined : importPublicKeyCached(senderPub);
  } catch {
    return warn('BAD_KEY', `${what} from ${who} carries an unusable sender key; dropped`);
  }
  if (bound) {
    const entry: RosterEntry = { userId: sender, serverId: seen?.serverId ?? '', name: seen?.name ?? pin?.name, key: bound };
    if (!claimed || claimed.equals(bound)) return { entry, firstContact: false };
    return warn('BAD_KEY', pin
      ? `${what} claiming to be from ${who} carries a key that is not the one pinned for them (pinned ${bound.fingerprint().slice(0, 16)}…, claimed ${claimed.fingerprint().slice(0, 16)}…); dropped`
      : `${what} claiming to be from ${who} is signed with a key that is not theirs; dropped`);
  }
  if (!queued) return warn('USER_NOT_FOUND', `${what} from unknown user ${sender} dropped`);
  if (!claimed) return warn('BAD_KEY', `${what} from ${sender} carries no sender key; dropped`);
  if (pins.check(sender, claimed, undefined, now).kind !== 'new') return warn('BAD_KEY', `${what} from ${sender} carries a key that does not match their pin; dropped`);
  const entry: RosterEntry = { userId: sender, serverId: '', name: undefined, key: claimed };
  roster.rememberOffline(entry); // /whois and /tell find them
  return { entry, firstContact: true };
}

/** One piece of content from `sender` (ts: the original one): its events, and the receipt it asks for. */
export function receiveContent(state: UserState, sender: string, p: SignedContent, ts: number, isPublic: boolean, ctx: UserCtx, step: UserStep, queued = false): void {
  const what = isPublic ? 'public message' : 'message';
  const s = senderKey(state, sender, p.sender_pub, what, ctx.now, queued);
  if ('event' in s) return void step.events.push(s);
  const { entry } = s;
  const dm = { ciphertext: p.ciphertext, from: sender, to: state.me.userId, ts };
  const good = isPublic
    ? verifyContent(entry.key, { ciphertext: p.ciphertext, from: sender, ts }, p.content_sig) ?? verifyContent(entry.key, dm, p.content_sig)
    : verifyContent(entry.key, dm, p.content_sig);
  if (!good) return void step.events.push(warn('INVALID_SIG', `${what} from ${labelOf(entry)} failed its signature check (tampered?); dropped`));
  state.dialects.sawContent(sender, good, p.sender_pub);
  // A queued DM comes again after a log-in whose ACK did not reach the server: shown once, silently.
  if (!state.seen.firstSeen(`${sender}|${ts}|${p.content_sig}`, ctx.now)) {
    if (!queued) step.events.push(warn('REPLAY', `a repeated ${what} from ${labelOf(entry)} was dropped`));
    return;
  }
  let text: string;
  try {
    text = state.me.key.decrypt(Buffer.from(p.ciphertext, 'base64url')).toString('utf8');
  } catch {
    return void step.events.push(warn('DECRYPT', `${what} from ${labelOf(entry)} could not be decrypted with your key; dropped`));
  }
  const receiptOf = isPublic ? undefined : parseReceipt(text);
  if (receiptOf !== undefined) return void step.events.push(...settled(state, sender, receiptOf));
  const fileAck = isPublic ? undefined : parseFileAck(text);
  if (fileAck !== undefined) return void step.events.push({ event: 'file-ack', from: sender, ...fileAck });
  if (!isPublic && p.receipts === true) {
    const to = { userId: sender, key: entry.key, dialect: state.dialects.for(sender) };
    step.effects.push({ kind: 'send', drafts: [receiptDraft(state.me, to, receiptRef(ts, p.content_sig), ctx.now)] });
  }
  step.events.push(...shown(state, s, isPublic ? 'public' : 'dm', text, ts, ctx.now));
}

/** A verified receipt from `from`: the delivery it completes, if any (only the recipient settles a message). */
function settled(state: UserState, from: string, ref: string): UserEvent[] {
  const done = state.receipts.settle(from, ref);
  return done ? [{ event: 'delivery', status: 'delivered', to: labelById(state.roster, done.to), ts: done.ts }] : [];
}

/** A whole message, or a part collected until its message is whole (message-parts.ts). */
function shown(state: UserState, s: SenderKey, kind: 'dm' | 'public', text: string, ts: number, now: number): UserEvent[] {
  const { entry } = s;
  const note = s.firstContact ? { firstContact: entry.key.fingerprint() } : {};
  const part = parsePart(text);
  if (!part) return [{ event: 'message', kind, from: shownRef(state.roster, entry), text, ts, ...note }];
  const r = state.parts.add(`${entry.userId}|${kind}`, part, ts, now);
  if (r.kind === 'complete') return [{ event: 'message', kind, from: shownRef(state.roster, entry), text: r.text, ts: r.ts, ...note }];
  if (r.kind === 'inconsistent') return [warn('INVALID_SIG', `inconsistent parts of a long message from ${labelOf(entry)}`)];
  return [];
}

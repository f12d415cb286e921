/**
 * What the user's commands need decided before anything is sent: who a typed name means, whether
 * a message may go (length, a contact's changed key), and the drafts to send (outbound.ts).
 * Each decision that refuses returns the warning to show; the client sequences them with its
 * own checks (connected or not).
 */
import type { Frame } from '../messages';
import type { RsaPublicKey } from '../crypto/keys';
import type { Draft } from './draft';
import type { UserEffect } from './effects';
import { warn, type Warning } from './events';
import { MAX_MESSAGE_BYTES } from './limits';
import { directDrafts, publicDrafts, type OutboundCtx, type Recipient } from './outbound';
import { receiptRef } from './receipts';
import { labelOf, type RosterEntry } from './roster';
import type { UserState } from './state';

export const isWarning = (x: RosterEntry | Warning): x is Warning => 'event' in x;

/** An online user by what was typed (roster.ts: id, name@serverprefix, name, id prefix), or why not. */
export function resolveOnline(state: UserState, query: string): RosterEntry | Warning {
  const r = state.roster.resolve(query);
  if (r.kind === 'found') return r.entry;
  if (r.kind === 'not-found') return warn('USER_NOT_FOUND', `no online user "${query}" (see /list)`);
  const options = r.candidates.map((c) => `${labelOf(c)}@${c.serverId.slice(0, 8)} (${c.userId})`).join(', ');
  return warn('AMBIGUOUS', `"${query}" matches several users: ${options} — use name@serverprefix or the id`);
}

/** An online user, else one seen this session who is offline now, by exact name or id (a DM to them may queue). */
export function resolveKnown(state: UserState, query: string): RosterEntry | Warning {
  const offline = state.roster.resolve(query).kind === 'not-found' ? state.roster.resolveOffline(query) : undefined;
  return offline ?? resolveOnline(state, query);
}

/** Text longer than MAX_MESSAGE_BYTES is refused, not truncated. */
export function tooLong(text: string): Warning | undefined {
  const n = Buffer.byteLength(text, 'utf8');
  return n <= MAX_MESSAGE_BYTES ? undefined : warn('TOO_LONG', `message is ${n} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
}

/** A user as we send to them: their key and the dialect they showed (dialect.ts). */
export const recipientOf = (state: UserState, e: { userId: string; key: RsaPublicKey }): Recipient => ({ userId: e.userId, key: e.key, dialect: state.dialects.for(e.userId) });

/** A contact whose key changed (contact-pins.ts): the DM is held until /trust; the warning says so. undefined: send it. */
export function holdIfKeyChanged(state: UserState, e: RosterEntry, text: string): Warning | undefined {
  if (!state.pins.isHeld(e.userId)) return undefined;
  const who = labelOf(e);
  return warn('HELD', state.pins.hold(e.userId, text) ? `message to ${who} held: their key changed; /whois ${who} then /trust ${who}` : `too many held messages for ${who}; not kept`);
}

/** /whois of a held contact: what the pinned key was. */
export function keyChangedNote(state: UserState, e: RosterEntry): Warning | undefined {
  if (!state.pins.isHeld(e.userId)) return undefined;
  return warn('KEY_CHANGED', `pinned fingerprint was ${state.pins.pinnedFingerprint(e.userId)}; /trust ${labelOf(e)} only after comparing out of band`);
}

/** /tell: one MSG_DIRECT per part, each asking for a receipt (receipts.ts). */
export function tellDrafts(state: UserState, e: RosterEntry, text: string, ctx: OutboundCtx): Array<Draft<'MSG_DIRECT'>> {
  return directDrafts(state.me, recipientOf(state, e), text, ctx, true);
}

/** /tell's frames, sealed: the message is delivered when a receipt came for each (content_sig names a part). */
export function expectReceipts(state: UserState, to: string, frames: readonly Frame[]): void {
  const ts = frames[0]?.ts;
  if (ts === undefined) return;
  state.receipts.add(to, ts, frames.map((f) => receiptRef(f.ts, (f.payload as { content_sig: string }).content_sig)));
}

/** /all: everyone online but us, and one MSG_PUBLIC_CHANNEL per recipient and part. */
export function allDrafts(state: UserState, text: string, ctx: OutboundCtx): { to: RosterEntry[]; drafts: Array<Draft<'MSG_PUBLIC_CHANNEL'>>; parts: number } {
  const to = state.roster.list().filter((e) => e.userId !== state.me.userId);
  const drafts = publicDrafts(state.me, to.map((e) => recipientOf(state, e)), text, ctx);
  return { to, drafts, parts: to.length ? drafts.length / to.length : 0 };
}

/** /trust: pin a held contact's new key; the DMs held meanwhile are to be sent now (undefined: its key was not in question). */
export function trustKey(state: UserState, e: RosterEntry, now: number): { held: string[] | undefined; effects: UserEffect[] } {
  const held = state.pins.trust(e.userId, now);
  const pins = state.pins.takeChanged();
  return { held, effects: pins ? [{ kind: 'savePins', pins }] : [] };
}

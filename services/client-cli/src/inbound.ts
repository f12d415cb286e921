/**
 * The receiving half of the session, sans I/O: a frame whose transport sig the connection
 * already checked against the pinned server key goes in, events come out.
 *
 * Every piece of user content passes, in order, before it is shown (SPEC.md §10.2 [profile]):
 *  1. we hold a key for the sender: its contact pin, else the roster's (see senderKey; a queued
 *     DM from someone never seen is first contact);
 *  2. `sender_pub` is that same key (a stranger cannot sign as a contact);
 *  3. `content_sig` verifies under it, over the ORIGINAL ts (payload orig_ts, else ts, else
 *     the envelope's); DMs in the DM form (to = us), public messages in the public form or
 *     (G43) the DM form;
 *  4. it was not seen before (replays are dropped);
 *  5. the ciphertext decrypts under our key.
 * Anything failing is a `warning` event, never a `message`.
 */
import {
  advertisedPubkey, originalTs, SeenCache, UUID_ANYCASE_RE, verifyContent, importPublicKeyCached, handleOf, labelOf, parsePart, parseReceipt, receiptRef,
  Dialects, IncomingFiles, PartAssembler, RECEIVED_DEDUPE_CAPACITY, type Roster, type RosterEntry,
  type Frame, type FileChunkPayload, type FileStartPayload, type RsaPrivateKey, type RsaPublicKey, type Verified,
} from '@socp/protocol';
import type { ClientEvent, UserRef } from './events';
import { MAX_PENDING_QUEUE_ACKS, MAX_QUEUE_REF_CHARS } from './queue-acks';
import { shownKey, type ShownSet } from './shown-queued';
import type { ContactKeys } from './contact-pins';

export interface Me { userId: string; name: string; key: RsaPrivateKey }

export interface InboundOptions {
  files?: IncomingFiles;
  /** Queued DMs handled in earlier runs (shown-queued.ts); without it, only this run's are known. */
  shownBefore?: ShownSet | undefined;
  /** Contact keys pinned across runs (contact-pins.ts); without them only the roster binds keys. */
  pins?: ContactKeys | undefined;
  dialects?: Dialects;
}

/** Whose key content verifies under; `firstContact`: a queued DM's own key, pinned on first use. */
interface Sender { entry: RosterEntry; firstContact: boolean }

interface Content { ciphertext: string; sender_pub: string; content_sig: string }

const REPLAY_TTL_MS = 30 * 60_000;

export const refOf = (e: RosterEntry): UserRef => ({ userId: e.userId, name: e.name, serverId: e.serverId });
type Warning = Extract<ClientEvent, { event: 'warning' }>;
const warn = (code: string, detail: string): Warning => ({ event: 'warning', code, detail });

export class Inbound {
  readonly files: IncomingFiles;
  /** What each peer showed of its dialect (content_sig variant, key encoding): read before sending to it. */
  readonly dialects: Dialects;
  private readonly shownBefore: ShownSet | undefined;
  private readonly pins: ContactKeys | undefined;
  private readonly parts = new PartAssembler();
  private readonly seen = new SeenCache(REPLAY_TTL_MS, RECEIVED_DEDUPE_CAPACITY);
  /** queue_refs of queued DMs handled since the last takeQueueAcks() (docs/accounts.md "Delivery at log-in"). */
  private queueAcks: string[] = [];

  constructor(private readonly me: Me, readonly roster: Roster, opts: InboundOptions = {}) {
    this.files = opts.files ?? new IncomingFiles();
    this.dialects = opts.dialects ?? new Dialects();
    this.shownBefore = opts.shownBefore;
    this.pins = opts.pins;
  }

  handle(f: Verified<Frame>, now: number): ClientEvent[] {
    switch (f.type) {
      case 'USER_ADVERTISE': {
        const r = this.roster.upsert(f.payload);
        const encoded = advertisedPubkey(f.payload);
        if ((r.kind === 'added' || r.kind === 'updated' || r.kind === 'unchanged') && encoded !== undefined) this.dialects.sawKey(r.entry.userId, encoded);
        if (r.kind === 'added') return [{ event: 'presence', action: 'online', user: refOf(r.entry) }];
        if (r.kind === 'bad-key') return [warn('BAD_KEY', `advertisement for ${r.userId} refused: ${r.detail}`)];
        if (r.kind === 'key-changed') return [warn('BAD_KEY', `${r.name ?? r.userId} (${r.userId}) was advertised with a DIFFERENT key; ignored, the first key stays`)];
        if (r.kind === 'full') return [warn('LIMIT', `roster full; ${r.userId} not added`)];
        return [];
      }
      case 'USER_REMOVE': {
        const e = this.roster.remove(f.payload.user_id, f.payload.server_id);
        return e ? [{ event: 'presence', action: 'offline', user: refOf(e) }] : [];
      }
      case 'USER_DELIVER': {
        const p = f.payload;
        const isPublic = p.group_id === 'public' || p.public === true || p.inner_type === 'MSG_PUBLIC_CHANNEL';
        const queued = (p as { queued?: unknown }).queued === true;
        const ts = originalTs(p, f.ts);
        const shown = queued ? this.shownBefore : undefined;
        const key = shown ? shownKey(p.sender, ts, p.content_sig) : '';
        // Handed over again because our ACK was lost: handled in an earlier run, acknowledged silently.
        const events = shown?.has(key) ? [] : this.content(p.sender, p, ts, isPublic, now, queued);
        // Handled for good (shown, or refused: a redelivery would not do better): the server may drop it.
        shown?.add(key);
        this.ackIfQueued(p);
        return events;
      }
      case 'MSG_PUBLIC_CHANNEL':
        return this.content(f.payload.sender ?? f.from, f.payload, originalTs(f.payload, f.ts), true, now);
      case 'MSG_DIRECT':
        return this.content(f.payload.sender ?? f.from, f.payload, f.ts, f.payload.public === true, now);
      case 'FILE_START':
        return this.fileStart(f.payload.sender ?? f.from, f.payload, now);
      case 'FILE_CHUNK':
        return this.fileChunk(f.payload.sender ?? f.from, f.payload, originalTs(f.payload as { orig_ts?: number }, f.ts), now);
      case 'FILE_END': {
        const sender = f.payload.sender ?? f.from;
        const r = this.files.end(sender, f.payload.file_id);
        if (r.ok) return [{ event: 'file-received', transfer: r.transfer, from: this.ref(sender), path: '' }];
        if (!r.transfer) return [];
        return [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason === 'sha256-mismatch' ? 'SHA-256 does not match the manifest' : 'size does not match the manifest' }];
      }
      case 'ERROR': {
        const p = f.payload;
        const out: ClientEvent[] = [{ event: 'server-error', code: p.code, detail: p.detail ?? '' }];
        // Our servers name the refused or unconfirmed message (`to`, `ts`, `msg_ref`: docs/contracts.md
        // "Delivery acks"); older ones only in the USER_NOT_FOUND detail text.
        const named = typeof p['to'] === 'string' && UUID_ANYCASE_RE.test(p['to']) ? p['to'] : undefined;
        const to = named ?? (p.code === 'USER_NOT_FOUND' ? /^recipient ([0-9a-f-]{36}) /.exec(p.detail ?? '')?.[1] : undefined);
        const ts = typeof p['ts'] === 'number' ? p['ts'] : f.ts;
        if (to !== undefined) out.push({ event: 'delivery', status: named !== undefined && p.code === 'TIMEOUT' ? 'unconfirmed' : 'failed', to: this.label(to), ts, code: p.code });
        // A report that waited in our offline queue (we had left when it was due) is handled once shown.
        this.ackIfQueued(p);
        return out;
      }
      case 'ACK': {
        const p = f.payload as { status?: unknown; to?: unknown; ts?: unknown };
        if (p.status !== 'queued' || typeof p.to !== 'string') return [];
        return [{ event: 'delivery', status: 'queued', to: this.label(p.to), ts: typeof p.ts === 'number' ? p.ts : f.ts }];
      }
      default:
        return []; // ACK, HEARTBEAT, LIST_RESPONSE, PUBLIC_CHANNEL_* carry nothing to show
    }
  }

  /** Remember the queue_ref of a frame that came from our offline queue (`queued: true`), to acknowledge it. */
  private ackIfQueued(payload: object): void {
    const p = payload as { queued?: unknown; queue_ref?: unknown };
    const ref = p.queue_ref;
    if (p.queued === true && typeof ref === 'string' && ref.length <= MAX_QUEUE_REF_CHARS && this.queueAcks.length < MAX_PENDING_QUEUE_ACKS) this.queueAcks.push(ref);
  }

  /** The queue_refs to acknowledge to the server now (each queued DM once it was handled). */
  takeQueueAcks(): string[] {
    const refs = this.queueAcks;
    this.queueAcks = [];
    return refs;
  }

  /** The connection is gone: every open transfer is incomplete (the caller discards its data). */
  disconnected(): ClientEvent[] {
    return this.files.closeAll().map((t) => ({ event: 'file-failed', transfer: t, reason: 'disconnected', detail: 'connection lost before FILE_END' }));
  }

  /** Periodic: stale split messages and idle transfers. */
  sweep(now: number): ClientEvent[] {
    const out: ClientEvent[] = this.parts.sweep(now).map((s) => warn('TIMEOUT', `an incomplete long message from ${this.label(s.split('|')[0]!)} was dropped`));
    for (const t of this.files.sweep(now)) out.push({ event: 'file-failed', transfer: t, reason: 'idle', detail: 'no data for too long' });
    return out;
  }

  /** The sender as shown: with its server prefix when a namesake is online. */
  private sender(e: RosterEntry): UserRef {
    return this.roster.sharesName(e) ? { ...refOf(e), handle: handleOf(e, true) } : refOf(e);
  }

  private ref(userId: string): UserRef {
    const e = this.roster.get(userId);
    return e ? this.sender(e) : { userId, name: undefined, serverId: '' };
  }
  private label(userId: string): string {
    const e = this.roster.known(userId);
    return e ? labelOf(e) : userId;
  }

  /**
   * Steps 1–2: the key content from `sender` must verify under, never taken from the payload.
   * In order: the contact pin (contact-pins.ts), else the key the roster bound (online; for a
   * queued DM also seen earlier this session). `sender_pub` is only compared with it (a mismatch
   * is BAD_KEY). Only a queued DM from someone never seen at all (no pin, not in the roster) may
   * bring its own key: first contact, pinned now (TOFU) and shown as such, not as verified.
   */
  private senderKey(sender: string, senderPub: string | undefined, what: string, queued = false): Sender | Warning {
    const seen = this.roster.get(sender) ?? (queued ? this.roster.known(sender) : undefined);
    const pin = this.pins?.pinned(sender);
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
    const r = this.pins?.check(sender, claimed, undefined) ?? { kind: 'new' };
    if (r.kind !== 'new') return warn('BAD_KEY', `${what} from ${sender} carries a key that does not match their pin; dropped`);
    const entry: RosterEntry = { userId: sender, serverId: '', name: undefined, key: claimed };
    this.roster.rememberOffline(entry); // /whois and /tell find them
    return { entry, firstContact: true };
  }

  private content(sender: string, p: Content, ts: number, isPublic: boolean, now: number, queued = false): ClientEvent[] {
    const what = isPublic ? 'public message' : 'message';
    const s = this.senderKey(sender, p.sender_pub, what, queued);
    if ('event' in s) return [s];
    const { entry, firstContact } = s;
    const dm = { ciphertext: p.ciphertext, from: sender, to: this.me.userId, ts };
    const good = isPublic
      ? verifyContent(entry.key, { ciphertext: p.ciphertext, from: sender, ts }, p.content_sig) ?? verifyContent(entry.key, dm, p.content_sig)
      : verifyContent(entry.key, dm, p.content_sig);
    if (!good) return [warn('INVALID_SIG', `${what} from ${labelOf(entry)} failed its signature check (tampered?); dropped`)];
    this.dialects.sawContent(sender, good, p.sender_pub);
    // A queued DM comes again after a log-in whose ACK did not reach the server: shown once, silently.
    if (!this.seen.firstSeen(`${sender}|${ts}|${p.content_sig}`, now)) return queued ? [] : [warn('REPLAY', `a repeated ${what} from ${labelOf(entry)} was dropped`)];
    let text: string;
    try {
      text = this.me.key.decrypt(Buffer.from(p.ciphertext, 'base64url')).toString('utf8');
    } catch {
      return [warn('DECRYPT', `${what} from ${labelOf(entry)} could not be decrypted with your key; dropped`)];
    }
    const kind = isPublic ? 'public' : 'dm';
    const receiptOf = isPublic ? undefined : parseReceipt(text);
    if (receiptOf !== undefined) return [{ event: 'receipt', from: sender, ref: receiptOf }];
    const due: ClientEvent[] = !isPublic && (p as { receipts?: unknown }).receipts === true ? [{ event: 'receipt-due', to: sender, key: entry.key, ref: receiptRef(ts, p.content_sig) }] : [];
    return [...due, ...this.shown(sender, entry, kind, text, ts, now, firstContact)];
  }

  private shown(sender: string, entry: RosterEntry, kind: 'dm' | 'public', text: string, ts: number, now: number, firstContact: boolean): ClientEvent[] {
    const note = firstContact ? { firstContact: entry.key.fingerprint() } : {};
    const part = parsePart(text);
    if (!part) return [{ event: 'message', kind, from: this.sender(entry), text, ts, ...note }];
    const r = this.parts.add(`${sender}|${kind}`, part, ts, now);
    if (r.kind === 'complete') return [{ event: 'message', kind, from: this.sender(entry), text: r.text, ts: r.ts, ...note }];
    if (r.kind === 'inconsistent') return [warn('INVALID_SIG', `inconsistent parts of a long message from ${labelOf(entry)}`)];
    return [];
  }

  private fileStart(sender: string, p: FileStartPayload, now: number): ClientEvent[] {
    const entry = this.roster.get(sender);
    if (!entry) return [warn('USER_NOT_FOUND', `file offer from unknown user ${sender} refused`)];
    const r = this.files.start(sender, p, now);
    if (!r.ok) return [warn('FILE_REFUSED', `file ${JSON.stringify(p.name.slice(0, 64))} from ${labelOf(entry)} refused: ${r.reason}`)];
    return [{ event: 'file-offered', transfer: r.transfer, from: this.sender(entry) }];
  }

  /**
   * A chunk with a content_sig must verify under the sender's key (steps 1–3). The spec form
   * `{file_id, index, ciphertext}` carries none (issue 14.2): it is taken, but the transfer is
   * marked "sender not verified" — only the manifest's size and SHA-256 (vouched for by our
   * server's signature, not the sender's) then hold the file together.
   */
  private fileChunk(sender: string, p: FileChunkPayload, ts: number, now: number): ClientEvent[] {
    const t = this.files.get(sender, p.file_id);
    if (!t) return [];
    const failed = (detail: string): ClientEvent[] => {
      this.files.end(sender, p.file_id);
      return [{ event: 'file-failed', transfer: t, reason: 'invalid-chunk', detail }];
    };
    const signed = p.content_sig !== undefined;
    if (p.content_sig !== undefined) {
      const s = this.senderKey(sender, p.sender_pub, 'file chunk');
      if ('event' in s) return failed(s.detail);
      const variant = verifyContent(s.entry.key, { ciphertext: p.ciphertext, from: sender, to: this.me.userId, ts }, p.content_sig);
      if (!variant) return failed('a chunk failed its signature check');
      this.dialects.sawContent(sender, variant, p.sender_pub);
    }
    let plain: Buffer;
    try {
      plain = this.me.key.decrypt(Buffer.from(p.ciphertext, 'base64url'));
    } catch {
      return failed('a chunk could not be decrypted');
    }
    const r = this.files.chunk(sender, p.file_id, p.index, plain, now, signed);
    if (!r.ok) return r.transfer ? [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason }] : [];
    return r.append.length ? [{ event: 'file-data', transfer: r.transfer, append: r.append }] : [];
  }
}

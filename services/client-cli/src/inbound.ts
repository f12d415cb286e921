/**
 * The receiving half of the session, sans I/O: a frame whose transport sig the connection
 * already checked against the pinned server key goes in, events come out.
 *
 * Every piece of user content passes, in order, before it is shown (SPEC.md §10.2 [profile]):
 *  1. the sender is in the roster (so we know its key);
 *  2. `sender_pub` is that same key (a stranger cannot sign as a contact);
 *  3. `content_sig` verifies under it, over the ORIGINAL ts (payload orig_ts, else ts, else
 *     the envelope's); DMs in the DM form (to = us), public messages in the public form or
 *     (G43) the DM form;
 *  4. it was not seen before (replays are dropped);
 *  5. the ciphertext decrypts under our key.
 * Anything failing is a `warning` event, never a `message`.
 */
import {
  originalTs, SeenCache, UUID_ANYCASE_RE, verifyContent, importPublicKeyCached,
  type Frame, type FileChunkPayload, type FileStartPayload, type RsaPrivateKey, type RsaPublicKey, type Verified,
} from '@socp/protocol';
import type { ClientEvent, UserRef } from './events';
import { IncomingFiles } from './incoming-files';
import { parsePart, PartAssembler } from './message-parts';
import { handleOf, labelOf, type Roster, type RosterEntry } from './roster';
import { RECEIVED_DEDUPE_CAPACITY } from './limits';
import { MAX_PENDING_QUEUE_ACKS, MAX_QUEUE_REF_CHARS } from './queue-acks';
import { parseReceipt, receiptRef } from './receipts';
import { shownKey, type ShownSet } from './shown-queued';

export interface Me { userId: string; name: string; key: RsaPrivateKey }

interface Content { ciphertext: string; sender_pub: string; content_sig: string }

const REPLAY_TTL_MS = 30 * 60_000;

export const refOf = (e: RosterEntry): UserRef => ({ userId: e.userId, name: e.name, serverId: e.serverId });
type Warning = Extract<ClientEvent, { event: 'warning' }>;
const warn = (code: string, detail: string): Warning => ({ event: 'warning', code, detail });

export class Inbound {
  readonly files: IncomingFiles;
  private readonly parts = new PartAssembler();
  private readonly seen = new SeenCache(REPLAY_TTL_MS, RECEIVED_DEDUPE_CAPACITY);
  /** queue_refs of queued DMs handled since the last takeQueueAcks() (docs/accounts.md "Delivery at log-in"). */
  private queueAcks: string[] = [];

  /** `shownBefore`: queued DMs handled in earlier runs (shown-queued.ts); without it, only this run's are known. */
  constructor(private readonly me: Me, readonly roster: Roster, files?: IncomingFiles, private readonly shownBefore?: ShownSet) {
    this.files = files ?? new IncomingFiles();
  }

  handle(f: Verified<Frame>, now: number): ClientEvent[] {
    switch (f.type) {
      case 'USER_ADVERTISE': {
        const r = this.roster.upsert(f.payload);
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
   * A DM that queued while we were offline may come from someone not online now: the key is
   * the one our server vouches for (it checked sender_pub against the sender's bound key and
   * signed this USER_DELIVER); a sender we know keeps the usual roster check.
   */
  private offlineSender(sender: string, senderPub: string | undefined): RosterEntry | Warning {
    try {
      if (senderPub === undefined) throw new Error('no sender_pub');
      return { userId: sender, serverId: '', name: this.roster.known(sender)?.name, key: importPublicKeyCached(senderPub) };
    } catch {
      return warn('BAD_KEY', `queued message from ${sender} carries an unusable sender key; dropped`);
    }
  }

  /** Steps 1–2: the roster entry whose key signed this, or a warning. */
  private senderKey(sender: string, senderPub: string | undefined, what: string): RosterEntry | Warning {
    const entry = this.roster.get(sender);
    if (!entry) return warn('USER_NOT_FOUND', `${what} from unknown user ${sender} dropped`);
    let claimed: RsaPublicKey;
    try {
      if (senderPub === undefined) throw new Error('no sender_pub');
      claimed = importPublicKeyCached(senderPub);
    } catch {
      return warn('BAD_KEY', `${what} from ${labelOf(entry)} carries an unusable sender key; dropped`);
    }
    if (!claimed.equals(entry.key)) return warn('BAD_KEY', `${what} claiming to be from ${labelOf(entry)} is signed with a key that is not theirs; dropped`);
    return entry;
  }

  private content(sender: string, p: Content, ts: number, isPublic: boolean, now: number, queued = false): ClientEvent[] {
    const what = isPublic ? 'public message' : 'message';
    const entry = queued && !this.roster.get(sender) ? this.offlineSender(sender, p.sender_pub) : this.senderKey(sender, p.sender_pub, what);
    if ('event' in entry) return [entry];
    const dm = { ciphertext: p.ciphertext, from: sender, to: this.me.userId, ts };
    const good = isPublic
      ? verifyContent(entry.key, { ciphertext: p.ciphertext, from: sender, ts }, p.content_sig) ?? verifyContent(entry.key, dm, p.content_sig)
      : verifyContent(entry.key, dm, p.content_sig);
    if (!good) return [warn('INVALID_SIG', `${what} from ${labelOf(entry)} failed its signature check (tampered?); dropped`)];
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
    return [...due, ...this.shown(sender, entry, kind, text, ts, now)];
  }

  private shown(sender: string, entry: RosterEntry, kind: 'dm' | 'public', text: string, ts: number, now: number): ClientEvent[] {
    const part = parsePart(text);
    if (!part) return [{ event: 'message', kind, from: this.sender(entry), text, ts }];
    const r = this.parts.add(`${sender}|${kind}`, part, ts, now);
    if (r.kind === 'complete') return [{ event: 'message', kind, from: this.sender(entry), text: r.text, ts: r.ts }];
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

  private fileChunk(sender: string, p: FileChunkPayload, ts: number, now: number): ClientEvent[] {
    const t = this.files.get(sender, p.file_id);
    if (!t) return [];
    const entry = this.senderKey(sender, p.sender_pub, 'file chunk');
    const failed = (detail: string): ClientEvent[] => {
      this.files.end(sender, p.file_id);
      return [{ event: 'file-failed', transfer: t, reason: 'invalid-chunk', detail }];
    };
    if ('event' in entry) return failed(entry.detail);
    if (p.content_sig === undefined) return failed('an unsigned chunk arrived');
    if (!verifyContent(entry.key, { ciphertext: p.ciphertext, from: sender, to: this.me.userId, ts }, p.content_sig)) return failed('a chunk failed its signature check');
    let plain: Buffer;
    try {
      plain = this.me.key.decrypt(Buffer.from(p.ciphertext, 'base64url'));
    } catch {
      return failed('a chunk could not be decrypted');
    }
    const r = this.files.chunk(sender, p.file_id, p.index, plain, now);
    if (!r.ok) return r.transfer ? [{ event: 'file-failed', transfer: r.transfer, reason: r.reason, detail: r.reason }] : [];
    return r.append.length ? [{ event: 'file-data', transfer: r.transfer, append: r.append }] : [];
  }
}

/**
 * The state of one user's session: who is online and their keys, what each peer verifies, open
 * transfers and split messages, the replay window, contact pins, queued DMs already handled,
 * DMs awaiting receipts. Owned by the core (its functions change it); the shell only reads it.
 */
import { SeenCache } from '../wire/seen-cache';
import type { RsaPrivateKey } from '../crypto/keys';
import { ContactPins } from './contact-pins';
import { Dialects, type ContentSigSetting } from './dialect';
import { IncomingFiles } from './incoming-files';
import { RECEIVED_DEDUPE_CAPACITY, RECEIVED_REPLAY_TTL_MS } from './limits';
import { PartAssembler } from './message-parts';
import { PendingReceipts } from './receipts';
import { Roster } from './roster';
import { ShownQueued } from './shown-queued';

/** The user: id, name, and the private key content is decrypted with (it never leaves the process). */
export interface UserIdentity { userId: string; name: string; key: RsaPrivateKey }

export interface UserState {
  readonly me: UserIdentity;
  /** Who is online (and who was, this session), each bound to the first key seen. */
  readonly roster: Roster;
  /** What each peer showed of its dialect (content_sig variant, key encoding): read before sending to it. */
  readonly dialects: Dialects;
  readonly files: IncomingFiles;
  readonly parts: PartAssembler;
  /** (sender, ts, content_sig) of content already handled: a replay is dropped. */
  readonly seen: SeenCache;
  /** Contact keys pinned across runs. */
  readonly pins: ContactPins;
  /** Queued DMs handled in any run. */
  readonly shown: ShownQueued;
  /** DMs we sent and still await receipts for. */
  readonly receipts: PendingReceipts;
}

export interface UserInit {
  /** The content_sig variant we send (dialect.ts; default per recipient). */
  contentSig?: ContentSigSetting;
  /** Contact pins an earlier run kept (validated here). */
  pins?: unknown;
  /** Queued DMs an earlier run handled (validated here). */
  shown?: unknown;
}

/** Inputs from the outside world (S1). */
export interface UserCtx { now: number }

export function createUserState(me: UserIdentity, init: UserInit = {}): UserState {
  return {
    me,
    roster: new Roster(),
    dialects: new Dialects(init.contentSig),
    files: new IncomingFiles(),
    parts: new PartAssembler(),
    seen: new SeenCache(RECEIVED_REPLAY_TTL_MS, RECEIVED_DEDUPE_CAPACITY),
    pins: new ContactPins(init.pins),
    shown: new ShownQueued(init.shown),
    receipts: new PendingReceipts(),
  };
}

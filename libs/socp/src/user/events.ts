/**
 * What the user core reports (S1): events a client shows, or acts on before it shows them
 * (`file-*`: the client keeps the bytes on its disk). The CLI prints them (docs/client.md
 * "--json mode" lists the fields); they carry no private key and no plaintext but the message
 * a `message` event delivers to its one reader.
 */
import type { FileFailure, Transfer } from './incoming-files';
import { handleOf, labelOf, type Roster, type RosterEntry } from './roster';

export interface UserRef {
  userId: string;
  name: string | undefined;
  serverId: string;
  /** `name@serverprefix` when another online user has the same name (so a namesake cannot pass for them). */
  handle?: string;
}

export type UserEvent =
  | { event: 'presence'; action: 'online' | 'offline'; user: UserRef }
  /** `firstContact`: the sender was never seen; its key (this fingerprint) came with a queued DM and was pinned on first use. */
  | { event: 'message'; kind: 'dm' | 'public'; from: UserRef; text: string; ts: number; firstContact?: string }
  /** A check failed, or bad input: `code` is a wire code (INVALID_SIG, BAD_KEY, …) or the client's own (REPLAY, HELD, …). */
  | { event: 'warning'; code: string; detail: string }
  /** An ERROR frame from our server. */
  | { event: 'server-error'; code: string; detail: string }
  /** A transfer was accepted: the client opens somewhere to keep its bytes. */
  | { event: 'file-offered'; transfer: Transfer; from: UserRef }
  /** Verified, decrypted bytes of an open transfer, in order: the client appends them. */
  | { event: 'file-data'; transfer: Transfer; append: Buffer[] }
  /** Size and SHA-256 matched the manifest: the client keeps the file. */
  | { event: 'file-received'; transfer: Transfer; from: UserRef }
  /** The transfer is over without a file: the client deletes what it kept. */
  | { event: 'file-failed'; transfer: Transfer; reason: FileFailure | 'invalid-chunk'; detail: string }
  /** `from` acknowledged `next` chunks of our multi-block transfer `fileId` (file-acks.ts): the sender's window moves. Not shown. */
  | { event: 'file-ack'; from: string; fileId: string; next: number }
  /**
   * Delivery status of one sent DM (docs/accounts.md): `queued` = the recipient is offline, it waits at their home server;
   * `unconfirmed` = the recipient's server never confirmed it (link lost); it may still have arrived, then a receipt follows.
   */
  | { event: 'delivery'; status: 'queued' | 'delivered' | 'failed' | 'unconfirmed'; to: string; ts: number; code?: string };

export type Warning = Extract<UserEvent, { event: 'warning' }>;
export const warn = (code: string, detail: string): Warning => ({ event: 'warning', code, detail });

export const refOf = (e: RosterEntry): UserRef => ({ userId: e.userId, name: e.name, serverId: e.serverId });

/** A sender as shown: with its server prefix when a namesake is online. */
export const shownRef = (roster: Roster, e: RosterEntry): UserRef => (roster.sharesName(e) ? { ...refOf(e), handle: handleOf(e, true) } : refOf(e));

/** An online user as shown, or just the id. */
export function refById(roster: Roster, userId: string): UserRef {
  const e = roster.get(userId);
  return e ? shownRef(roster, e) : { userId, name: undefined, serverId: '' };
}

/** A user's name if known (online or seen this session), else the id. */
export function labelById(roster: Roster, userId: string): string {
  const e = roster.known(userId);
  return e ? labelOf(e) : userId;
}

/**
 * What the session tells its user interface. The JSON mode prints these (minus internal
 * fields) as one JSON object per line; docs/client.md lists them.
 */
import type { FileFailure, RsaPublicKey, Transfer } from '@socp/protocol';

export interface UserRef {
  userId: string;
  name: string | undefined;
  serverId: string;
  /** `name@serverprefix` when another online user has the same name (so a namesake cannot pass for them). */
  handle?: string;
}

export type ClientEvent =
  | { event: 'ready'; userId: string; name: string; serverId: string; serverFingerprint: string; pinned: 'new' | 'known' }
  | { event: 'presence'; action: 'online' | 'offline'; user: UserRef }
  /** `firstContact`: the sender was never seen; its key (this fingerprint) came with a queued DM and was pinned on first use. */
  | { event: 'message'; kind: 'dm' | 'public'; from: UserRef; text: string; ts: number; firstContact?: string }
  | { event: 'sent'; kind: 'dm' | 'public'; to: string[]; parts: number; text: string }
  | { event: 'warning'; code: string; detail: string }
  | { event: 'server-error'; code: string; detail: string }
  | { event: 'info'; text: string }
  | { event: 'list'; users: Array<UserRef & { self: boolean }> }
  | { event: 'whois'; user: UserRef; fingerprint: string; self: boolean }
  | { event: 'file-offered'; transfer: Transfer; from: UserRef }
  | { event: 'file-data'; transfer: Transfer; append: Buffer[] }
  | { event: 'file-received'; transfer: Transfer; from: UserRef; path: string }
  | { event: 'file-failed'; transfer: Transfer; reason: FileFailure | 'invalid-chunk' | 'disk'; detail: string }
  | { event: 'file-send-progress'; fileId: string; to: string; sent: number; size: number }
  /** Internal: an outgoing transfer that showed progress failed (the warning says why); its bar goes. */
  | { event: 'file-send-aborted'; fileId: string }
  | { event: 'file-sent'; fileId: string; to: string; name: string; size: number; sha256: string }
  | { event: 'closed'; reason: string }
  /** The link to the server was lost; attempt `attempt` (1-based) dials again in `delayMs`. */
  | { event: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  /** Back online, same identity, on `url` (another server after a failover: its own pinned key); the roster follows from its fresh snapshot. */
  | { event: 'reconnected'; attempt: number; serverId: string; serverFingerprint: string; url: string }
  /** Delivery status of one sent DM (docs/accounts.md): `queued` = the recipient is offline, it waits at their home server. */
  /** unconfirmed: the recipient's server never confirmed it (link lost); it may still have arrived, then a receipt follows. */
  | { event: 'delivery'; status: 'queued' | 'delivered' | 'failed' | 'unconfirmed'; to: string; ts: number; code?: string }
  /** Internal: a DM that asked for a receipt was shown; the session sends the receipt. */
  | { event: 'receipt-due'; to: string; key: RsaPublicKey; ref: string }
  /** Internal: a verified receipt from `from` (user id) arrived. */
  | { event: 'receipt'; from: string; ref: string };

export type EventSink = (e: ClientEvent) => void;

/** Events no front end prints as a line (the session and the progress bars act on them). */
const UNPRINTED = ['file-data', 'file-send-progress', 'file-send-aborted', 'receipt-due', 'receipt'] as const;
export type PrintedEvent = Exclude<ClientEvent, { event: (typeof UNPRINTED)[number] }>;
export const isPrinted = (e: ClientEvent): e is PrintedEvent => !(UNPRINTED as readonly string[]).includes(e.event);

/**
 * What the session tells its user interface: the user core's events (@socp/protocol
 * user/events.ts; a received file with the path the shell stored it under) and the shell's own.
 * The JSON mode prints these (minus internal fields) as one JSON object per line; docs/client.md
 * lists them.
 */
import type { Transfer, UserEvent, UserRef } from '@socp/protocol';

export type { UserRef };

export type ClientEvent =
  | Exclude<UserEvent, { event: 'file-received' }>
  | { event: 'file-received'; transfer: Transfer; from: UserRef; path: string }
  /** The downloads folder refused the bytes. */
  | { event: 'file-failed'; transfer: Transfer; reason: 'disk'; detail: string }
  | { event: 'ready'; userId: string; name: string; serverId: string; serverFingerprint: string; pinned: 'new' | 'known' }
  | { event: 'sent'; kind: 'dm' | 'public'; to: string[]; parts: number; text: string }
  | { event: 'info'; text: string }
  | { event: 'list'; users: Array<UserRef & { self: boolean }> }
  | { event: 'whois'; user: UserRef; fingerprint: string; self: boolean }
  | { event: 'file-send-progress'; fileId: string; to: string; sent: number; size: number }
  /** Internal: an outgoing transfer that showed progress failed (the warning says why); its bar goes. */
  | { event: 'file-send-aborted'; fileId: string }
  | { event: 'file-sent'; fileId: string; to: string; name: string; size: number; sha256: string }
  | { event: 'closed'; reason: string }
  /** The link to the server was lost; attempt `attempt` (1-based) dials again in `delayMs`. */
  | { event: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  /** Back online, same identity, on `url` (another server after a failover: its own pinned key); the roster follows from its fresh snapshot. */
  | { event: 'reconnected'; attempt: number; serverId: string; serverFingerprint: string; url: string };

export type EventSink = (e: ClientEvent) => void;

/** Events no front end prints as a line (the session and the progress bars act on them; a `file-ack` paces a transfer we send). */
const UNPRINTED = ['file-data', 'file-send-progress', 'file-send-aborted', 'file-ack'] as const;
export type PrintedEvent = Exclude<ClientEvent, { event: (typeof UNPRINTED)[number] }>;
export const isPrinted = (e: ClientEvent): e is PrintedEvent => !(UNPRINTED as readonly string[]).includes(e.event);

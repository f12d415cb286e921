/**
 * What the user core asks its shell to do (S1). The core touches no socket and no file; the CLI
 * (services/client-cli/src/effect-runner.ts) carries these out, in order.
 */
import type { Draft } from './draft';
import type { ContactPinRecords } from './contact-pins';
import type { UserEvent } from './events';

export type UserEffect =
  /** Seal these drafts with the user's key and send them to our server, in this order, after what was sent before. */
  | { kind: 'send'; drafts: Draft[] }
  /** A DM from our offline queue was handled for good (shown, or refused: a redelivery would not do better): acknowledge its `queue_ref`. */
  | { kind: 'ackQueued'; ref: string }
  /** The contact pins changed: keep them across runs (docs/accounts.md "Contact key pinning"). */
  | { kind: 'savePins'; pins: ContactPinRecords }
  /**
   * The queued DMs handled so far changed: keep them across runs, and on disk BEFORE any later
   * `ackQueued` goes out (what the server drops after that ACK must not be shown again).
   */
  | { kind: 'saveShown'; keys: readonly string[] };

export interface UserStep {
  events: UserEvent[];
  effects: UserEffect[];
}

export const emptyStep = (): UserStep => ({ events: [], effects: [] });

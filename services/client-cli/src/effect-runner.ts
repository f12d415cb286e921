/**
 * Carries out the user core's effects (@socp/protocol user/effects.ts) for the session, in order:
 * drafts are sealed and sent after what the session already queued (a receipt goes out in
 * order with the user's own sends), queue refs join the next batched ACK (queue-acks.ts),
 * pins and handled-queue digests go to the account's files (account-files.ts; the digests are
 * written before that ACK is sent).
 */
import { assertNever, type Draft, type UserEffect } from '@socp/protocol';
import type { AccountFiles } from './account-files';
import type { QueueAcks } from './queue-acks';

export interface EffectPorts {
  /** Seal `drafts` with the user's key and send them, behind what is queued. */
  sendDrafts(drafts: Draft[]): void;
  acks: QueueAcks;
  /** Absent: nothing is kept across runs (no $SOCP_HOME). */
  files: AccountFiles | undefined;
}

export function runEffects(effects: readonly UserEffect[], p: EffectPorts): void {
  for (const e of effects) {
    switch (e.kind) {
      case 'send':
        p.sendDrafts(e.drafts);
        break;
      case 'ackQueued':
        p.acks.add([e.ref]);
        break;
      case 'saveShown':
        p.files?.noteShown(e.keys);
        break;
      case 'savePins':
        p.files?.savePins(e.pins);
        break;
      default:
        assertNever(e);
    }
  }
}

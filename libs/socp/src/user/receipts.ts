/**
 * End-to-end delivery receipts (docs/accounts.md), sans I/O. A DM we send carries payload
 * `receipts: true`; the recipient's client answers each part with a MSG_DIRECT whose plaintext
 * is `socp-receipt/1 <ref>`, RSA-OAEP to us and content-signed with the recipient's key —
 * so no server can forge it — where ref = `<orig ts>.<sha256(content_sig) hex, 32 chars>`
 * identifies the acknowledged part. A receipt never asks for a receipt.
 */
import { sha256 } from '../crypto/keys';

export const RECEIPT_PREFIX = 'socp-receipt/1 ';
/** Sent messages remembered for their receipts (oldest forgotten first). */
export const MAX_PENDING_RECEIPTS = 1_000;

export const receiptRef = (ts: number, contentSig: string): string => `${ts}.${sha256(contentSig).toString('hex').slice(0, 32)}`;
export const receiptText = (ref: string): string => `${RECEIPT_PREFIX}${ref}`;
export function parseReceipt(text: string): string | undefined {
  if (!text.startsWith(RECEIPT_PREFIX)) return undefined;
  const ref = text.slice(RECEIPT_PREFIX.length);
  return /^\d{1,16}\.[0-9a-f]{32}$/.test(ref) ? ref : undefined;
}

interface PendingMessage { to: string; ts: number; missing: Set<string> }

/** What we sent and still wait a receipt for: part ref → message; the message is delivered when every part is. */
export class PendingReceipts {
  private readonly byRef = new Map<string, PendingMessage>();

  add(to: string, ts: number, refs: string[]): void {
    const m: PendingMessage = { to, ts, missing: new Set(refs) };
    for (const r of refs) {
      if (this.byRef.size >= MAX_PENDING_RECEIPTS) this.byRef.delete(this.byRef.keys().next().value!);
      this.byRef.set(r, m);
    }
  }

  /** A verified receipt from `from`: the message it completes, if any. */
  settle(from: string, ref: string): { to: string; ts: number } | undefined {
    const m = this.byRef.get(ref);
    if (!m || m.to !== from) return undefined;
    this.byRef.delete(ref);
    m.missing.delete(ref);
    return m.missing.size === 0 ? { to: m.to, ts: m.ts } : undefined;
  }
}

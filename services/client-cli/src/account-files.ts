/**
 * What the session keeps per account in $SOCP_HOME (directories 0700, files 0600, atomic
 * writes: private-files.ts), for the user core to decide on (docs/accounts.md):
 *   contacts/<name>.json      contact key pins (@socp/protocol user/contact-pins.ts)
 *   queued-shown/<name>.json  SHA-256 digests of queued DMs already handled (user/shown-queued.ts),
 *                             written BEFORE each queue ACK is sent (queue-acks.ts), so whatever
 *                             the server drops after that ACK is on disk first
 * Read once at start (missing or damaged: the core starts empty, it validates what it gets);
 * written when the core's effects say so, one write at a time per file.
 */
import { join } from 'node:path';
import type { ContactPinRecords } from '@socp/protocol';
import { readJsonOr, writePrivateFile } from './private-files';

export class AccountFiles {
  private pinsSaving: Promise<void> = Promise.resolve();
  private shownSaving: Promise<void> = Promise.resolve();
  /** Digests the core changed since the last write. */
  private shownPending: readonly string[] | undefined;

  constructor(private readonly home: string, private readonly account: string) {}

  private file(dir: 'contacts' | 'queued-shown'): string {
    return join(this.home, dir, `${this.account}.json`);
  }

  loadPins(): unknown {
    return readJsonOr(this.file('contacts'), {});
  }

  loadShown(): unknown {
    return readJsonOr(this.file('queued-shown'), []);
  }

  /** In the background; a refused write is retried with the next change (the pins stay in memory). */
  savePins(pins: ContactPinRecords): void {
    const text = `${JSON.stringify(pins, null, 2)}\n`;
    this.pinsSaving = this.pinsSaving.then(() => writePrivateFile(this.file('contacts'), text)).catch(() => undefined);
  }

  noteShown(keys: readonly string[]): void {
    this.shownPending = keys;
  }

  /** Write the digests noted since the last write; rejects if the disk refuses (the ACK then waits for next time). */
  saveShown(): Promise<void> {
    const keys = this.shownPending;
    if (keys === undefined) return this.shownSaving;
    this.shownPending = undefined;
    const data = JSON.stringify(keys);
    this.shownSaving = this.shownSaving.catch(() => undefined).then(() => writePrivateFile(this.file('queued-shown'), data));
    return this.shownSaving;
  }

  /** Every write started so far has ended (tests, and a session that ends). */
  async settled(): Promise<void> {
    await Promise.all([this.pinsSaving, this.shownSaving.catch(() => undefined)]);
  }
}

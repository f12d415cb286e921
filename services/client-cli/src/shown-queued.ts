/**
 * Queued DMs this account has already handled, kept across runs in
 * $SOCP_HOME/queued-shown/<name>.json (0600): a DM the server hands over again because our ACK
 * never reached it (the process or the link died in between) is acknowledged silently, not
 * shown a second time. Entries are SHA-256 digests of `sender|ts|content_sig` (no content), the
 * newest MAX_SHOWN_QUEUED kept. The file is saved before each queue ACK is sent, so whatever the
 * server drops after that ACK is on disk first.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonOr, writePrivateFile } from './private-files';

/** Twice the server's per-user queue bound (MAX_QUEUED_PER_USER = 500). */
export const MAX_SHOWN_QUEUED = 1_000;

/** What Inbound needs (sans I/O); ShownQueued is the file-backed one. */
export interface ShownSet {
  has(key: string): boolean;
  add(key: string): void;
}

export const shownKey = (sender: string, ts: number, contentSig: string): string =>
  createHash('sha256').update(`${sender}|${ts}|${contentSig}`).digest('hex');

const HEX64 = /^[0-9a-f]{64}$/;

export class ShownQueued implements ShownSet {
  private readonly keys: Set<string>;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly home: string, private readonly account: string) {
    const v = readJsonOr(this.file, []);
    this.keys = new Set(Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string' && HEX64.test(k)).slice(-MAX_SHOWN_QUEUED) : []);
  }

  private get file(): string {
    return join(this.home, 'queued-shown', `${this.account}.json`);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > MAX_SHOWN_QUEUED) this.keys.delete(this.keys.values().next().value!);
    this.dirty = true;
  }

  /** Write what was added since the last save (one write at a time; rejects if the disk refuses). */
  save(): Promise<void> {
    if (!this.dirty) return this.saving;
    this.dirty = false;
    const data = JSON.stringify([...this.keys]);
    this.saving = this.saving.catch(() => undefined).then(() => writePrivateFile(this.file, data));
    return this.saving;
  }
}

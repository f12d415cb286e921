/**
 * A test user driven by the user core (@socp/protocol), as the CLI is, without its shell: every
 * frame from our server that verifies under the pinned key goes to `handleIncoming` (file chunks
 * decrypted at once, on this thread), its `send` effects are sealed and sent, its events kept.
 * Files go out as the CLI sends them: chunks as the recipient's dialect takes them (one OAEP
 * block, or up to 16 to a user whose advertisement lists `file-blocks`), paced by its acks
 * (docs/protocol.md "Multi-block file chunks"). Its RawUser (`raw`) keeps every frame for checks.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  SendWindow, createUserState, decodeFrame, fileBlocksOf, fileChunkBytes, fileChunkDraft, fileEndDraft, fileStartDraft, handleIncoming, recipientOf,
  sealDraft, verifyFrame, type UserEvent, type UserState,
} from '@socp/protocol';
import { RawUser, type RawUserOptions } from './raw-user';

export class CoreUser {
  readonly events: UserEvent[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly raw: RawUser, readonly state: UserState) {
    raw.sock.ws.on('message', (data: Buffer) => this.receive(data.toString('utf8')));
  }

  static async connect(url: string, opts: RawUserOptions & { name: string }): Promise<CoreUser> {
    const raw = await RawUser.connect(url, opts);
    const u = new CoreUser(raw, createUserState({ userId: raw.id, name: opts.name, key: raw.key }));
    for (const r of raw.sock.received) u.receive(r.raw); // what came with the hello's answer (the presence snapshot)
    return u;
  }

  get id(): string {
    return this.raw.id;
  }

  private receive(text: string): void {
    const d = decodeFrame(text);
    if (!d.ok || !this.raw.serverPub) return;
    const v = verifyFrame(d.value, this.raw.serverPub);
    if (!v.ok) return;
    const step = handleIncoming(this.state, v.value, { now: Date.now() });
    this.events.push(...step.events);
    for (const e of step.effects) if (e.kind === 'send') for (const draft of e.drafts) this.raw.send(sealDraft(draft, this.raw.key));
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `cond()` holds (checked after every frame), rejects after `timeoutMs`. */
  waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last events: ${this.events.slice(-6).map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The first event matching `pred`, within `timeoutMs`. */
  async waitEvent(pred: (e: UserEvent) => boolean, timeoutMs: number, what = 'an event'): Promise<UserEvent> {
    await this.waitUntil(() => this.events.some(pred), timeoutMs, what);
    return this.events.find(pred)!;
  }

  /** Wait until `userId` is in the core's roster. */
  async waitForUser(userId: string, timeoutMs = 10_000): Promise<void> {
    if (this.state.roster.get(userId)) return;
    await this.waitUntil(() => this.state.roster.get(userId) !== undefined, timeoutMs, `${userId} in the roster`);
  }

  /**
   * Send `bytes` to `to` as the CLI does: FILE_START, chunks of what the recipient takes (at most
   * FILE_WINDOW_CHUNKS beyond its last ack when multi-block), FILE_END. Returns the file id.
   */
  async sendFile(to: string, name: string, bytes: Buffer, ackTimeoutMs = 30_000): Promise<string> {
    const entry = this.state.roster.get(to);
    if (!entry) throw new Error(`${to} is not in ${this.id}'s roster`);
    const r = recipientOf(this.state, entry);
    const me = { userId: this.id, key: this.raw.key };
    const fileId = randomUUID();
    const window = fileBlocksOf(r) > 1 ? new SendWindow() : undefined;
    const size = fileChunkBytes(r);
    this.raw.send(sealDraft(fileStartDraft(me, r, { file_id: fileId, name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mode: 'dm' }, Date.now()), this.raw.key));
    for (let index = 0; index * size < bytes.length; index++) {
      if (window) {
        const admitted = (): boolean => {
          for (const e of this.events) if (e.event === 'file-ack' && e.fileId === fileId && e.from === to) window.ack(e.next);
          return window.admits(index);
        };
        await this.waitUntil(admitted, ackTimeoutMs, `an ack admitting chunk ${index}`);
      }
      this.raw.send(sealDraft(fileChunkDraft(me, r, fileId, index, bytes.subarray(index * size, (index + 1) * size), Date.now()), this.raw.key));
    }
    this.raw.send(sealDraft(fileEndDraft(me, r, fileId, Date.now()), this.raw.key));
    return fileId;
  }

  /** The bytes of a file the core received whole (its `file-data` events), once `file-received` came. */
  async waitFile(fileId: string, timeoutMs: number): Promise<Buffer> {
    const end = await this.waitEvent((e) => (e.event === 'file-received' || e.event === 'file-failed') && e.transfer.fileId === fileId, timeoutMs, `the end of file ${fileId}`);
    if (end.event === 'file-failed') throw new Error(`file ${fileId} failed: ${end.reason} (${end.detail})`);
    return Buffer.concat(this.events.flatMap((e) => (e.event === 'file-data' && e.transfer.fileId === fileId ? e.append : [])));
  }

  close(): void {
    this.raw.close();
  }
}

/**
 * The interactive session (shell): wires the connection, the inbound core, the downloads
 * folder and the user interface, and runs typed commands one at a time, in order.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Dialects, directDrafts, publicDrafts, receiptDraft, sealDraftAsync, sealDraftsAsync, type Recipient, MAX_MESSAGE_BYTES, PendingReceipts, Roster, SocpError, labelOf, receiptRef, type ContentSigSetting, type Frame, type RosterEntry, type RsaPublicKey, type Verified } from '@socp/protocol';
import { parseCommand, HELP_TEXT, type Command } from './commands';
import type { Connection } from './connection';
import { Reconnector } from './reconnect';
import { Downloads } from './downloads';
import type { ClientEvent } from './events';
import { sendFile } from './file-sender';
import { Inbound, refOf, type Me } from './inbound';
import { QueueAcks, queueAckFrame } from './queue-acks';
import { ContactPins } from './contact-pins';
import { ShownQueued } from './shown-queued';
import { SWEEP_INTERVAL_MS } from './limits';
import type { Ui } from './ui';

const SEND_CTX = { clock: Date.now, random: randomBytes };

export class Session {
  readonly inbound: Inbound;
  private readonly downloads: Downloads;
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new PendingReceipts();
  private done: ((code: number) => void) | undefined;
  private ended = false;
  private readonly sending = new Set<Promise<void>>();
  /** Handled queued DMs, acknowledged to the server in batches (queue-acks.ts). */
  private readonly queueAcks: QueueAcks;

  /** Queued DMs handled in any run ($SOCP_HOME/queued-shown/<name>.json); absent when no home is given (tests). */
  private readonly shownQueued: ShownQueued | undefined;
  /** Contact key pins ($SOCP_HOME/contacts/<name>.json); absent when no home is given (tests). */
  private readonly pins: ContactPins | undefined;
  /** Dials again after the link was lost, maybe another server (absent: the session ends with it). */
  private readonly reconnector: Reconnector<Connection> | undefined;

  private readonly deadAfterMs: number | undefined;
  private readonly sendDir: string;

  /**
   * `opts.redial` opens a new connection with the same identity, to the same server or another (redial.ts);
   * `opts.deadAfterMs`: a server socket silent this long is closed (connection.ts);
   * `opts.contentSig`: the content_sig variant we send (dialect.ts; default per recipient);
   * `opts.sendDir`: what a relative /file path is relative to (default the current directory).
   */
  constructor(
    private conn: Connection, private readonly me: Me, private readonly ui: Ui, downloadsDir: string,
    opts: { home?: string; redial?: (attempt: number) => Promise<Connection>; deadAfterMs?: number; contentSig?: ContentSigSetting; sendDir?: string } = {},
  ) {
    const { home, redial } = opts;
    this.deadAfterMs = opts.deadAfterMs;
    this.sendDir = opts.sendDir ?? '.';
    this.shownQueued = home === undefined ? undefined : new ShownQueued(home, me.name);
    this.pins = home === undefined ? undefined : new ContactPins(home, me.name);
    this.inbound = new Inbound(me, new Roster(), { shownBefore: this.shownQueued, pins: this.pins, dialects: new Dialects(opts.contentSig) });
    this.downloads = new Downloads(downloadsDir);
    this.queueAcks = new QueueAcks(
      async (refs) => {
        await this.shownQueued?.save(); // on disk before the server may drop them
        this.conn.send(await queueAckFrame(me, this.conn.handshake.serverId, refs, Date.now()));
      },
      (e) => {
        if (!this.ended) this.ui.show({ event: 'warning', code: 'TIMEOUT', detail: `could not acknowledge queued messages (they come again next log-in): ${e instanceof Error ? e.message : String(e)}` });
      },
    );
    this.reconnector = redial && new Reconnector(redial, (c) => void c.close(), {
      reconnecting: (attempt, delayMs, reason) => this.ui.show({ event: 'reconnecting', attempt, delayMs, reason }),
      connected: (c, attempt) => this.relink(c, attempt),
      gaveUp: (reason) => this.finish(1, `gave up reconnecting: ${reason}`),
    });
  }

  get roster(): Roster {
    return this.inbound.roster;
  }

  /** Runs until /quit, end of input, or the server closing; resolves with the exit code. */
  run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.done = resolve));
    const { serverId, serverKey, pinned } = this.conn.handshake;
    this.ui.show({ event: 'ready', userId: this.me.userId, name: this.me.name, serverId, serverFingerprint: serverKey.fingerprint(), pinned });
    // The server's presence snapshot leaves us out; /list and /whois show us too.
    this.upsertSelf();
    this.startLink(this.conn);
    const sweep = setInterval(() => this.process(this.inbound.sweep(Date.now())), SWEEP_INTERVAL_MS);
    this.ui.readCommands(
      (line) => this.enqueue(line),
      () => void this.enqueue('/quit'),
      () => this.roster.handles(),
    );
    return finished.finally(() => clearInterval(sweep));
  }

  private upsertSelf(): void {
    this.roster.upsert({ user_id: this.me.userId, server_id: this.conn.handshake.serverId, meta: { display_name: this.me.name }, pubkey: this.me.key.publicKey.b64url });
  }

  /** Deliver this connection's frames (its held early ones, i.e. the presence snapshot, at once). */
  private startLink(conn: Connection): void {
    conn.start({
      frame: (f) => conn === this.conn && this.onFrame(f),
      warning: (code, detail) => conn === this.conn && this.ui.show({ event: 'warning', code, detail }),
      closed: (reason) => conn === this.conn && this.lost(reason),
    }, this.deadAfterMs);
  }

  /** The socket closed: the end after /quit, else reconnect (or end, without a redial). */
  private lost(reason: string): void {
    if (reason === 'bye' || !this.reconnector) return this.finish(reason === 'bye' ? 0 : 1, reason);
    if (this.ended) return;
    // Refs of the dead connection mean nothing to the next one (queue-acks.ts).
    this.queueAcks.reset();
    this.inbound.takeQueueAcks();
    this.failIncoming();
    this.reconnector.start(reason);
  }

  /** A new connection: the roster becomes what its snapshot advertises (plus us). */
  private relink(conn: Connection, attempt: number): void {
    if (this.ended) return void conn.close();
    this.conn = conn;
    const { serverId, serverKey } = conn.handshake;
    this.ui.show({ event: 'reconnected', attempt, serverId, serverFingerprint: serverKey.fingerprint(), url: conn.url });
    this.roster.beginResync();
    this.upsertSelf();
    this.startLink(conn);
    for (const e of this.roster.endResync()) this.ui.show({ event: 'presence', action: 'offline', user: refOf(e) });
  }

  /** Incoming transfers cut by the lost link, reported failed and their data discarded. */
  private failIncoming(): void {
    for (const e of this.inbound.disconnected()) {
      if (e.event === 'file-failed') this.downloads.discard(e.transfer);
      this.ui.show(e);
    }
  }

  /** Commands that need the server say so while it is away (and do nothing). */
  private offline(): boolean {
    if (this.conn.open) return false;
    const n = this.reconnector?.secondsLeft() ?? 0;
    this.ui.show({ event: 'warning', code: 'NOT_CONNECTED', detail: this.reconnector?.active ? `not connected; reconnecting ${n > 0 ? `in ${n} s` : 'now'}` : 'not connected' });
    return true;
  }

  private onFrame(f: Verified<Frame>): void {
    this.process(this.inbound.handle(f, Date.now()));
    // After it was shown (or refused): a queued DM acknowledged before that could be lost.
    this.queueAcks.add(this.inbound.takeQueueAcks());
  }

  /** Apply the disk side of file events, then show them. */
  private process(events: ClientEvent[]): void {
    for (const e of events) {
      switch (e.event) {
        case 'file-offered':
          if (!this.downloads.begin(e.transfer)) {
            this.inbound.files.end(e.transfer.sender, e.transfer.fileId);
            this.ui.show({ event: 'file-failed', transfer: e.transfer, reason: 'disk', detail: `cannot write to ${this.downloads.dir}` });
            continue;
          }
          break;
        case 'file-data':
          if (!this.downloads.append(e.transfer, e.append)) {
            this.inbound.files.end(e.transfer.sender, e.transfer.fileId);
            this.ui.show({ event: 'file-failed', transfer: e.transfer, reason: 'disk', detail: `cannot write to ${this.downloads.dir}` });
            continue;
          }
          break;
        case 'file-received': {
          const path = this.downloads.commit(e.transfer);
          if (!path) {
            this.ui.show({ event: 'file-failed', transfer: e.transfer, reason: 'disk', detail: `cannot store in ${this.downloads.dir}` });
            continue;
          }
          this.ui.show({ ...e, path });
          continue;
        }
        case 'file-failed':
          this.downloads.discard(e.transfer);
          break;
        case 'presence': {
          const entry = e.action === 'online' && e.user.userId !== this.me.userId ? this.roster.get(e.user.userId) : undefined;
          const r = entry && this.pins?.check(entry.userId, entry.key, entry.name);
          this.ui.show(e);
          if (r?.kind === 'changed') {
            const who = labelOf(entry!);
            this.ui.show({
              event: 'warning', code: 'KEY_CHANGED',
              detail: `!!! THE KEY OF ${who} (${entry!.userId}) HAS CHANGED !!! pinned ${r.was.slice(0, 32)}…, now ${r.now.slice(0, 32)}… — messages to ${who} are HELD; compare /whois ${who} out of band, then /trust ${who}`,
            });
          }
          continue;
        }
        case 'receipt-due':
          void this.enqueueTask(async () => this.conn.send(await sealDraftAsync(receiptDraft(this.me, this.recipient({ userId: e.to, key: e.key }), e.ref, Date.now()), this.me.key)));
          continue;
        case 'receipt': {
          const done = this.pending.settle(e.from, e.ref);
          if (done) this.ui.show({ event: 'delivery', status: 'delivered', to: labelOf(this.roster.known(done.to) ?? { userId: done.to, name: undefined }), ts: done.ts });
          continue;
        }
        default:
          break;
      }
      this.ui.show(e);
    }
  }

  /** Run after what is queued (receipts go out in order with the user's own sends). */
  private enqueueTask(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task).catch((e: unknown) => this.ui.show({ event: 'warning', code: 'TIMEOUT', detail: `could not send a receipt: ${e instanceof Error ? e.message : String(e)}` }));
    this.queue = next;
    return next;
  }

  private enqueue(line: string): Promise<void> {
    // While reconnecting, /quit does not wait behind anything: there is nothing to flush or close.
    if (this.reconnector?.active && parseCommand(line).kind === 'quit') return Promise.resolve(this.finish(0, 'bye'));
    const next = this.queue.then(() => this.execute(parseCommand(line))).catch((e: unknown) => {
      const code = e instanceof SocpError ? (e.wire ?? e.code) : 'ERROR';
      this.ui.show({ event: 'warning', code, detail: e instanceof Error ? e.message : String(e) });
    });
    this.queue = next;
    return next;
  }

  private resolveUser(query: string): RosterEntry | undefined {
    const r = this.roster.resolve(query);
    if (r.kind === 'found') return r.entry;
    if (r.kind === 'not-found') {
      this.ui.show({ event: 'warning', code: 'USER_NOT_FOUND', detail: `no online user "${query}" (see /list)` });
      return undefined;
    }
    const options = r.candidates.map((c) => `${labelOf(c)}@${c.serverId.slice(0, 8)} (${c.userId})`).join(', ');
    this.ui.show({ event: 'warning', code: 'AMBIGUOUS', detail: `"${query}" matches several users: ${options} — use name@serverprefix or the id` });
    return undefined;
  }

  /** An online user, else one seen this session who is offline now (by exact name or id). */
  private resolveKnown(query: string): RosterEntry | undefined {
    return (this.roster.resolve(query).kind === 'not-found' ? this.roster.resolveOffline(query) : undefined) ?? this.resolveUser(query);
  }

  /** A user as we send to them: their key and the dialect they showed (dialect.ts). */
  private recipient(e: { userId: string; key: RsaPublicKey }): Recipient {
    return { userId: e.userId, key: e.key, dialect: this.inbound.dialects.for(e.userId) };
  }

  /** One DM (all its parts), remembered for its receipts. */
  private async tell(e: RosterEntry, text: string): Promise<void> {
    const frames = await sealDraftsAsync(directDrafts(this.me, this.recipient(e), text, SEND_CTX, true), this.me.key);
    this.pending.add(e.userId, frames[0]?.ts ?? Date.now(), frames.map((f) => receiptRef(f.ts, (f.payload as { content_sig: string }).content_sig)));
    await this.sendAll(frames);
    this.ui.show({ event: 'sent', kind: 'dm', to: [labelOf(e)], parts: frames.length, text });
  }

  private async sendAll(frames: Frame[]): Promise<void> {
    for (const f of frames) await this.conn.send(f);
  }

  private checkLength(text: string): boolean {
    const n = Buffer.byteLength(text, 'utf8');
    if (n <= MAX_MESSAGE_BYTES) return true;
    this.ui.show({ event: 'warning', code: 'TOO_LONG', detail: `message is ${n} bytes; the limit is ${MAX_MESSAGE_BYTES}` });
    return false;
  }

  private async execute(c: Command): Promise<void> {
    if (this.ended) return;
    switch (c.kind) {
      case 'empty':
        return;
      case 'invalid':
        return this.ui.show({ event: 'warning', code: 'USAGE', detail: c.message });
      case 'help':
        return this.ui.show({ event: 'info', text: HELP_TEXT });
      case 'list':
        return this.ui.show({ event: 'list', users: this.roster.list().map((e) => ({ ...refOf(e), self: e.userId === this.me.userId })) });
      case 'whois': {
        const e = this.resolveKnown(c.user);
        if (e) this.ui.show({ event: 'whois', user: refOf(e), fingerprint: e.key.fingerprint(), self: e.userId === this.me.userId });
        if (e && this.pins?.isHeld(e.userId)) this.ui.show({ event: 'warning', code: 'KEY_CHANGED', detail: `pinned fingerprint was ${this.pins.pinnedFingerprint(e.userId)}; /trust ${labelOf(e)} only after comparing out of band` });
        return;
      }
      case 'tell': {
        // An offline contact seen this session: the DM may queue at their home server.
        const e = this.resolveKnown(c.user);
        if (!e || !this.checkLength(c.text) || this.offline()) return;
        if (this.pins?.isHeld(e.userId)) {
          const kept = this.pins.hold(e.userId, c.text);
          return this.ui.show({ event: 'warning', code: 'HELD', detail: kept ? `message to ${labelOf(e)} held: their key changed; /whois ${labelOf(e)} then /trust ${labelOf(e)}` : `too many held messages for ${labelOf(e)}; not kept` });
        }
        return this.tell(e, c.text);
      }
      case 'trust': {
        const e = this.resolveUser(c.user);
        if (!e || (this.pins?.isHeld(e.userId) && this.offline())) return;
        const held = this.pins?.trust(e.userId);
        if (held === undefined) return this.ui.show({ event: 'info', text: `${labelOf(e)}'s key is not in question (fingerprint ${e.key.fingerprint()})` });
        this.ui.show({ event: 'info', text: `trusted the new key of ${labelOf(e)} (fingerprint ${e.key.fingerprint()}); sending ${held.length} held message(s)` });
        for (const text of held) await this.tell(e, text);
        return;
      }
      case 'all': {
        if (!this.checkLength(c.text) || this.offline()) return;
        const recipients = this.roster.list().filter((e) => e.userId !== this.me.userId);
        const frames = await sealDraftsAsync(publicDrafts(this.me, recipients.map((r) => this.recipient(r)), c.text, SEND_CTX), this.me.key);
        await this.sendAll(frames);
        return this.ui.show({ event: 'sent', kind: 'public', to: recipients.map(labelOf), parts: recipients.length ? frames.length / recipients.length : 0, text: c.text });
      }
      case 'file': {
        const e = this.resolveUser(c.user);
        if (!e || this.offline()) return;
        // Transfers run beside the command queue, so chatting goes on while a file is sent.
        const to = labelOf(e);
        // Bound to this connection: a transfer cut by a lost link fails, it is not resumed on the next.
        const conn = this.conn;
        const send = (f: Frame): Promise<void> => {
          if (conn !== this.conn || !conn.open) throw new SocpError('TIMEOUT', 'the connection to the server was lost; the transfer is not resumed (send the file again)');
          return conn.send(f);
        };
        let started: string | undefined; // the file id, once progress was shown
        const t = sendFile(this.me, this.recipient(e), resolve(this.sendDir, c.path), send, (n, size, fileId) => this.ui.show({ event: 'file-send-progress', fileId: (started = fileId), to, sent: n, size }))
          .then((sent) => this.ui.show({ event: 'file-sent', fileId: sent.fileId, to, name: sent.name, size: sent.size, sha256: sent.sha256 }))
          .catch((err: unknown) => {
            this.ui.show({ event: 'warning', code: err instanceof SocpError ? (err.wire ?? err.code) : 'ERROR', detail: `file not sent: ${err instanceof Error ? err.message : String(err)}` });
            if (started !== undefined) this.ui.show({ event: 'file-send-aborted', fileId: started });
          })
          .finally(() => this.sending.delete(t));
        this.sending.add(t);
        return;
      }
      case 'quit':
        if (this.sending.size > 0) {
          this.ui.show({ event: 'info', text: `waiting for ${this.sending.size} outgoing file(s) to finish…` });
          await Promise.allSettled([...this.sending]);
        }
        await this.queueAcks.flush();
        await this.conn.close();
        return this.finish(0, 'bye');
    }
  }

  private finish(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.reconnector?.stop();
    this.queueAcks.stop();
    this.failIncoming();
    this.ui.show({ event: 'closed', reason });
    this.ui.close();
    this.done?.(code);
  }
}

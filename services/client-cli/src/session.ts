/**
 * The interactive session (shell, S1). Each verified frame from the connection goes to the user
 * core (@socp/protocol beginIncoming), one at a time and in order; a file chunk's OAEP blocks are
 * decrypted on the threadpool meanwhile (several cores for a multi-block chunk; finishChunk), and
 * the frames behind it wait (bounded: MAX_INBOUND_BACKLOG_FRAMES, then the socket is paused).
 * What comes back is carried out: events to the user interface (file events through the
 * downloads folder first, downloads.ts; a `file-ack` to the transfer it paces), effects through
 * the effect runner. Typed commands run one at a time, in order (command-handlers.ts). The
 * session also keeps the link: it reconnects (maybe to another server) and resyncs the roster.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  SocpError, attachSelf, beginIncoming, beginResync, createUserState, endResync, expectReceipts, finishChunk, isWarning, labelOf, linkLost,
  queueAckDraft, recipientOf, sealDraftAsync, sealDraftsAsync, sweepStale, tellDrafts,
  type ContentSigSetting, type Draft, type Frame, type OutboundCtx, type RosterEntry, type UserEffect, type UserEvent,
  type UserIdentity, type UserState, type Verified, type Warning,
} from '@socp/protocol';
import { AccountFiles } from './account-files';
import { runCommand, type CommandContext } from './command-handlers';
import { parseCommand, type Command } from './commands';
import type { Connection } from './connection';
import { Downloads, storeFileEvent } from './downloads';
import { runEffects } from './effect-runner';
import type { ClientEvent } from './events';
import { OutgoingFiles } from './file-sender';
import { MAX_INBOUND_BACKLOG_FRAMES, SWEEP_INTERVAL_MS } from './limits';
import { QueueAcks } from './queue-acks';
import { Reconnector } from './reconnect';
import type { Ui } from './ui';

export interface SessionOptions {
  /** $SOCP_HOME: contact pins and handled queued DMs are kept there (account-files.ts); absent: nothing is kept. */
  home?: string;
  /** Opens a new connection with the same identity, to the same server or another (redial.ts); absent: the session ends with its link. */
  redial?: (attempt: number) => Promise<Connection>;
  /** A server socket silent this long is closed (connection.ts). */
  deadAfterMs?: number;
  /** The content_sig variant we send (default per recipient). */
  contentSig?: ContentSigSetting;
  /** What a relative /file path is relative to (default the current directory). */
  sendDir?: string;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class Session implements CommandContext {
  readonly state: UserState;
  readonly sendCtx: OutboundCtx = { clock: Date.now, random: (n) => randomBytes(n) };
  private readonly downloads: Downloads;
  private readonly files: AccountFiles | undefined;
  /** Handled queued DMs, acknowledged to the server in batches. */
  private readonly acks: QueueAcks;
  private readonly outgoing: OutgoingFiles;
  private readonly reconnector: Reconnector<Connection> | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Frames from the server, handled one at a time in order (a file chunk's decrypting is awaited). */
  private inbound: Promise<void> = Promise.resolve();
  private backlog = 0;
  private done: ((code: number) => void) | undefined;
  private ended = false;

  constructor(private conn: Connection, me: UserIdentity, private readonly ui: Ui, downloadsDir: string, private readonly opts: SessionOptions = {}) {
    this.files = opts.home === undefined ? undefined : new AccountFiles(opts.home, me.name);
    this.state = createUserState(me, { contentSig: opts.contentSig, pins: this.files?.loadPins(), shown: this.files?.loadShown() });
    this.downloads = new Downloads(downloadsDir);
    this.outgoing = new OutgoingFiles((e) => this.show(e));
    this.acks = new QueueAcks(
      async (refs) => {
        await this.files?.saveShown(); // on disk before the server may drop them
        await this.conn.send(await sealDraftAsync(queueAckDraft(me, this.conn.handshake.serverId, refs, Date.now()), me.key));
      },
      (e) => this.ended || this.show({ event: 'warning', code: 'TIMEOUT', detail: `could not acknowledge queued messages (they come again next log-in): ${message(e)}` }),
    );
    this.reconnector = opts.redial && new Reconnector(opts.redial, (c) => void c.close(), {
      reconnecting: (attempt, delayMs, reason) => this.show({ event: 'reconnecting', attempt, delayMs, reason }),
      connected: (c, attempt) => this.relink(c, attempt),
      gaveUp: (reason) => this.finish(1, `gave up reconnecting: ${reason}`),
    });
  }

  /** Runs until /quit, end of input, or the server closing; resolves with the exit code. */
  run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.done = resolve));
    const { serverId, serverKey, pinned } = this.conn.handshake;
    this.show({ event: 'ready', userId: this.state.me.userId, name: this.state.me.name, serverId, serverFingerprint: serverKey.fingerprint(), pinned });
    attachSelf(this.state, serverId);
    this.startLink(this.conn);
    const sweep = setInterval(() => this.apply({ events: sweepStale(this.state, Date.now()), effects: [] }), SWEEP_INTERVAL_MS);
    this.ui.readCommands((line) => this.enqueue(line), () => void this.enqueue('/quit'), () => this.state.roster.handles());
    return finished.finally(() => clearInterval(sweep));
  }

  show(e: ClientEvent): void {
    this.ui.show(e);
  }

  /** The core's events (file events through the downloads folder first; acks to the transfers they pace), then its effects. */
  private apply(step: { events: UserEvent[]; effects: UserEffect[] }): void {
    for (const e of step.events) {
      if (e.event === 'file-ack') this.outgoing.ack(e.from, e.fileId, e.next);
      this.show(storeFileEvent(e, this.downloads, this.state));
    }
    this.runEffects(step.effects);
  }

  runEffects(effects: UserEffect[]): void {
    runEffects(effects, { sendDrafts: (d) => void this.enqueueTask(() => this.sendDrafts(d), 'could not send a receipt or a file ack'), acks: this.acks, files: this.files });
  }

  /** Deliver this connection's frames (its held early ones, i.e. the presence snapshot, at once); its end comes after them. */
  private startLink(conn: Connection): void {
    conn.start({
      frame: (f: Verified<Frame>) => conn === this.conn && this.inOrder(conn, () => this.receive(f)),
      warning: (code, detail) => conn === this.conn && this.show({ event: 'warning', code, detail }),
      closed: (reason) => conn === this.conn && this.inOrder(conn, () => this.lost(reason)),
    }, this.opts.deadAfterMs);
  }

  /** Run `task` after everything received before it; past the backlog bound the socket stops being read until half of it is done. */
  private inOrder(conn: Connection, task: () => void | Promise<void>): void {
    if (++this.backlog === MAX_INBOUND_BACKLOG_FRAMES) conn.pause();
    this.inbound = this.inbound
      .then(() => (conn === this.conn && !this.ended ? task() : undefined))
      .catch((e: unknown) => this.show({ event: 'warning', code: 'SOCP_ERR_INTERNAL', detail: `could not handle a frame: ${message(e)}` }))
      .finally(() => {
        if (--this.backlog === MAX_INBOUND_BACKLOG_FRAMES >> 1 && conn === this.conn) conn.resume();
      });
  }

  /** One frame through the user core; a file chunk's blocks are decrypted on the threadpool, all at once. */
  private async receive(f: Verified<Frame>): Promise<void> {
    const r = beginIncoming(this.state, f, { now: Date.now() });
    if (r.kind === 'step') return this.apply(r.step);
    const key = this.state.me.key;
    const plain = await Promise.all(r.chunk.blocks.map((b) => key.decryptAsync(b))).catch(() => undefined);
    this.apply(finishChunk(this.state, r.chunk, plain, { now: Date.now() }));
  }

  /** The socket closed: the end after /quit, else reconnect (or end, without a redial). */
  private lost(reason: string): void {
    if (reason === 'bye' || !this.reconnector) return this.finish(reason === 'bye' ? 0 : 1, reason);
    if (this.ended) return;
    this.acks.reset(); // refs of the dead connection mean nothing to the next one (queue-acks.ts)
    this.apply({ events: linkLost(this.state), effects: [] });
    this.reconnector.start(reason);
  }

  /** A new connection: the roster becomes what its snapshot advertises (plus us). */
  private relink(conn: Connection, attempt: number): void {
    if (this.ended) return void conn.close();
    this.conn = conn;
    const { serverId, serverKey } = conn.handshake;
    this.show({ event: 'reconnected', attempt, serverId, serverFingerprint: serverKey.fingerprint(), url: conn.url });
    beginResync(this.state, serverId);
    this.startLink(conn);
    this.apply({ events: endResync(this.state), effects: [] });
  }

  offline(): boolean {
    if (this.conn.open) return false;
    const n = this.reconnector?.secondsLeft() ?? 0;
    this.show({ event: 'warning', code: 'NOT_CONNECTED', detail: this.reconnector?.active ? `not connected; reconnecting ${n > 0 ? `in ${n} s` : 'now'}` : 'not connected' });
    return true;
  }

  pick(r: RosterEntry | Warning): RosterEntry | undefined {
    if (!isWarning(r)) return r;
    this.show(r);
    return undefined;
  }

  refused(w: Warning | undefined): boolean {
    if (w) this.show(w);
    return w !== undefined;
  }

  /** Run after what is queued (receipts go out in order with the user's own sends). */
  private enqueueTask(task: () => Promise<void>, failure: string): Promise<void> {
    const next = this.queue.then(task).catch((e: unknown) => this.show({ event: 'warning', code: 'TIMEOUT', detail: `${failure}: ${message(e)}` }));
    this.queue = next;
    return next;
  }

  private enqueue(line: string): Promise<void> {
    const c = parseCommand(line);
    // While reconnecting, /quit does not wait behind anything: there is nothing to flush or close.
    if (this.reconnector?.active && c.kind === 'quit') return Promise.resolve(this.finish(0, 'bye'));
    const next = this.queue.then(() => this.execute(c)).catch((e: unknown) => {
      this.show({ event: 'warning', code: e instanceof SocpError ? (e.wire ?? e.code) : 'ERROR', detail: message(e) });
    });
    this.queue = next;
    return next;
  }

  private async execute(c: Command): Promise<void> {
    if (this.ended) return;
    await runCommand(this, c);
  }

  async tell(e: RosterEntry, text: string): Promise<void> {
    const frames = await sealDraftsAsync(tellDrafts(this.state, e, text, this.sendCtx), this.state.me.key);
    expectReceipts(this.state, e.userId, frames);
    for (const f of frames) await this.conn.send(f);
    this.show({ event: 'sent', kind: 'dm', to: [labelOf(e)], parts: frames.length, text });
  }

  async sendDrafts(drafts: readonly Draft[]): Promise<void> {
    for (const f of await sealDraftsAsync(drafts, this.state.me.key)) await this.conn.send(f);
  }

  sendFile(e: RosterEntry, path: string): void {
    // Bound to this connection: a transfer cut by a lost link fails, it is not resumed on the next.
    const conn = this.conn;
    const send = (f: Frame): Promise<void> => {
      if (conn !== this.conn || !conn.open) throw new SocpError('TIMEOUT', 'the connection to the server was lost; the transfer is not resumed (send the file again)');
      return conn.send(f);
    };
    this.outgoing.start(this.state.me, recipientOf(this.state, e), labelOf(e), resolve(this.opts.sendDir ?? '.', path), send);
  }

  async quit(): Promise<void> {
    if (this.outgoing.size > 0) {
      this.show({ event: 'info', text: `waiting for ${this.outgoing.size} outgoing file(s) to finish…` });
      await this.outgoing.settled();
    }
    await this.acks.flush();
    await this.conn.close();
    this.finish(0, 'bye');
  }

  private finish(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.reconnector?.stop();
    this.acks.stop();
    this.apply({ events: linkLost(this.state), effects: [] }); // incoming transfers cut short: reported, their data discarded
    this.show({ event: 'closed', reason });
    this.ui.close();
    this.done?.(code);
  }
}

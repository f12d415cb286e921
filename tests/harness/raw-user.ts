/**
 * A raw SOCP user for tests, built on ws + @socp/protocol only (no client-cli code):
 * USER_HELLO with meta, pins the server key from the hello ACK, keeps a roster from
 * USER_ADVERTISE / USER_REMOVE (only frames that verify under the pinned server key), sends
 * DMs, public-channel messages and files with real RSA-4096 OAEP + variant-C content sigs (the
 * user core's builders, @socp/protocol user/outbound.ts, signed at once), receives and checks
 * them, and can send arbitrary raw text for hostile tests.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  advertisedName, advertisedPubkey, b64urlDecode, directDraft, fileChunkDraft, fileEndDraft, fileStartDraft, generateKeyPair, helloDraft,
  importPublicKey, MAX_FILE_CHUNK_BYTES, originalTs, publicDraft, sealDraft, verifyContent, verifyFrame,
  type Draft, type Frame, type FrameOf, type Recipient, type RsaPrivateKey, type RsaPublicKey,
} from '@socp/protocol';
import { FrameSocket } from './frame-socket';

export interface RosterEntry { userId: string; serverId: string; pubkey: string; name: string | undefined }

export interface RawUserOptions {
  /** Reuse a key (keygen is the slow part: share keys across a test file). */
  key?: RsaPrivateKey;
  userId?: string;
  /** Claimed as meta.display_name and meta.username. */
  name?: string;
  timeoutMs?: number;
  /** Say hello as a spec-only client: unsigned, nothing proven (default: signed and envelope-bound). */
  unproven?: boolean;
  /** meta.caps of the hello (docs/protocol.md "User capabilities"; default none, as a spec client). */
  caps?: string[];
}

export interface ReceivedMessage { text: string; frame: FrameOf<'USER_DELIVER'>; sender: string }
export interface ReceivedFile { name: string; bytes: Buffer; sha256: string }

export class RawUser {
  readonly roster = new Map<string, RosterEntry>();
  serverPub: RsaPublicKey | undefined;
  serverId = '';
  private rosterCursor = 0;

  private constructor(readonly sock: FrameSocket, readonly key: RsaPrivateKey, readonly id: string, readonly name: string | undefined) {}

  /** Open a socket and send a signed USER_HELLO; resolves with the user and the server's answer (ACK or ERROR). */
  static async hello(url: string, opts: RawUserOptions = {}): Promise<{ user: RawUser; answer: Frame }> {
    const key = opts.key ?? (await generateKeyPair());
    const id = opts.userId ?? randomUUID();
    const sock = await FrameSocket.connect(url);
    const u = new RawUser(sock, key, id, opts.name);
    // As our CLI does: the envelope bound inside the signed payload proves the key now, here (unless a test plays a spec-only client).
    const hello = helloDraft({ userId: id, key }, '*', Date.now(), { client: 'socp-test-raw', name: opts.name, caps: opts.caps, bind: !opts.unproven });
    sock.send(opts.unproven ? { ...hello.frame, sig: '' } : sealDraft(hello, key));
    const answer = await sock.waitFrame((f) => (f.type === 'ACK' && (f.payload as { msg_ref: string }).msg_ref === 'USER_HELLO') || f.type === 'ERROR', opts.timeoutMs ?? 10_000, 0, 'USER_HELLO answer');
    if (answer.type === 'ACK') {
      const p = answer.payload as { server_id?: unknown; server_pub?: unknown };
      if (typeof p.server_pub !== 'string' || typeof p.server_id !== 'string') throw new Error('hello ACK lacks server_id/server_pub');
      u.serverPub = importPublicKey(p.server_pub);
      u.serverId = p.server_id;
      if (!verifyFrame(answer, u.serverPub).ok) throw new Error('hello ACK is not signed by the server_pub it carries');
    }
    return { user: u, answer };
  }

  /** hello() that must succeed. */
  static async connect(url: string, opts: RawUserOptions = {}): Promise<RawUser> {
    const { user, answer } = await RawUser.hello(url, opts);
    if (answer.type !== 'ACK') {
      user.close();
      throw new Error(`USER_HELLO refused: ${JSON.stringify(answer.payload)}`);
    }
    return user;
  }

  get pubkey(): string {
    return this.key.publicKey.toBase64Url();
  }
  /** Index to pass as `since` so a wait only looks at frames received from now on. */
  mark(): number {
    return this.sock.received.length;
  }

  /** Fold newly received USER_ADVERTISE / USER_REMOVE frames (signed by our server) into the roster. */
  refreshRoster(): Map<string, RosterEntry> {
    for (; this.rosterCursor < this.sock.received.length; this.rosterCursor++) {
      const f = this.sock.received[this.rosterCursor]!.frame;
      if (!f || (f.type !== 'USER_ADVERTISE' && f.type !== 'USER_REMOVE')) continue;
      if (!this.serverPub || !verifyFrame(f, this.serverPub).ok) continue;
      if (f.type === 'USER_ADVERTISE') {
        const pk = advertisedPubkey(f.payload);
        if (pk) this.roster.set(f.payload.user_id, { userId: f.payload.user_id, serverId: f.payload.server_id, pubkey: pk, name: advertisedName(f.payload.meta) });
      } else if (this.roster.get(f.payload.user_id)?.serverId === f.payload.server_id) {
        this.roster.delete(f.payload.user_id);
      }
    }
    return this.roster;
  }

  /** Wait until `userId` is in the roster (advertised to us). */
  async waitForUser(userId: string, timeoutMs = 10_000): Promise<RosterEntry> {
    if (!this.refreshRoster().has(userId)) {
      await this.sock.waitFrame(() => this.refreshRoster().has(userId), timeoutMs, this.sock.received.length, `USER_ADVERTISE of ${userId}`);
    }
    return this.roster.get(userId)!;
  }
  /** Wait until `userId` left the roster (USER_REMOVE). */
  async waitForUserGone(userId: string, timeoutMs = 10_000): Promise<void> {
    if (!this.refreshRoster().has(userId)) return;
    await this.sock.waitFrame(() => !this.refreshRoster().has(userId), timeoutMs, this.sock.received.length, `USER_REMOVE of ${userId}`);
  }

  private recipient(to: string): Recipient {
    const e = this.refreshRoster().get(to);
    if (!e) throw new Error(`${to} is not in ${this.id}'s roster`);
    return { userId: to, key: importPublicKey(e.pubkey) };
  }
  private get me(): { userId: string; key: RsaPrivateKey } {
    return { userId: this.id, key: this.key };
  }

  /** Build (not send) a signed MSG_DIRECT to a rostered user. */
  dmFrame(to: string, text: string, ts = Date.now()): FrameOf<'MSG_DIRECT'> {
    return sealDraft(directDraft(this.me, this.recipient(to), Buffer.from(text, 'utf8'), ts), this.key);
  }
  sendDm(to: string, text: string): FrameOf<'MSG_DIRECT'> {
    const f = this.dmFrame(to, text);
    this.sock.send(f);
    return f;
  }

  /** Our /all form: one MSG_PUBLIC_CHANNEL to one recipient, group_id "public", public-form content sig. */
  sendPublic(to: string, text: string): FrameOf<'MSG_PUBLIC_CHANNEL'> {
    const f = sealDraft(publicDraft(this.me, this.recipient(to), Buffer.from(text, 'utf8'), Date.now()), this.key);
    this.sock.send(f);
    return f;
  }

  /**
   * Wait for a USER_DELIVER from `sender`, decrypt it, and check its content_sig with the
   * sender's rostered key (which must equal `sender_pub`). Throws if any check fails.
   */
  async waitMessage(sender: string, timeoutMs = 10_000, since = 0, group?: 'public'): Promise<ReceivedMessage> {
    const f = await this.sock.waitFrame<FrameOf<'USER_DELIVER'>>(
      (x) => x.type === 'USER_DELIVER' && x.payload.sender === sender && (group === 'public') === (x.payload.group_id === 'public'),
      timeoutMs, since, `USER_DELIVER from ${sender}`,
    );
    if (!this.serverPub || !verifyFrame(f, this.serverPub).ok) throw new Error('USER_DELIVER not signed by our server');
    const known = this.refreshRoster().get(sender);
    if (!known || importPublicKey(f.payload.sender_pub).toBase64Url() !== importPublicKey(known.pubkey).toBase64Url()) throw new Error('sender_pub differs from the rostered key');
    const ts = originalTs(f.payload, f.ts);
    const variant = verifyContent(importPublicKey(known.pubkey), { ciphertext: f.payload.ciphertext, from: sender, to: group === 'public' ? undefined : this.id, ts }, f.payload.content_sig);
    if (!variant) throw new Error('content_sig does not verify');
    const raw = b64urlDecode(f.payload.ciphertext);
    if (!raw) throw new Error('ciphertext is not base64url');
    return { text: this.key.decrypt(raw).toString('utf8'), frame: f, sender };
  }

  /** FILE_START, ≤446-byte OAEP chunks each with sender/sender_pub/variant-C content_sig, FILE_END. Returns file_id. */
  sendFile(to: string, name: string, bytes: Buffer): string {
    const file_id = randomUUID();
    for (const f of this.fileFrames(to, name, bytes, file_id)) this.sock.send(f);
    return file_id;
  }

  /** The signed frames of one file transfer, not sent (fault tests send part of them). */
  fileFrames(to: string, name: string, bytes: Buffer, file_id: string): Frame[] {
    const recipient = this.recipient(to);
    const drafts: Draft[] = [fileStartDraft(this.me, recipient, { file_id, name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mode: 'dm' }, Date.now())];
    for (let index = 0, off = 0; off < bytes.length || (index === 0 && bytes.length === 0); index++, off += MAX_FILE_CHUNK_BYTES) {
      drafts.push(fileChunkDraft(this.me, recipient, file_id, index, bytes.subarray(off, off + MAX_FILE_CHUNK_BYTES), Date.now()));
      if (bytes.length === 0) break;
    }
    drafts.push(fileEndDraft(this.me, recipient, file_id, Date.now()));
    return drafts.map((d) => sealDraft(d, this.key));
  }

  /** Wait for a whole file (through FILE_END), check every chunk's content_sig, size and sha256. */
  async waitFile(fileId: string, sender: string, timeoutMs = 20_000): Promise<ReceivedFile> {
    await this.sock.waitFrame((f) => f.type === 'FILE_END' && (f.payload as { file_id: string }).file_id === fileId, timeoutMs, 0, `FILE_END ${fileId}`);
    const mine = this.sock.frames().filter((f) => (f.type === 'FILE_START' || f.type === 'FILE_CHUNK') && (f.payload as { file_id: string }).file_id === fileId);
    const start = mine.find((f): f is FrameOf<'FILE_START'> => f.type === 'FILE_START');
    if (!start) throw new Error('no FILE_START');
    const senderKey = importPublicKey(this.refreshRoster().get(sender)?.pubkey ?? '');
    const chunks = new Map<number, Buffer>();
    for (const c of mine.filter((f): f is FrameOf<'FILE_CHUNK'> => f.type === 'FILE_CHUNK')) {
      if (c.from !== sender || !c.payload.content_sig) throw new Error('chunk not from the sender or unsigned');
      if (!verifyContent(senderKey, { ciphertext: c.payload.ciphertext, from: sender, to: this.id, ts: c.ts }, c.payload.content_sig)) throw new Error(`chunk ${c.payload.index} content_sig does not verify`);
      chunks.set(c.payload.index, this.key.decrypt(b64urlDecode(c.payload.ciphertext)!));
    }
    const bytes = Buffer.concat([...chunks.keys()].sort((a, b) => a - b).map((i) => chunks.get(i)!));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== start.payload.size || sha256 !== start.payload.sha256.toLowerCase()) throw new Error('file size or sha256 mismatch');
    return { name: start.payload.name, bytes, sha256 };
  }

  send(frame: Frame): void {
    this.sock.send(frame);
  }
  sendRaw(text: string | Buffer): void {
    this.sock.sendRaw(text);
  }
  waitFrame<F extends Frame = Frame>(pred: (f: Frame) => boolean, timeoutMs = 10_000, since = 0): Promise<F> {
    return this.sock.waitFrame<F>(pred, timeoutMs, since);
  }
  waitError(code?: string, timeoutMs = 10_000, since = 0): Promise<Frame> {
    return this.sock.waitError(code, timeoutMs, since);
  }
  close(): void {
    this.sock.close(1000);
  }
}

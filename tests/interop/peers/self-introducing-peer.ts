/**
 * The common body of two stand-ins of other implementations (faithful-peer.ts, loose-peer.ts):
 * a server that is its own introducer on one port ("an introducer is itself a server", SPEC.md
 * §9.1). Our server joins it (SERVER_HELLO_JOIN → SERVER_WELCOME), then dials it at the address
 * it joined and sends SERVER_HELLO_LINK; it answers on that same socket, which it both reads
 * and writes: its SERVER_ANNOUNCE, its users' USER_ADVERTISE, its HEARTBEATs to our id, and
 * SERVER_DELIVERs. Each dialect says what its WELCOME and ANNOUNCE look like, which key
 * encoding it speaks, what it refuses (an ERROR it sends and records in `refused`) and what
 * else it sends on a new link. Every frame it sends is signed with its key.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FILE_CHUNK_BYTES, decodeFrame, encodeFrame, generateKeyPair, importPublicKey, sealFrame, verifyFrame, type RsaPrivateKey, type UserAdvertisePayload } from '@socp/protocol';
import type { Wire } from './g43-wire';
import { PeerUsers, type LocalUser } from './peer-users';

export interface PeerSelf { id: string; host: string; port: number; pubkey: string; users: PeerUsers }
export interface OutFrame { type: string; payload: Record<string, unknown> }

export interface PeerDialect {
  /** How it encodes keys: its own (server_pub / pubkey) and its users'. */
  keyFormat: 'der' | 'pem';
  /** Its SERVER_WELCOME payload for a server joining with `joiner` as proposed id. */
  welcome(self: PeerSelf, joiner: string): Record<string, unknown>;
  /** Its SERVER_ANNOUNCE payload, sent first on every new link. */
  announce(self: PeerSelf): Record<string, unknown>;
  /** Why it refuses a frame we sent (it answers ERROR), or undefined. */
  refuse?(f: Wire, self: PeerSelf): string | undefined;
  /** What else it sends on a new link, after its announce and its users' advertisements. */
  onLink?(self: PeerSelf): OutFrame[];
}

export class SelfIntroducingPeer {
  readonly id = randomUUID();
  readonly users: PeerUsers;
  /** What it refused of ours, and why (each answered with an ERROR). */
  readonly refused: string[] = [];
  /** ERROR frames we sent it. */
  readonly errors: Wire[] = [];
  /** Server keys in the SERVER_HELLO_JOIN / SERVER_HELLO_LINK it received, as sent. */
  readonly helloKeys: string[] = [];
  /** Every frame it sent, in order. */
  readonly sent: OutFrame[] = [];
  /** HEARTBEATs we sent it (join socket and link). */
  heartbeats = 0;
  /** Sockets our servers linked with (HELLO_LINK), by server id: it reads and writes on them. */
  private readonly links = new Map<string, WebSocket>();
  private readonly keys = new Map<string, ReturnType<typeof importPublicKey>>();
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(readonly key: RsaPrivateKey, private readonly wss: WebSocketServer, private readonly dialect: PeerDialect, private readonly heartbeatMs: number) {
    this.users = new PeerUsers(dialect.keyFormat);
    wss.on('connection', (ws) => ws.on('message', (d) => this.onFrame(ws, String(d))));
  }

  static async start(dialect: PeerDialect, heartbeatMs: number): Promise<SelfIntroducingPeer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const [key] = await Promise.all([generateKeyPair(), new Promise((r) => wss.once('listening', r))]);
    return new SelfIntroducingPeer(key, wss, dialect, heartbeatMs);
  }

  get port(): number {
    return (this.wss.address() as { port: number }).port;
  }
  get pubkey(): string {
    return this.dialect.keyFormat === 'pem' ? this.key.publicKey.toPemBase64Url() : this.key.publicKey.toBase64Url();
  }
  get self(): PeerSelf {
    return { id: this.id, host: '127.0.0.1', port: this.port, pubkey: this.pubkey, users: this.users };
  }

  /** A user logs in here: advertised on every link (key top level and in meta, as the profile sends). */
  async login(name: string): Promise<LocalUser> {
    const u = await this.users.add(name);
    for (const sid of this.links.keys()) this.send(sid, 'USER_ADVERTISE', '*', advertisement(u, this.id));
    return u;
  }

  /** A DM in the spec's SERVER_DELIVER form (no inner_type). */
  tell(from: string, to: string, text: string): void {
    const ts = Date.now();
    this.deliver(to, { user_id: to, ...this.users.content(this.users.byName(from), to, text, ts) }, ts);
  }

  /** `/all`: one per-recipient MSG_PUBLIC_CHANNEL (public-form content_sig) to each user it knows. */
  all(from: string, text: string): void {
    for (const r of this.users.roster.values()) {
      const ts = Date.now();
      this.deliver(r.id, { inner_type: 'MSG_PUBLIC_CHANNEL', user_id: r.id, group_id: 'public', ...this.users.content(this.users.byName(from), r.id, text, ts, true) }, ts);
    }
  }

  /** Files: FILE_* inside SERVER_DELIVER with inner_type, each naming its sender. Returns the file_id. */
  sendFile(from: string, to: string, name: string, data: Buffer): string {
    const u = this.users.byName(from);
    const frames = this.users.fileFrames(u, to, name, data, MAX_FILE_CHUNK_BYTES);
    for (const f of frames) this.deliver(to, { inner_type: f.type, user_id: to, sender: u.id, ...f.payload }, f.ts);
    return String(frames[0]!.payload['file_id']);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.wss.clients) c.terminate();
    await new Promise((r) => this.wss.close(r));
  }

  private deliver(to: string, payload: Record<string, unknown>, ts: number): void {
    const sid = this.users.roster.get(to)?.serverId;
    if (sid === undefined) return void this.users.problems.push(`no location for ${to}`);
    this.send(sid, 'SERVER_DELIVER', sid, payload, ts);
  }

  private send(sid: string, type: string, to: string, payload: Record<string, unknown>, ts = Date.now()): void {
    const ws = this.links.get(sid);
    if (!ws) return void this.users.problems.push(`no link to ${sid}`);
    this.write(ws, type, to, payload, ts);
  }

  private write(ws: WebSocket, type: string, to: string, payload: Record<string, unknown>, ts = Date.now()): void {
    this.sent.push({ type, payload });
    ws.send(encodeFrame(sealFrame({ type, from: this.id, to, ts, payload } as never, this.key)));
  }

  private onFrame(ws: WebSocket, text: string): void {
    const f = JSON.parse(text) as Wire;
    const why = this.dialect.refuse?.(f, this.self);
    if (why !== undefined) {
      this.refused.push(`${f.type}: ${why}`);
      return this.write(ws, 'ERROR', f.from, { code: 'UNKNOWN_TYPE', detail: why });
    }
    const p = f.payload;
    switch (f.type) {
      case 'SERVER_HELLO_JOIN':
      case 'SERVER_HELLO_LINK': {
        this.helloKeys.push(String(p['pubkey']));
        const key = importPublicKey(String(p['pubkey']));
        const d = decodeFrame(text);
        if (!d.ok || !verifyFrame(d.value, key).ok) return void this.refused.push(`${f.type}: bad signature`);
        if (f.type === 'SERVER_HELLO_JOIN') return this.write(ws, 'SERVER_WELCOME', f.from, this.dialect.welcome(this.self, f.from));
        return this.linked(ws, f.from, key);
      }
      case 'USER_ADVERTISE':
      case 'USER_REMOVE': {
        const key = this.keys.get(f.from);
        const d = decodeFrame(text);
        if (!key || !d.ok || !verifyFrame(d.value, key).ok) return void this.users.problems.push(`${f.type} from ${f.from} does not verify`);
        if (f.type === 'USER_REMOVE') return this.users.forget(String(p['user_id']), String(p['server_id']));
        return this.users.learn(p as unknown as UserAdvertisePayload, String(p['server_id']));
      }
      case 'SERVER_DELIVER': {
        const to = String(p['user_id']);
        if (this.users.local.has(to)) this.users.receive(String(p['inner_type'] ?? 'MSG_DIRECT'), to, p, f.ts);
        return;
      }
      case 'HEARTBEAT':
        this.heartbeats++;
        return;
      case 'ERROR':
        this.errors.push(f);
        return;
      default:
        return; // SERVER_ANNOUNCE, ACK, PUBLIC_CHANNEL_*: nothing it acts on
    }
  }

  /** A server linked with us on `ws`: announce, advertise our users, the dialect's extras, then HEARTBEAT to its id. */
  private linked(ws: WebSocket, sid: string, key: ReturnType<typeof importPublicKey>): void {
    this.links.set(sid, ws);
    this.keys.set(sid, key);
    this.write(ws, 'SERVER_ANNOUNCE', sid, this.dialect.announce(this.self));
    for (const u of this.users.local.values()) this.write(ws, 'USER_ADVERTISE', '*', advertisement(u, this.id));
    for (const o of this.dialect.onLink?.(this.self) ?? []) this.write(ws, o.type, '*', o.payload);
    const t = setInterval(() => ws.readyState === ws.OPEN && this.write(ws, 'HEARTBEAT', sid, {}), this.heartbeatMs);
    this.timers.push(t);
  }
}

function advertisement(u: LocalUser, serverId: string): Record<string, unknown> {
  return { user_id: u.id, server_id: serverId, pubkey: u.pubkey, meta: { display_name: u.name, pubkey: u.pubkey } };
}

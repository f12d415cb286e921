/**
 * A stand-in for the seed's server (G43, G43-WIRE.md §3), written from those wire facts:
 *  - joins an introducer: SERVER_HELLO_JOIN {host, port, pubkey} signed, `from` a fresh uuid4,
 *    `to` "host:port"; reads the WELCOME's `clients` only; keeps the socket open and reads it,
 *    ignoring what comes; sends NO HEARTBEAT, ever, on any socket;
 *  - for each listed server opens an outbound socket and sends SERVER_HELLO_LINK then a unicast
 *    SERVER_ANNOUNCE {host, port, pubkey} (`to` = that server);
 *  - on a SERVER_HELLO_LINK (checked against the key inside it) opens its OWN outbound socket
 *    back, sends nothing on it, and from then on writes to that server only there, only when it
 *    has something to say (the newest socket replaces the last); it never reads its outbound
 *    sockets and reads only what arrives on sockets others opened to it;
 *  - presence: USER_ADVERTISE {user_id, server_id, meta:{username, pubkey}} (DER keys) when a user
 *    logs in; answers another server's advertisement with backfills (server_id "local",
 *    origin "backfill") of its own users; USER_REMOVE forgets;
 *  - content crosses as SERVER_DELIVER {inner_type, user_id, public, ...the client's payload}
 *    with the original ts: DMs and `/all` (MSG_DIRECT with public:true to each user), files in
 *    400-byte chunks whose FILE_START / FILE_END carry no `sender` (the client's frames never do);
 *  - every frame is Python json.dumps text plus "\n" (g43-wire.ts); frames it cannot use are ignored.
 * Its WebSocket library answers pings (Python websockets does) unless `answerPings: false`.
 */
import { randomUUID } from 'node:crypto';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeFrame, generateKeyPair, importPublicKey, verifyFrame, type RsaPrivateKey, type UserAdvertisePayload } from '@socp/protocol';
import { waitFor } from '../../harness/wait';
import { g43Frame, type Wire } from './g43-wire';
import { PeerUsers, type LocalUser } from './peer-users';

/** The seed client's file chunk (plaintext bytes). */
export const G43_CHUNK_BYTES = 400;

interface Socket { ws: WebSocket; pings: number; closeCode: number | undefined }

export class G43Server {
  /** Proposed at each start (a fresh uuid4), then the introducer's `assigned_id`. */
  id: string = randomUUID();
  readonly users = new PeerUsers('der');
  /** Its outbound sockets, oldest first (per server, the newest is the one it writes on). */
  readonly outbound: Array<Socket & { serverId: string }> = [];
  /** Sockets others opened to it (the only ones it reads). */
  readonly inbound: Socket[] = [];
  /** Its socket to the introducer. */
  join: Socket | undefined;
  /** Frames that arrived on its outbound sockets, which it never reads (for the tests to look at). */
  readonly unread: Wire[] = [];
  private readonly servers = new Map<string, { ws: WebSocket; open: Promise<void> }>();
  private readonly seen = new Set<string>();

  private constructor(readonly key: RsaPrivateKey, private readonly wss: WebSocketServer, private readonly answerPings: boolean) {
    wss.on('connection', (ws) => this.serve(ws));
  }

  static async start(o: { key?: RsaPrivateKey; answerPings?: boolean } = {}): Promise<G43Server> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const [key] = await Promise.all([o.key ?? generateKeyPair(), new Promise((r) => wss.once('listening', r))]);
    return new G43Server(key, wss, o.answerPings ?? true);
  }

  get port(): number {
    return (this.wss.address() as { port: number }).port;
  }
  get pubkey(): string {
    return this.key.publicKey.toBase64Url();
  }
  private get addr(): { host: string; port: number; pubkey: string } {
    return { host: '127.0.0.1', port: this.port, pubkey: this.pubkey };
  }

  /** Its outbound socket to `serverId` (the newest), if any. */
  channelTo(serverId: string): (Socket & { serverId: string }) | undefined {
    return this.outbound.filter((s) => s.serverId === serverId).at(-1);
  }

  /** Wait until it has an open outbound socket to `serverId` (the one it writes on). */
  openChannelTo(serverId: string, timeoutMs = 20_000): Promise<Socket & { serverId: string }> {
    return waitFor(`the seed's open socket to ${serverId}`, () => {
      const c = this.channelTo(serverId);
      return c?.ws.readyState === WebSocket.OPEN ? c : undefined;
    }, timeoutMs);
  }

  /** Join the introducer at `url` (`to` = its "host:port") and link to every server in its WELCOME `clients`. */
  joinIntroducer(url: string, to: string): Promise<void> {
    const ws = new WebSocket(url, { autoPong: this.answerPings });
    this.join = track(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => ws.send(g43Frame('SERVER_HELLO_JOIN', this.id, to, this.addr, this.key)));
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as Wire;
        if (f.type !== 'SERVER_WELCOME') return; // its join loop reads and ignores everything else
        this.id = String(f.payload['assigned_id']);
        for (const c of (f.payload['clients'] ?? []) as Array<{ server_id: string; host: string; port: number }>) {
          const out = this.open(c.server_id, c.host, c.port);
          void out.open.then(() => {
            out.ws.send(g43Frame('SERVER_HELLO_LINK', this.id, c.server_id, this.addr, this.key));
            out.ws.send(g43Frame('SERVER_ANNOUNCE', this.id, c.server_id, this.addr, this.key));
          });
        }
        resolve();
      });
    });
  }

  /** A user logs in here: advertised to every server it knows. */
  async login(name: string): Promise<LocalUser> {
    const u = await this.users.add(name);
    for (const sid of this.servers.keys()) this.toServer(sid, 'USER_ADVERTISE', '*', { user_id: u.id, server_id: this.id, meta: { username: name, pubkey: u.pubkey } });
    return u;
  }

  /** `/tell`: a DM from a local user to a remote one. */
  tell(from: string, to: string, text: string): void {
    const ts = Date.now();
    this.deliver(to, 'MSG_DIRECT', { public: false, ...this.users.content(this.users.byName(from), to, text, ts) }, ts);
  }

  /** `/all`: the same MSG_DIRECT, `public: true`, to every user it knows. */
  all(from: string, text: string): void {
    const u = this.users.byName(from);
    for (const r of this.users.roster.values()) {
      const ts = Date.now();
      this.deliver(r.id, 'MSG_DIRECT', { public: true, ...this.users.content(u, r.id, text, ts) }, ts);
    }
  }

  /** `/file`: FILE_START and FILE_END carry no sender (the seed client's form), the chunks do. Returns the file_id. */
  sendFile(from: string, to: string, name: string, data: Buffer): string {
    const frames = this.users.fileFrames(this.users.byName(from), to, name, data, G43_CHUNK_BYTES);
    for (const f of frames) this.deliver(to, f.type, f.payload, f.ts);
    return String(frames[0]!.payload['file_id']);
  }

  async close(): Promise<void> {
    for (const s of [...this.outbound, ...this.inbound, ...(this.join ? [this.join] : [])]) s.ws.terminate();
    await new Promise((r) => this.wss.close(r));
  }

  private deliver(to: string, innerType: string, payload: Record<string, unknown>, ts: number): void {
    const sid = this.users.roster.get(to)?.serverId;
    if (sid === undefined) return void this.users.problems.push(`no location for ${to}`);
    this.toServer(sid, 'SERVER_DELIVER', sid, { inner_type: innerType, user_id: to, ...payload }, ts);
  }

  /** Write on its outbound socket to `sid` (once open), re-signed by itself. */
  private toServer(sid: string, type: string, to: string, payload: Record<string, unknown>, ts = Date.now()): void {
    const out = this.servers.get(sid);
    if (!out) return void this.users.problems.push(`no outbound socket to ${sid}`);
    void out.open.then(() => out.ws.send(g43Frame(type, this.id, to, payload, this.key, ts)));
  }

  /** Open an outbound socket to a server; it replaces the last one as the socket it writes on. */
  private open(serverId: string, host: string, port: number): { ws: WebSocket; open: Promise<void> } {
    const ws = new WebSocket(`ws://${host}:${port}`);
    this.outbound.push(Object.assign(track(ws), { serverId }));
    ws.on('error', () => undefined);
    // It never reads these sockets; what arrives is kept only for the tests to look at.
    ws.on('message', (data) => void this.unread.push(JSON.parse(String(data)) as Wire));
    const out = { ws, open: new Promise<void>((r) => ws.once('open', () => r())) };
    this.servers.set(serverId, out);
    return out;
  }

  private serve(ws: WebSocket): void {
    this.inbound.push(track(ws));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Wire;
      const p = f.payload;
      switch (f.type) {
        case 'SERVER_HELLO_LINK': {
          // Checked against the key inside the frame itself; then its own socket back, silent.
          const d = decodeFrame(String(data));
          if (!d.ok || !verifyFrame(d.value, importPublicKey(String(p['pubkey']))).ok) return;
          this.open(f.from, String(p['host']), Number(p['port']));
          return;
        }
        case 'USER_ADVERTISE': {
          const key = `${f.ts}|${f.from}|${String(p['user_id'])}`;
          if (this.seen.has(key) || f.from === this.id) return;
          this.seen.add(key);
          const origin = p['server_id'] === 'local' ? f.from : String(p['server_id']);
          this.users.learn(p as unknown as UserAdvertisePayload, origin);
          if (p['origin'] === 'backfill') return;
          for (const u of this.users.local.values()) {
            this.toServer(origin, 'USER_ADVERTISE', origin, { user_id: u.id, server_id: 'local', meta: { username: u.name, pubkey: u.pubkey }, origin: 'backfill' });
          }
          return;
        }
        case 'USER_REMOVE':
          return this.users.forget(String(p['user_id']), String(p['server_id']));
        case 'SERVER_DELIVER': {
          const to = String(p['user_id']);
          if (this.users.local.has(to)) this.users.receive(String(p['inner_type'] ?? 'MSG_DIRECT'), to, p, f.ts);
          return;
        }
        default:
          return; // SERVER_ANNOUNCE, HEARTBEAT, ACK, ERROR, PUBLIC_CHANNEL_*: nothing it acts on
      }
    });
  }
}

/** Count the pings a socket gets and remember how it closed. */
function track(ws: WebSocket): Socket {
  const s: Socket = { ws, pings: 0, closeCode: undefined };
  ws.on('ping', () => void s.pings++);
  ws.on('close', (code) => void (s.closeCode = code));
  return s;
}

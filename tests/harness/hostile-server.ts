/**
 * A hostile "server" for tests: it has its own RSA-4096 key and a listening WebSocket (so the
 * servers it links to can dial back). As an outsider it tries to join (`join`) or link
 * (`link`) with what it has; as a compromised ADMITTED server it first joins an introducer with
 * the mesh's join secret (`admit`), keeps the admission ticket and shows it in its
 * SERVER_HELLO_LINK. Then it sends whatever forged frames a test builds: wrong signatures,
 * other servers' ids, spoofed presence, forged content, replays, raw text.
 */
import { randomUUID } from 'node:crypto';
import {
  generateKeyPair, joinProof, sealFrame, withBind,
  type Frame, type FrameOf, type FrameType, type PayloadMap, type RsaPrivateKey, type ServerAddrPayload,
} from '@socp/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { FrameSocket } from './frame-socket';

export class HostileServer {
  readonly id = randomUUID();
  /** Raw text of every message servers sent to our listener (their dial-back links). */
  readonly inbound: string[] = [];
  private readonly links: FrameSocket[] = [];

  private constructor(readonly key: RsaPrivateKey, private readonly wss: WebSocketServer, readonly port: number) {
    wss.on('connection', (ws: WebSocket) => ws.on('message', (d) => this.inbound.push((d as Buffer).toString('utf8'))));
  }

  static async create(key?: RsaPrivateKey): Promise<HostileServer> {
    const k = key ?? (await generateKeyPair());
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new HostileServer(k, wss, (wss.address() as AddressInfo).port);
  }

  get pubkey(): string {
    return this.key.publicKey.toBase64Url();
  }

  /** A frame from us, signed with our key (override anything to forge). */
  frame<T extends FrameType>(type: T, payload: PayloadMap[T], o: { to?: string; from?: string; ts?: number; signWith?: RsaPrivateKey } = {}): FrameOf<T> {
    return sealFrame({ type, from: o.from ?? this.id, to: o.to ?? '*', ts: o.ts ?? Date.now(), payload }, o.signWith ?? this.key) as unknown as FrameOf<T>;
  }

  /** The admission ticket an introducer gave us (after `admit`). */
  ticket: Record<string, unknown> | undefined;
  /** Our socket to the introducer that admitted us (kept open, as a real server does). */
  private introducer: FrameSocket | undefined;

  /** Our SERVER_HELLO_JOIN: with a join proof when given the secret. */
  joinFrame(secret?: string, o: { caps?: string[]; ts?: number; id?: string } = {}): FrameOf<'SERVER_HELLO_JOIN'> {
    const ts = o.ts ?? Date.now();
    const from = o.id ?? this.id;
    const payload: ServerAddrPayload = { host: '127.0.0.1', port: this.port, pubkey: this.pubkey, ...(o.caps ? { caps: o.caps } : {}) };
    if (secret !== undefined) payload.join_proof = joinProof(secret, { from, ts, host: payload.host, port: payload.port, pubkey: payload.pubkey });
    return sealFrame(withBind({ type: 'SERVER_HELLO_JOIN', from, to: '127.0.0.1:0', ts, payload }), this.key) as unknown as FrameOf<'SERVER_HELLO_JOIN'>;
  }

  /** Try to join an introducer; resolves with its answer (WELCOME or ERROR) and the socket. */
  async join(introducerUrl: string, secret?: string): Promise<{ sock: FrameSocket; answer: Frame }> {
    const sock = await FrameSocket.connect(introducerUrl);
    this.links.push(sock);
    sock.send(this.joinFrame(secret));
    const answer = await sock.waitFrame((f) => f.type === 'SERVER_WELCOME' || f.type === 'ERROR', 10_000, 0, 'join answer');
    return { sock, answer };
  }

  /** Become an admitted server: join with the mesh's join secret and keep the ticket. */
  async admit(introducerUrl: string, secret: string): Promise<void> {
    const { sock, answer } = await this.join(introducerUrl, secret);
    if (answer.type !== 'SERVER_WELCOME') throw new Error(`hostile server was not admitted: ${JSON.stringify(answer.payload)}`);
    this.ticket = (answer as FrameOf<'SERVER_WELCOME'>).payload.ticket;
    this.introducer = sock;
  }

  /** Open a link to a server: a signed SERVER_HELLO_LINK naming our listener, with our ticket if we have one. */
  async link(serverWsUrl: string, serverId = '*', o: { ticket?: Record<string, unknown> | null } = {}): Promise<FrameSocket> {
    const sock = await FrameSocket.connect(serverWsUrl);
    this.links.push(sock);
    const ticket = o.ticket === null ? undefined : (o.ticket ?? this.ticket);
    sock.send(this.frame('SERVER_HELLO_LINK', { host: '127.0.0.1', port: this.port, pubkey: this.pubkey, ...(ticket ? { ticket } : {}) }, { to: serverId }));
    return sock;
  }

  send(sock: FrameSocket, f: Frame): void {
    sock.send(f);
  }

  async close(): Promise<void> {
    this.introducer?.terminate();
    for (const s of this.links) s.terminate();
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * A hostile "server" for tests: it has its own RSA-4096 key and a listening WebSocket (so the
 * servers it links to can dial back), opens a link to a real server with a self-signed
 * SERVER_HELLO_LINK (first contact is trust-on-first-use in SOCP), and then sends whatever
 * forged frames a test builds: wrong signatures, other servers' ids, spoofed presence,
 * replays, raw text.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, sealFrame, type Frame, type FrameOf, type FrameType, type PayloadMap, type RsaPrivateKey } from '@socp/protocol';
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

  /** Open a link to a server: a signed SERVER_HELLO_LINK naming our listener. */
  async link(serverWsUrl: string, serverId = '*'): Promise<FrameSocket> {
    const sock = await FrameSocket.connect(serverWsUrl);
    this.links.push(sock);
    sock.send(this.frame('SERVER_HELLO_LINK', { host: '127.0.0.1', port: this.port, pubkey: this.pubkey }, { to: serverId }));
    return sock;
  }

  send(sock: FrameSocket, f: Frame): void {
    sock.send(f);
  }

  async close(): Promise<void> {
    for (const s of this.links) s.terminate();
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * A stand-in for other implementations' SOCP servers, as our CLI meets them (issue 14, "our CLI
 * on their servers"), written from the wire facts in the issue and SPEC.md:
 *  - the first frame of a connection must be USER_HELLO: anything else (our account probe) is
 *    answered by a close, code 1000, no ERROR;
 *  - a hello addressed to `host:port` is refused (ERROR, close); `"*"` or its own id is accepted;
 *  - the hello is answered with `ACK {msg_ref:"USER_HELLO_OK", server_pub}` (no server_id, key
 *    as PEM-b64url), or with no ACK at all;
 *  - user keys are opaque strings, relayed as the user sent them;
 *  - presence: USER_ADVERTISE {user_id, server_id, meta{display_name, pubkey}, pubkey} of every
 *    user to a newcomer and of the newcomer to everyone; USER_REMOVE when one leaves;
 *  - MSG_DIRECT becomes USER_DELIVER {ciphertext, sender, sender_pub, content_sig} with the
 *    original ts; MSG_PUBLIC_CHANNEL and FILE_* go to the recipient as they came (`from` = the
 *    user); every frame it sends is signed with its own key (a G43-style re-sign).
 * One socket per user; no accounts, no queue, no server links.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame, sealFrame, type Frame, type FrameType, type RsaPrivateKey } from '@socp/protocol';

export interface ForeignServerDialect {
  /** `ok-no-id`: ACK {msg_ref:"USER_HELLO_OK", server_pub}; `none`: no hello ACK at all. */
  helloAck: 'ok-no-id' | 'none';
}

interface Wire { type: string; from: string; to: string; ts: number; payload: Record<string, unknown>; sig?: string }
interface User { ws: WebSocket; id: string; pubkey: string; name: string | undefined }

export class ForeignServer {
  readonly id = randomUUID();
  readonly users = new Map<string, User>();
  /** Connections closed because their first frame was not a hello (our account probe). */
  closedOnFirstFrame = 0;
  /** Hellos refused for their `to`. */
  refusedHelloTo: string[] = [];
  /** Every hello accepted, as received. */
  readonly hellos: Wire[] = [];
  private constructor(private readonly wss: WebSocketServer, private readonly key: RsaPrivateKey, private readonly dialect: ForeignServerDialect) {
    wss.on('connection', (ws) => this.serve(ws));
  }

  static async listen(key: RsaPrivateKey, dialect: ForeignServerDialect): Promise<ForeignServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    return new ForeignServer(wss, key, dialect);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
  }

  get pubkey(): string {
    return this.key.publicKey.toPemBase64Url();
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }

  private send(ws: WebSocket, type: FrameType, to: string, payload: Record<string, unknown>, opts: { from?: string; ts?: number } = {}): void {
    ws.send(encodeFrame(sealFrame({ type, from: opts.from ?? this.id, to, ts: opts.ts ?? Date.now(), payload: payload as never }, this.key) as Frame));
  }

  private advertise(to: User, about: User): void {
    this.send(to.ws, 'USER_ADVERTISE', to.id, { user_id: about.id, server_id: this.id, meta: { display_name: about.name, pubkey: about.pubkey }, pubkey: about.pubkey });
  }

  private serve(ws: WebSocket): void {
    let user: User | undefined;
    ws.on('message', (data) => {
      let f: Wire;
      try {
        f = JSON.parse(String(data)) as Wire;
      } catch {
        return ws.close(1000);
      }
      if (!user) {
        if (f.type !== 'USER_HELLO') {
          this.closedOnFirstFrame++;
          return ws.close(1000);
        }
        if (f.to !== '*' && f.to !== this.id) {
          this.refusedHelloTo.push(f.to);
          this.send(ws, 'ERROR', f.from, { code: 'UNKNOWN_TYPE', detail: `USER_HELLO must be addressed to "*" (got ${f.to})` });
          return ws.close(1000);
        }
        const meta = (f.payload['meta'] ?? {}) as Record<string, unknown>;
        user = { ws, id: f.from, pubkey: String(f.payload['pubkey']), name: typeof meta['display_name'] === 'string' ? meta['display_name'] : undefined };
        this.hellos.push(f);
        return this.welcome(user);
      }
      this.route(user, f);
    });
    ws.on('close', () => {
      if (!user || this.users.get(user.id) !== user) return;
      this.users.delete(user.id);
      for (const u of this.users.values()) this.send(u.ws, 'USER_REMOVE', u.id, { user_id: user.id, server_id: this.id });
    });
  }

  private welcome(u: User): void {
    if (this.dialect.helloAck === 'ok-no-id') this.send(u.ws, 'ACK', u.id, { msg_ref: 'USER_HELLO_OK', server_pub: this.pubkey });
    for (const other of this.users.values()) {
      this.advertise(u, other);
      this.advertise(other, u);
    }
    this.users.set(u.id, u);
  }

  private route(from: User, f: Wire): void {
    const to = this.users.get(f.to);
    switch (f.type) {
      case 'MSG_DIRECT':
        if (!to) return this.send(from.ws, 'ERROR', from.id, { code: 'USER_NOT_FOUND', detail: `recipient ${f.to} not here` });
        return this.send(to.ws, 'USER_DELIVER', to.id, { ciphertext: f.payload['ciphertext'], sender: from.id, sender_pub: f.payload['sender_pub'], content_sig: f.payload['content_sig'] }, { ts: f.ts });
      case 'MSG_PUBLIC_CHANNEL':
      case 'FILE_START':
      case 'FILE_CHUNK':
      case 'FILE_END':
        if (!to) return this.send(from.ws, 'ERROR', from.id, { code: 'USER_NOT_FOUND', detail: `recipient ${f.to} not here` });
        return this.send(to.ws, f.type, to.id, f.payload, { from: from.id, ts: f.ts });
      default:
        return; // ACK, CTRL_CLOSE, LIST_REQUEST, …: nothing to do here
    }
  }
}

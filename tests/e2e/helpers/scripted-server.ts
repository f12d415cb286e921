/**
 * A scripted stand-in server for driving the real `socp` binary: it answers USER_HELLO in the
 * way it is told (our ACK, NAME_IN_USE, or a foreign dialect's form), records every frame it
 * gets, and lets the test push signed frames, raw text, or close the socket. Account frames
 * (ACCOUNT_REGISTER_START, LOGIN_START) are ignored unless `onFirstFrame` says otherwise, so
 * the client falls back to a plain hello after its probe.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, sealFrame, type Frame, type FrameType, type RsaPrivateKey } from '@socp/protocol';

/**
 * How the hello is answered:
 *  - `ack`: ours, `ACK {msg_ref:"USER_HELLO", server_id, server_pub}`;
 *  - `ack-ok-no-id`: `ACK {msg_ref:"USER_HELLO_OK", server_pub}` (no server_id);
 *  - `none`: no answer at all (the client must know the key out of band);
 *  - `name-in-use`: `ERROR NAME_IN_USE`.
 */
export type HelloAnswer = 'ack' | 'ack-ok-no-id' | 'none' | 'name-in-use';

export interface ScriptedServerOptions {
  answer?: HelloAnswer;
  port?: number;
  serverId?: string;
  /** `close` = close (code 1000, no ERROR) any connection whose first frame is not USER_HELLO. */
  nonHelloFirst?: 'ignore' | 'close';
  /** Called once a hello was answered (or not: `none`), on that socket. */
  afterHello?: (s: ScriptedServer, hello: Extract<Frame, { type: 'USER_HELLO' }>) => void;
}

export class ScriptedServer {
  readonly wss: WebSocketServer;
  readonly serverId: string;
  sock: WebSocket | undefined;
  user: { id: string; pub: string } | undefined;
  connections = 0;
  /** Connections closed because their first frame was not a hello. */
  closedOnFirstFrame = 0;
  readonly received: Frame[] = [];
  readonly hellos: Array<Extract<Frame, { type: 'USER_HELLO' }>> = [];

  static async listen(key: RsaPrivateKey, opts: ScriptedServerOptions = {}): Promise<ScriptedServer> {
    const s = new ScriptedServer(key, opts);
    await new Promise((r) => s.wss.once('listening', r));
    return s;
  }

  private constructor(readonly key: RsaPrivateKey, private readonly opts: ScriptedServerOptions) {
    this.serverId = opts.serverId ?? randomUUID();
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: opts.port ?? 0 });
    this.wss.on('connection', (ws) => {
      this.connections++;
      let first = true;
      ws.on('message', (data) => {
        const r = decodeFrame(data as Buffer);
        if (r.ok) this.received.push(r.value);
        const isFirst = first;
        first = false;
        if (!r.ok || r.value.type !== 'USER_HELLO') {
          if (isFirst && opts.nonHelloFirst === 'close') {
            this.closedOnFirstFrame++;
            ws.close(1000);
          }
          return;
        }
        this.sock = ws;
        this.user = { id: r.value.from, pub: r.value.payload.pubkey };
        this.hellos.push(r.value);
        this.answerHello();
        opts.afterHello?.(this, r.value);
      });
    });
  }

  private answerHello(): void {
    switch (this.opts.answer ?? 'ack') {
      case 'ack':
        return this.push('ACK', { msg_ref: 'USER_HELLO', server_id: this.serverId, server_pub: this.key.publicKey.b64url });
      case 'ack-ok-no-id':
        return this.push('ACK', { msg_ref: 'USER_HELLO_OK', server_pub: this.key.publicKey.b64url });
      case 'name-in-use':
        return this.push('ERROR', { code: 'NAME_IN_USE', detail: 'name "alice" is taken' });
      case 'none':
        return;
    }
  }

  get url(): string {
    const a = this.wss.address();
    return `ws://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  /** A frame signed by this server's key (or `signer`), `from` = the server unless given. */
  push(type: FrameType, payload: Record<string, unknown>, opts: { from?: string; signer?: RsaPrivateKey; ts?: number; to?: string } = {}): void {
    const f = sealFrame({ type, from: opts.from ?? this.serverId, to: opts.to ?? this.user?.id ?? '*', ts: opts.ts ?? Date.now(), payload: payload as never }, opts.signer ?? this.key);
    this.sock!.send(encodeFrame(f as Frame));
  }

  raw(text: string): void {
    this.sock!.send(text);
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

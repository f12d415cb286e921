/**
 * A stand-in server that only completes the handshake: it answers USER_HELLO with the ACK
 * (server_id, server_pub) signed by the key it was given and ignores everything else (so a
 * client's account log-in probe finds no extension and goes on with a plain hello). For
 * checking what a client does with the server key it is shown.
 */
import { WebSocketServer } from 'ws';
import { decodeFrame, encodeFrame, sealFrame, type Frame, type RsaPrivateKey } from '@socp/protocol';

export class HelloServer {
  hellos = 0;
  private constructor(private readonly wss: WebSocketServer) {}

  static async listen(key: RsaPrivateKey, serverId: string, port = 0): Promise<HelloServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    const s = new HelloServer(wss);
    wss.on('connection', (ws) => ws.on('message', (data) => {
      const r = decodeFrame(data as Buffer);
      if (!r.ok || r.value.type !== 'USER_HELLO') return;
      s.hellos++;
      const ack = sealFrame({ type: 'ACK', from: serverId, to: r.value.from, ts: Date.now(), payload: { msg_ref: 'USER_HELLO', server_id: serverId, server_pub: key.publicKey.b64url } as never }, key);
      ws.send(encodeFrame(ack as Frame));
    }));
    await new Promise((r) => wss.once('listening', r));
    return s;
  }

  get url(): string {
    const a = this.wss.address();
    return `ws://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  /** Drop every client (as a crash would) and stop listening. */
  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

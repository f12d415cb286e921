/**
 * A stand-in server that only completes the handshake: it answers USER_HELLO with the ACK
 * (server_id, server_pub) signed by the key it was given and otherwise only records what it
 * gets (so a client's account log-in probe finds no extension and goes on with a plain hello).
 * For checking what a client does with the server key it is shown, and — through `afterHello`
 * — with frames a server sends it (e.g. the same queued DM at every log-in, ACKs ignored).
 */
import { WebSocketServer } from 'ws';
import { decodeFrame, encodeFrame, sealFrame, type Frame, type RsaPrivateKey } from '@socp/protocol';

/** Frames to send after the hello ACK (before signing: `from` and the sig are the server's). */
export type AfterHello = (hello: Extract<Frame, { type: 'USER_HELLO' }>, connection: number) => Promise<Array<Omit<Frame, 'from' | 'sig'>>>;

export class HelloServer {
  hellos = 0;
  /** Every frame received that decoded, in order. */
  readonly received: Frame[] = [];
  private constructor(private readonly wss: WebSocketServer) {}

  static async listen(key: RsaPrivateKey, serverId: string, port = 0, afterHello?: AfterHello): Promise<HelloServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    const s = new HelloServer(wss);
    const seal = (f: Omit<Frame, 'from' | 'sig'>): string => encodeFrame(sealFrame({ ...f, from: serverId } as never, key) as Frame);
    wss.on('connection', (ws) => ws.on('message', (data) => {
      const r = decodeFrame(data as Buffer);
      if (!r.ok) return;
      s.received.push(r.value);
      if (r.value.type !== 'USER_HELLO') return;
      const hello = r.value;
      const n = ++s.hellos;
      ws.send(seal({ type: 'ACK', to: hello.from, ts: Date.now(), payload: { msg_ref: 'USER_HELLO', server_id: serverId, server_pub: key.publicKey.b64url } } as never));
      void afterHello?.(hello, n).then((frames) => frames.forEach((f) => ws.send(seal(f))));
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

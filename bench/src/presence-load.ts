/**
 * Presence load inside the generator: N users with distinct user_ids spread round-robin over
 * the servers. RSA-4096 keygen is slow, so the users share a small pool of keys (a user_id binds
 * to the first key it presents; distinct ids may share one). Every USER_HELLO is signed before
 * the timed phase (one signature per pool key: the sig covers only the payload); then each user connects and sends it, a bounded number of handshakes at a
 * time. Inbound frames (ACK, the presence snapshot, later advertisements) are only counted.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { encodeFrame, sealFrameAsync, type RsaPrivateKey } from '@socp/protocol';

/** WebSocket handshakes in flight at once. */
const CONNECT_IN_FLIGHT = 256;

export interface PresenceCounters { users: number; connected: number; acked: number; refused: number; closed: number; frames_in: number; bytes_in: number }

export class PresenceLoad {
  private readonly sockets: WebSocket[] = [];
  readonly counters: PresenceCounters;

  private constructor(private readonly urls: readonly string[], private readonly hellos: readonly string[]) {
    this.counters = { users: hellos.length, connected: 0, acked: 0, refused: 0, closed: 0, frames_in: 0, bytes_in: 0 };
  }

  static async prepare(urls: readonly string[], n: number, keys: readonly RsaPrivateKey[]): Promise<PresenceLoad> {
    // The envelope sig covers the payload only, and a hello's payload names no user: one
    // signature per pool key serves every user_id that shares that key.
    const signed = await Promise.all(keys.map((key) => {
      const pub = key.publicKey.toBase64Url();
      return sealFrameAsync({ type: 'USER_HELLO', from: randomUUID(), to: '*', ts: Date.now(), payload: { client: 'socp-bench', pubkey: pub, enc_pubkey: pub } }, key);
    }));
    const ts = Date.now();
    const hellos = Array.from({ length: n }, (_, i) => encodeFrame({ ...signed[i % signed.length]!, from: randomUUID(), ts }));
    return new PresenceLoad(urls, hellos);
  }

  /** Connect every user and send its hello; resolves once every handshake finished (or failed). */
  async start(): Promise<void> {
    let next = 0;
    const c = this.counters;
    const one = (i: number): Promise<void> =>
      new Promise((res) => {
        const ws = new WebSocket(this.urls[i % this.urls.length]!, { handshakeTimeout: 30_000, maxPayload: 4 * 1024 * 1024 });
        this.sockets.push(ws);
        let first = true;
        ws.on('message', (data: Buffer) => {
          c.frames_in++;
          c.bytes_in += data.length;
          if (first) {
            first = false;
            if (data.toString('utf8', 0, 80).includes('"ACK"')) c.acked++;
            else c.refused++;
          }
        });
        ws.once('open', () => {
          c.connected++;
          ws.send(this.hellos[i]!);
          res();
        });
        ws.once('error', () => res());
        ws.once('close', () => {
          c.closed++;
          res();
        });
      });
    const worker = async (): Promise<void> => {
      for (let i = next++; i < this.hellos.length; i = next++) await one(i);
    };
    await Promise.all(Array.from({ length: CONNECT_IN_FLIGHT }, worker));
  }

  /** Close every socket; resolves when all are closed. */
  async stop(): Promise<void> {
    await Promise.all(this.sockets.map((ws) => new Promise<void>((res) => {
      if (ws.readyState === WebSocket.CLOSED) return res();
      ws.once('close', () => res());
      ws.terminate();
    })));
  }
}

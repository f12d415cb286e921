/**
 * A tiny introducer built from the library: verifies SERVER_HELLO_JOIN (no join secret: every
 * well-signed join is admitted), answers a signed SERVER_WELCOME listing earlier joiners, each
 * with an admission ticket, and the joiner's own ticket. `ticketFor` hands a test peer a ticket.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, importPublicKey, issueTicket, sealFrame, verifyFrame, withBind, type AdmissionTicket, type RsaPrivateKey, type RsaPublicKey } from '@socp/protocol';
import type { AddressInfo } from 'node:net';

/** Lifetime of the tickets it signs. */
const TICKET_TTL_MS = 3_600_000;

export class FakeIntroducer {
  readonly id = '0c9a7b6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
  readonly joined = new Map<string, { server_id: string; host: string; port: number; pubkey: string; ticket: AdmissionTicket }>();
  readonly sockets = new Set<WebSocket>();
  /** Types of every decodable frame received, in order. */
  readonly received: string[] = [];
  private constructor(private readonly wss: WebSocketServer, readonly key: RsaPrivateKey) {}

  static async start(key: RsaPrivateKey): Promise<FakeIntroducer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const intro = new FakeIntroducer(wss, key);
    wss.on('connection', (ws) => {
      intro.sockets.add(ws);
      ws.on('close', () => intro.sockets.delete(ws));
      ws.on('message', (data: Buffer) => {
        const d = decodeFrame(data);
        if (d.ok) intro.received.push(d.value.type);
        if (!d.ok || d.value.type !== 'SERVER_HELLO_JOIN') return;
        const f = d.value;
        if (!verifyFrame(f, importPublicKey(f.payload.pubkey)).ok) return;
        const others = [...intro.joined.values()].filter((s) => s.server_id !== f.from);
        const ticket = intro.ticketFor(f.from, importPublicKey(f.payload.pubkey), f.payload.host, f.payload.port, f.payload.caps ?? []);
        intro.joined.set(f.from, { server_id: f.from, host: f.payload.host, port: f.payload.port, pubkey: f.payload.pubkey, ticket });
        const servers = others.map((o) => ({ ...o, ticket: { ...o.ticket } }));
        const clients = others.map(({ ticket: _t, ...o }) => o);
        ws.send(encodeFrame(sealFrame(withBind({ type: 'SERVER_WELCOME', from: intro.id, to: f.from, ts: Date.now(), payload: { assigned_id: null, servers, clients, ticket: { ...ticket } } }), key)));
      });
    });
    return intro;
  }
  /** An admission ticket signed by this introducer (what a server shows in SERVER_HELLO_LINK). */
  ticketFor(serverId: string, key: RsaPublicKey, host: string, port: number, caps: readonly string[] = [], ttlMs = TICKET_TTL_MS): AdmissionTicket {
    const now = Date.now();
    return issueTicket(this.key, { server_id: serverId, key, host, port, caps, issued: now, expires: now + ttlMs });
  }
  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }
  get bootstrap(): string {
    return JSON.stringify([{ host: '127.0.0.1', port: this.port, pubkey: this.key.publicKey.toBase64Url() }]);
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}

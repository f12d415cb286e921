/**
 * A stand-in for the seed's introducer (G43-WIRE.md §3 "Bootstrap and server links", step 2),
 * written from those wire facts: a plain WebSocket listener that
 *  - checks no signature, keeps the proposed id unless a server with it is connected (then a
 *    fresh uuid4), and answers SERVER_HELLO_JOIN with an UNSIGNED
 *    `SERVER_WELCOME {from:"introducer-0000-0000", payload:{assigned_id, clients:[{server_id,
 *    host, port, pubkey}, …every server that joined before]}, sig:""}`;
 *  - then appends the newcomer to its list and never removes it;
 *  - keeps the socket open and reads it, ignoring whatever comes (no HEARTBEAT of its own).
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { UUID_ANYCASE_RE } from '@socp/protocol';
import { g43Frame, type Wire } from './g43-wire';

export const G43_INTRODUCER_ID = 'introducer-0000-0000';

export class G43Introducer {
  readonly clients: Array<{ server_id: string; host: string; port: number; pubkey: string }> = [];
  /** Types of the frames joined servers sent after their join (it ignores them). */
  readonly ignored: string[] = [];
  private readonly live = new Map<string, WebSocket>();

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => this.serve(ws));
  }

  static async start(): Promise<G43Introducer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    return new G43Introducer(wss);
  }

  get port(): number {
    return (this.wss.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise((r) => this.wss.close(r));
  }

  private serve(ws: WebSocket): void {
    let joined: string | undefined;
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Wire;
      if (f.type !== 'SERVER_HELLO_JOIN') return void this.ignored.push(f.type);
      const id = UUID_ANYCASE_RE.test(f.from) && !this.live.has(f.from) ? f.from : randomUUID();
      ws.send(g43Frame('SERVER_WELCOME', G43_INTRODUCER_ID, id, { assigned_id: id, clients: [...this.clients] }, undefined));
      const p = f.payload as { host: string; port: number; pubkey: string };
      this.clients.push({ server_id: id, host: p.host, port: p.port, pubkey: p.pubkey });
      this.live.set(id, ws);
      joined = id;
    });
    ws.on('close', () => {
      if (joined !== undefined && this.live.get(joined) === ws) this.live.delete(joined);
    });
  }
}

/**
 * A lean SOCP user for the load generator: USER_HELLO, pins the server key from the signed
 * hello ACK, keeps a roster from verified USER_ADVERTISE frames, then hands every later inbound
 * text frame to `onFrame` with its arrival time — no per-frame schema work or storage, so the
 * generator measures the mesh, not itself. (tests/harness/raw-user.ts is the checking client.)
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  advertisedPubkey, encodeFrame, helloDraft, importPublicKey, sealDraft, verifyFrame,
  type Frame, type RsaPrivateKey, type RsaPublicKey,
} from '@socp/protocol';

const CONNECT_TIMEOUT_MS = 10_000;

export interface Inbound { type: string; payload: Record<string, unknown>; raw: string; at: number }

export class BenchUser {
  serverPub!: RsaPublicKey;
  serverId = '';
  readonly roster = new Map<string, string>();
  onFrame: ((f: Inbound) => void) | undefined;
  private rosterWaiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket, readonly key: RsaPrivateKey, readonly id: string) {}

  static async connect(url: string, key: RsaPrivateKey, id: string): Promise<BenchUser> {
    const ws = new WebSocket(url, { handshakeTimeout: CONNECT_TIMEOUT_MS, maxPayload: 4 * 1024 * 1024 });
    const u = new BenchUser(ws, key, id);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const acked = new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no hello ACK for ${id}`)), CONNECT_TIMEOUT_MS);
      ws.on('message', (data: Buffer) => {
        const at = performance.now();
        const raw = data.toString('utf8');
        const f = JSON.parse(raw) as Frame;
        if (f.type === 'ACK' && (f.payload as { msg_ref?: string }).msg_ref === 'USER_HELLO') {
          const p = f.payload as unknown as { server_id: string; server_pub: string };
          u.serverPub = importPublicKey(p.server_pub);
          u.serverId = p.server_id;
          if (!verifyFrame(f, u.serverPub).ok) return rej(new Error('hello ACK not signed by its server_pub'));
          clearTimeout(timer);
          return res();
        }
        if (f.type === 'ERROR') return rej(new Error(`hello refused: ${raw}`));
        if (f.type === 'USER_ADVERTISE' && u.serverPub && verifyFrame(f, u.serverPub).ok) {
          const pk = advertisedPubkey(f.payload);
          if (pk) u.roster.set(f.payload.user_id, pk);
          for (const w of [...u.rosterWaiters]) w();
          return;
        }
        u.onFrame?.({ type: f.type, payload: f.payload as Record<string, unknown>, raw, at });
      });
    });
    ws.send(encodeFrame(sealDraft(helloDraft({ userId: id, key }, '*', Date.now(), { client: 'socp-bench', bind: false }), key)));
    await acked;
    return u;
  }

  /** The rostered key of `userId`, waiting for its USER_ADVERTISE up to `timeoutMs`. */
  async peerKey(userId: string, timeoutMs = 10_000): Promise<RsaPublicKey> {
    const deadline = Date.now() + timeoutMs;
    while (!this.roster.has(userId)) {
      if (Date.now() > deadline) throw new Error(`${userId} never advertised to ${this.id}`);
      await new Promise<void>((res) => {
        const w = (): void => { this.rosterWaiters.delete(w); clearTimeout(t); res(); };
        const t = setTimeout(w, 200);
        this.rosterWaiters.add(w);
      });
    }
    return importPublicKey(this.roster.get(userId)!);
  }

  send(text: string): void {
    this.ws.send(text);
  }
  close(): void {
    this.ws.close(1000);
  }
}

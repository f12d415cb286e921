/**
 * Who this server is on the wire: its id (which the first introducer may replace: §9.1
 * `assigned_id`, adopted and stored), its key as advertised, the routing core's inputs
 * (`ctx`: now, our id and key, randomness — S1), and the frames it says about itself on its
 * own initiative — SERVER_HELLO_LINK and SERVER_ANNOUNCE (our address, key, what we speak,
 * our admission ticket: docs/contracts.md "Admission"), HEARTBEAT and CTRL_CLOSE — sealed by
 * the effect runner (signed once, serialised once) and handed over as text to the link manager
 * and the joiner.
 */
import { randomBytes } from 'node:crypto';
import { CAP_BIND, CAP_DELIVER_BATCH, type Outbound, type RoutingCtx, type ServerAddrPayload, type UnsignedFrame } from '@socp/protocol';
import type { Logger } from './logger';

export interface ServerSelfInit {
  /** Our server_id as stored (identity.ts). */
  id: string;
  /** Our server key as we advertise it (b64url DER, or b64url PEM when configured). */
  pub: string;
  advertiseHost: string;
  /** 0: the port the WebSocketServer listens on (`wsPort`). */
  advertisePort: number;
}

export interface ServerSelfComponents {
  log: Logger;
  /** Our current admission ticket, if an introducer gave us one (bootstrap/join.ts). */
  ticket(): Record<string, unknown> | undefined;
  /** Sign and serialise (effect-runner.ts prepare). */
  prepare(out: Outbound): { data: Buffer } | Promise<{ data: Buffer }>;
  /** Store a new server_id (adapters/redis-store.ts saveServerId). */
  saveId(id: string): Promise<void>;
}

export class ServerSelf {
  private current: string;
  /** The port our WebSocketServer listens on, once it does. */
  wsPort = 0;

  constructor(private readonly init: ServerSelfInit, private readonly c: ServerSelfComponents) {
    this.current = init.id;
  }

  get id(): string {
    return this.current;
  }

  get pub(): string {
    return this.init.pub;
  }

  /** The routing core's inputs now. */
  ctx(): RoutingCtx {
    return { now: Date.now(), selfId: this.current, selfPub: this.init.pub, random: randomBytes };
  }

  /** The introducer that admitted us gave us another server_id: use it from now on, and keep it. */
  adopt(assigned: string): void {
    if (assigned === this.current) return;
    this.c.log.warn({ proposed: this.current, assigned }, 'introducer assigned another server_id; adopting it');
    this.current = assigned;
    void this.c.saveId(assigned).catch((e: Error) => this.c.log.warn({ err: e.message }, 'could not persist assigned server_id'));
  }

  /** One frame of ours, signed, as the text sent on a socket. */
  async seal(f: UnsignedFrame): Promise<string> {
    return (await this.c.prepare({ seal: f })).data.toString('utf8');
  }

  /** Our address and key (SERVER_HELLO_JOIN). */
  addr(): { host: string; port: number; pubkey: string } {
    return { host: this.init.advertiseHost, port: this.init.advertisePort === 0 ? this.wsPort : this.init.advertisePort, pubkey: this.init.pub };
  }

  /** HELLO_LINK / ANNOUNCE payload: our address and key, what we speak, and our ticket. */
  hello(): ServerAddrPayload {
    const t = this.c.ticket();
    return t === undefined ? { ...this.addr(), caps: [CAP_BIND, CAP_DELIVER_BATCH] } : { ...this.addr(), caps: [CAP_BIND, CAP_DELIVER_BATCH], ticket: t };
  }

  helloLink(to: string): Promise<string> {
    return this.seal({ type: 'SERVER_HELLO_LINK', from: this.current, to, ts: Date.now(), payload: this.hello() });
  }

  announce(to: string): Promise<string> {
    return this.seal({ type: 'SERVER_ANNOUNCE', from: this.current, to, ts: Date.now(), payload: this.hello() });
  }

  heartbeat(to: string): Promise<string> {
    return this.seal({ type: 'HEARTBEAT', from: this.current, to, ts: Date.now(), payload: {} });
  }

  ctrlClose(to: string): Promise<string> {
    return this.seal({ type: 'CTRL_CLOSE', from: this.current, to, ts: Date.now(), payload: {} });
  }
}

/**
 * The sockets peers open to us, users and servers alike, on the WebSocketServer (S8). Until
 * `start()` a connection is refused 1013 ("try again later") instead of being left open with
 * nobody reading it — a peer would think its link is up and lose what it sends. Then each one is
 * counted per source address (source-caps.ts; over a cap: 1013), wrapped in a Connection with
 * the TCP socket the `connection` event hands over (connection.ts), and given a hello timeout:
 * a silent socket is closed 1008 unless it may be a linked server's own channel
 * (silent-sockets.ts). Its messages go to the inbound gate (inbound-gate.ts), and so does its end.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import { Connection } from './connection';
import { SHUTDOWN_GRACE_MS } from './limits';
import { SourceCaps, type SourceCapsInit } from './source-caps';

export interface InboundSocketsComponents {
  wss: WebSocketServer;
  log: Logger;
  metrics: ServerMetrics;
  /** At the hello timeout of a silent socket: keep it (true) or let it be closed (silent-sockets.ts keep). */
  keepSilent(c: Connection): boolean;
  onMessage(c: Connection, data: Buffer, isBinary: boolean): void;
  /** After its close event. */
  onClosed(c: Connection): void;
}

/** Until the node is ready: come back later. */
const notYet = (ws: WebSocket): void => ws.close(1013, 'starting');

export class InboundSockets {
  private readonly conns = new Map<string, Connection>();
  private readonly sources: SourceCaps;

  /** Refuses connections from now on, until start(). */
  constructor(init: SourceCapsInit, private readonly c: InboundSocketsComponents) {
    this.sources = new SourceCaps(init, c);
    c.wss.on('connection', notYet);
  }

  start(): void {
    const { wss, log } = this.c;
    wss.off('connection', notYet);
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
    wss.on('error', (e) => log.error({ err: e.message }, 'websocket server error'));
  }

  /** A connection we accepted, by id. */
  get(id: string): Connection | undefined {
    return this.conns.get(id);
  }

  /** The socket a server opened to us, if it has identified itself (we write on it when we have no link of our own). */
  fromServer(serverId: string): Connection | undefined {
    for (const c of this.conns.values()) if (c.role === 'server' && c.serverId === serverId) return c;
    return undefined;
  }

  /** Close every socket (1000); those that have not finished the close handshake SHUTDOWN_GRACE_MS later are cut. Then the server closes. */
  async stop(): Promise<void> {
    for (const c of this.conns.values()) c.close(1000, 'shutdown');
    // Give peers a moment to answer the close handshake, then cut whatever is left.
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.conns.values()) c.terminate();
    await new Promise<void>((res) => this.c.wss.close(() => res()));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const { log, metrics } = this.c;
    const slot = this.sources.admit(req.socket.remoteAddress);
    if (slot === undefined) return ws.close(1013, 'too many connections; try again later');
    const onHelloTimeout = (cc: Connection): void => {
      if (this.c.keepSilent(cc)) return;
      metrics.framesRejected.inc({ type: 'unknown', reason: 'TIMEOUT' });
      cc.log.info('no identifying frame in time: closing');
      cc.close(1008, 'hello timeout');
    };
    const c = new Connection(ws, 'inbound', log, metrics, { socket: req.socket, onHelloTimeout, slot });
    this.conns.set(c.id, c);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.c.onMessage(c, data, isBinary));
    ws.on('error', (e: Error & { code?: string }) => {
      const reason = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || /payload/i.test(e.message) ? 'SOCP_ERR_FRAME_TOO_LARGE' : 'SOCP_ERR_MALFORMED_JSON';
      metrics.framesRejected.inc({ type: 'unknown', reason });
      c.log.info({ err: e.message, reason }, 'websocket protocol error');
    });
    ws.on('close', () => {
      c.disposed();
      this.conns.delete(c.id);
      this.c.onClosed(c);
    });
  }
}

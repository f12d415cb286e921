/**
 * One WebSocket (S8): identity once known, a child logger, the outbound backpressure check
 * (bufferedAmount > MAX_OUTBOUND_BUFFER_BYTES → close 1013 as a slow consumer, counted), the
 * hello timeout, and per-connection token-bucket rate limits: every frame before it is parsed,
 * then (users) FILE_CHUNKs and all other frames each against their own budget, and the
 * signatures a frame costs (signature-cost.ts) against a signature budget. Before it identifies
 * itself a connection gets at most MAX_ANSWERS_BEFORE_HELLO answers (takeAnswer). An inbound
 * connection holds its slot in the per-source counts (source-caps.ts) until it closes.
 * Liveness (issue 14: peers without HEARTBEAT): `lastHeard` is the last message, ping or pong
 * on the socket, `ping()` asks for a pong, and `close()` cuts the socket only CLOSE_GRACE_MS
 * after its close frame.
 *
 * Reading is paused and resumed here (ws pause/resume; read-gate.ts decides when), and writes
 * are batched here: corked on the TCP socket under the WebSocket until the tick's work is done,
 * and queued in the outbox until that socket drains. `ws` shows that socket publicly only while
 * connecting — the `connection` event's request (`req.socket`) for an inbound socket, the
 * `upgrade` event's response (`res.socket`) for one we dial — so it is taken from there, never
 * from ws internals.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { HELLO_TIMEOUT_MS, MAX_OUTBOUND_BUFFER_BYTES } from '@socp/protocol';
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import {
  MAX_ANSWERS_BEFORE_HELLO, SERVER_FRAME_BURST, SERVER_FRAMES_PER_SEC, USER_FILE_CHUNK_BURST, USER_FILE_CHUNKS_PER_SEC, USER_FRAME_BURST, USER_FRAMES_PER_SEC,
  USER_LIST_BURST, USER_LISTS_PER_SEC, USER_SIGNATURE_BURST, USER_SIGNATURES_PER_SEC,
} from './limits';
import { closePolitely } from './close-politely';
import type { SourceSlot } from './source-caps';
import { TokenBucket } from './token-bucket';
import { Outbox } from './outbox';

export type Role = 'pending' | 'user' | 'server';

/** The TCP socket under a WebSocket (a net.Socket): corked to batch writes, waited on to drain, asked for the peer's address. */
export interface RawSocket {
  cork(): void;
  uncork(): void;
  once(event: 'drain', f: () => void): unknown;
  readonly remoteAddress?: string | undefined;
}

/** What an inbound connection is given by the server that accepted it. */
export interface InboundOptions {
  /** The accepted socket (`req.socket` of the WebSocketServer's `connection` event). */
  socket?: RawSocket;
  /** No identifying frame within HELLO_TIMEOUT_MS. */
  onHelloTimeout?: (c: Connection) => void;
  /** Its place in the per-source counts (source-caps.ts), released when it closes. */
  slot?: SourceSlot;
}

let nextId = 0;

export class Connection {
  readonly id = `c${++nextId}`;
  role: Role = 'pending';
  /** user_id after an accepted USER_HELLO. */
  userId: string | undefined;
  /** The peer server's id on a server link. */
  serverId: string | undefined;
  log: Logger;
  /** Every frame, checked before parsing; user connections: both budgets below together. */
  private any: TokenBucket;
  private readonly frames = new TokenBucket(USER_FRAMES_PER_SEC, USER_FRAME_BURST, Date.now());
  private readonly chunks = new TokenBucket(USER_FILE_CHUNKS_PER_SEC, USER_FILE_CHUNK_BURST, Date.now());
  private readonly lists = new TokenBucket(USER_LISTS_PER_SEC, USER_LIST_BURST, Date.now());
  private readonly signatures = new TokenBucket(USER_SIGNATURES_PER_SEC, USER_SIGNATURE_BURST, Date.now());
  /** Answers sent (or about to be) while pending. */
  private answers = 0;
  /** Reading paused since (read-gate.ts), and the time paused before that (ms). */
  private pausedAt: number | undefined;
  private pausedMs = 0;
  private readonly closeHooks: Array<() => void> = [];
  private helloTimer: NodeJS.Timeout | undefined;
  /** The hello timeout came while we were not reading: it is run again in full once we read. */
  private helloDeferred: (() => void) | undefined;
  closed = false;
  /** Writes are being gathered into one syscall until the current tick's work is done. */
  private corked = false;
  /** The TCP socket under `ws` (undefined until a dialled socket is upgraded). */
  private socket: RawSocket | undefined;
  private readonly slot: SourceSlot | undefined;
  /** Frames the socket has not taken yet (past OUTBOUND_SOFT_BYTES buffered in it). */
  private readonly outbox: Outbox;
  /** A refusal will close this connection: ignore further input. */
  closing = false;
  /** When the peer last showed life on this socket: a message, a ping or a pong (ms). */
  lastHeard = Date.now();

  constructor(
    readonly ws: WebSocket,
    readonly direction: 'inbound' | 'outbound',
    log: Logger,
    private readonly metrics: ServerMetrics,
    { socket, onHelloTimeout, slot }: InboundOptions = {},
  ) {
    this.log = log.child({ connId: this.id, direction });
    this.slot = slot;
    this.socket = socket;
    // A socket we dial: its TCP socket is handed over in the upgrade response, before `open`.
    if (socket === undefined) {
      ws.once('upgrade', (res: IncomingMessage) => {
        this.socket = res.socket;
      });
    }
    this.outbox = new Outbox(ws, () => this.socket, (data) => {
      this.corkForTick();
      this.ws.send(data, { binary: false });
    });
    const heard = (): void => {
      this.lastHeard = Date.now();
    };
    for (const ev of ['message', 'ping', 'pong'] as const) ws.on(ev, heard);
    this.any = new TokenBucket(USER_FRAMES_PER_SEC + USER_FILE_CHUNKS_PER_SEC, USER_FRAME_BURST + USER_FILE_CHUNK_BURST, Date.now());
    if (onHelloTimeout) {
      const expire = (): void => {
        if (this.pausedAt === undefined) return onHelloTimeout(this);
        // Its hello may be waiting in a socket we stopped reading: our delay, not the peer's.
        this.helloDeferred = () => {
          this.helloTimer = setTimeout(expire, HELLO_TIMEOUT_MS);
          this.helloTimer.unref();
        };
      };
      this.helloTimer = setTimeout(expire, HELLO_TIMEOUT_MS);
      this.helloTimer.unref();
    }
    this.metrics.connections.inc({ role: 'pending' });
  }

  /** The peer's counting key (source-caps.ts sourceKey): per-source limits (log-in throttling) use it. */
  get source(): string {
    return this.slot?.source ?? 'unknown';
  }

  setRole(role: 'user' | 'server', ids: { userId?: string; serverId?: string }): void {
    this.slot?.identified();
    if (role === 'server' && this.role !== 'server') this.any = new TokenBucket(SERVER_FRAMES_PER_SEC, SERVER_FRAME_BURST, Date.now());
    if (this.role !== role) {
      this.metrics.connections.dec({ role: this.role });
      this.metrics.connections.inc({ role });
      this.role = role;
    }
    clearTimeout(this.helloTimer);
    this.userId = ids.userId ?? this.userId;
    this.serverId = ids.serverId ?? this.serverId;
    this.log = this.log.child({ peer: role, ...ids });
  }

  /** Before parsing: take one token of the connection's overall budget; false when over it. */
  admit(now: number): boolean {
    return this.any.take(now);
  }

  /** After parsing: `n` more tokens of the overall budget (the further items of a SERVER_DELIVER_BATCH); false when over it. */
  admitMore(n: number, now: number): boolean {
    return this.any.takeCost(n, now);
  }

  /**
   * After parsing, on a user (or pending) connection: a FILE_CHUNK takes from the chunk budget,
   * any other frame from the frame budget, a LIST_REQUEST from the list budget as well; on a
   * user connection `signatures` (what the frame costs, signature-cost.ts) from the signature
   * budget. Undefined when admitted, else why not (for the ERROR; it names the frame type only,
   * so the signed refusal repeats and is reused: effect-runner's answer cache).
   */
  admitType(type: string, now: number, signatures = 0): string | undefined {
    if (this.role === 'server') return undefined;
    if (type === 'FILE_CHUNK') return this.chunks.take(now) ? undefined : `too many FILE_CHUNKs (at most ${USER_FILE_CHUNKS_PER_SEC}/s, bursts of ${USER_FILE_CHUNK_BURST}); slow down`;
    if (type === 'LIST_REQUEST' && !this.lists.take(now)) return `too many LIST_REQUESTs (at most ${USER_LISTS_PER_SEC}/s, bursts of ${USER_LIST_BURST}); slow down`;
    if (!this.frames.take(now)) return `too many frames (at most ${USER_FRAMES_PER_SEC}/s besides file chunks, bursts of ${USER_FRAME_BURST}); slow down`;
    // The signature budget refills only while we read this connection: time spent paused on a
    // signing backlog (often of its own making) earns no credit, however slow the machine is.
    if (this.role === 'user' && !this.signatures.takeCost(signatures, this.readingTime(now))) {
      return `too many signatures: ${type} costs one per signed copy the mesh sends (at most ${USER_SIGNATURES_PER_SEC}/s, bursts of ${USER_SIGNATURE_BURST}); slow down`;
    }
    return undefined;
  }

  /** Stop reading this socket (signing backlog, read-gate.ts). */
  pauseReading(now: number): void {
    if (this.pausedAt !== undefined) return;
    this.pausedAt = now;
    this.ws.pause();
  }

  resumeReading(now: number): void {
    if (this.pausedAt === undefined) return;
    this.pausedMs += Math.max(0, now - this.pausedAt);
    this.pausedAt = undefined;
    this.ws.resume();
    const rearm = this.helloDeferred;
    this.helloDeferred = undefined;
    if (rearm !== undefined && this.role === 'pending' && !this.closed) rearm();
  }

  /** A clock that stands still while reading is paused. */
  private readingTime(now: number): number {
    return now - this.pausedMs - (this.pausedAt === undefined ? 0 : Math.max(0, now - this.pausedAt));
  }

  /** Before identification: may one more answer go out? False past MAX_ANSWERS_BEFORE_HELLO (then close it). Always true once identified. */
  takeAnswer(): boolean {
    return this.role !== 'pending' || ++this.answers <= MAX_ANSWERS_BEFORE_HELLO;
  }

  /** Run `f` once when the socket has closed (at once if it already has). */
  onClose(f: () => void): void {
    if (this.closed) f();
    else this.closeHooks.push(f);
  }

  /**
   * Send one already-serialised frame as a text message (a Buffer of UTF-8 is written as is, so
   * one frame going to many sockets is encoded once; past OUTBOUND_SOFT_BYTES it waits in the
   * outbox as a reference); closes the socket as a slow consumer instead of buffering without bound.
   */
  send(text: string | Buffer, type: string): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    if (this.ws.bufferedAmount + this.outbox.bytes + data.length > MAX_OUTBOUND_BUFFER_BYTES) {
      this.metrics.slowConsumers.inc();
      this.log.warn({ buffered: this.ws.bufferedAmount + this.outbox.bytes }, 'slow consumer: outbound buffer full, closing');
      this.close(1013, 'slow consumer');
      return false;
    }
    this.outbox.push(data);
    this.metrics.framesSent.inc({ type });
    return true;
  }

  /**
   * The frames sent to this socket while the current batches run (a presence snapshot is one
   * frame per known user) leave in one write instead of one syscall each.
   */
  private corkForTick(): void {
    if (this.corked) return;
    const socket = this.socket;
    if (socket === undefined) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /** A WebSocket ping: the peer's WebSocket library answers it (a pong) without its application's help. */
  ping(): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    try {
      this.ws.ping();
    } catch {
      // closing under us: the close event follows
    }
  }

  /** Close with a close frame; the socket is cut if the handshake has not finished CLOSE_GRACE_MS later. */
  close(code: number, reason: string): void {
    if (!this.closed) closePolitely(this.ws, code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** The peer's IP address (IPv4-mapped IPv6 as IPv4), once connected. */
  get remoteAddress(): string | undefined {
    const a = this.socket?.remoteAddress;
    return a?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  }

  /** Called once from the socket's close event. */
  disposed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    this.slot?.release();
    this.metrics.connections.dec({ role: this.role });
    for (const f of this.closeHooks.splice(0)) f();
  }
}

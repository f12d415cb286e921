/**
 * One WebSocket connection to the introducer, from hello to close.
 *
 *  - The first frame must be SERVER_HELLO_JOIN within HELLO_TIMEOUT_MS; anything else gets an
 *    ERROR with its wire code and a 1008 close (a timeout gets ERROR TIMEOUT).
 *  - After a WELCOME the socket stays open: we send a signed HEARTBEAT and a WebSocket ping
 *    every `heartbeatMs`, and any inbound frame, ping or pong counts as life (one peer never
 *    sends HEARTBEAT, but every WebSocket library answers pings); silent for `deadAfterMs` →
 *    closed 1001 (@socp/node keepAlive, the one dead-link rule). Nothing is cut without a close frame: a socket we close is cut only if its
 *    close handshake has not finished CLOSE_GRACE_MS later (that peer's server exits on a cut).
 *  - Inbound HEARTBEAT must verify under the server's registered key (INVALID_SIG otherwise);
 *    CTRL_CLOSE prunes the server at once only when signed by that key (an unsigned or forged
 *    one just ends the socket, and the entry is pruned SOCP_PRUNE_AFTER_MS later); a repeated
 *    JOIN is handled like the first (it renews the ticket; a new id releases the old one: one
 *    entry per connection); other known server frames are ignored; undecodable ones get ERROR
 *    and change nothing.
 *  - Before a join is accepted, refusals are answered with one cached signed ERROR per code
 *    (no signature per junk frame) and the socket is closed.
 *  - More than MAX_FRAMES_PER_SECOND inbound frames closes the socket (SOCP_ERR_RATE_LIMITED).
 */
import { randomUUID } from 'node:crypto';
import {
  CLOSE_GRACE_MS, decodeFrame, encodeFrame, ERROR_CATALOGUE, HELLO_TIMEOUT_MS, sealFrame, SocpError, verifyFrame, importPublicKeyCached, withBind,
  type AdmitRules, type Frame, type FrameOf, type FrameType, type RsaPrivateKey, type SeenCache,
} from '@socp/protocol';
import { keepAlive, type KeepAlive } from '@socp/node';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { handleJoin } from './join-handler';
import type { IntroducerMetrics } from './metrics';
import type { Registry } from './registry';

/** Inbound frame budget per connection per second (a server sends one heartbeat per interval). */
export const MAX_FRAMES_PER_SECOND = 20;

export interface HubContext {
  readonly introducerId: string;
  readonly key: RsaPrivateKey;
  readonly registry: Registry;
  readonly seen: SeenCache;
  readonly metrics: IntroducerMetrics;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  /** The connection currently owning each joined server id. */
  readonly owners: Map<string, JoinConnection>;
  readonly joinSecret: string | undefined;
  readonly rules: AdmitRules;
  readonly ticketTtlMs: number;
  /** Signed ERROR frames answered before a join, one per code (their payload never names the peer). */
  readonly refusals: Map<string, string>;
}

export class JoinConnection {
  private serverId: string | undefined;
  private lastInbound = Date.now();
  private windowStart = Date.now();
  private windowCount = 0;
  private readonly helloTimer: NodeJS.Timeout;
  private watch: KeepAlive | undefined;
  private closed = false;

  constructor(private readonly ws: WebSocket, private readonly hub: HubContext, private readonly log: Logger) {
    this.helloTimer = setTimeout(() => this.fail(new SocpError('TIMEOUT', `no SERVER_HELLO_JOIN within ${HELLO_TIMEOUT_MS} ms`), true), HELLO_TIMEOUT_MS);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    for (const ev of ['ping', 'pong'] as const) ws.on(ev, () => void (this.serverId !== undefined && (this.lastInbound = Date.now())));
    ws.on('close', () => this.onClose());
    ws.on('error', (e: Error & { code?: string }) => {
      // ws reports protocol violations here (then closes): count the oversize ones like any rejected frame
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.hub.metrics.framesRejected.inc({ reason: 'SOCP_ERR_FRAME_TOO_LARGE' });
      this.log.info({ err: e.message, code: e.code }, 'socket error');
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ws.readyState !== this.ws.OPEN) return; // closing after a refusal: act on nothing more
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > MAX_FRAMES_PER_SECOND) return this.fail(new SocpError('SOCP_ERR_RATE_LIMITED', 'too many frames'), true);
    const decoded = isBinary ? { ok: false as const, error: new SocpError('SOCP_ERR_MALFORMED_JSON', 'binary message') } : decodeFrame(data);
    if (!decoded.ok) return this.fail(decoded.error, this.serverId === undefined);
    const frame = decoded.value;
    this.hub.metrics.framesReceived.inc({ type: frame.type });
    if (frame.type === 'SERVER_HELLO_JOIN') return this.onJoin(frame, now);
    if (this.serverId === undefined) {
      return this.fail(new SocpError('SOCP_ERR_NOT_ALLOWED', `first frame must be SERVER_HELLO_JOIN, got ${frame.type}`), true);
    }
    this.lastInbound = now;
    switch (frame.type) {
      case 'HEARTBEAT':
        return this.onHeartbeat(frame, now);
      case 'CTRL_CLOSE':
        return this.onCtrlClose(frame);
      default:
        this.log.debug({ type: frame.type }, 'frame ignored by introducer');
    }
  }

  private onJoin(frame: FrameOf<'SERVER_HELLO_JOIN'>, now: number): void {
    const hub = this.hub;
    const out = handleJoin(frame, {
      registry: hub.registry, seen: hub.seen, introducerId: hub.introducerId, key: hub.key, now, newId: randomUUID,
      joinSecret: hub.joinSecret, rules: hub.rules, ticketTtlMs: hub.ticketTtlMs, ownedId: this.serverId,
      liveElsewhere: (id) => {
        const o = hub.owners.get(id);
        return o !== undefined && o !== this;
      },
    });
    if (!out.ok) {
      hub.metrics.joins.inc({ result: out.error.code === 'SOCP_ERR_NOT_ADMITTED' ? 'not_admitted' : 'rejected' });
      return this.fail(out.error, this.serverId === undefined);
    }
    hub.metrics.joins.inc({ result: 'accepted' });
    clearTimeout(this.helloTimer);
    for (const id of out.dropped) {
      hub.metrics.prunes.inc({ reason: 'replaced' });
      this.log.info({ serverId: id, by: out.serverId }, 'registry entry replaced (same key or same connection)');
      const o = hub.owners.get(id);
      if (o === this) hub.owners.delete(id);
    }
    if (this.serverId !== undefined && this.serverId !== out.serverId) this.release();
    if (out.via !== 'proof') this.log.warn({ serverId: out.serverId, rule: out.via }, 'server admitted by an SOCP_ADMIT rule (no join secret)');
    const previous = hub.owners.get(out.serverId);
    hub.owners.set(out.serverId, this);
    if (previous && previous !== this) previous.replaced();
    this.serverId = out.serverId;
    this.lastInbound = now;
    this.log.info({ serverId: out.serverId, keptId: out.kept, host: frame.payload.host, port: frame.payload.port, others: out.welcome.payload.servers?.length }, 'server joined');
    this.send(out.welcome);
    this.watch ??= keepAlive({ everyMs: this.hub.heartbeatMs, deadAfterMs: this.hub.deadAfterMs }, {
      lastHeard: () => this.lastInbound,
      beat: (t) => this.beat(t),
      dead: (silentMs) => {
        this.log.info({ serverId: this.serverId, silentMs }, 'server link dead: no frame, ping or pong; closing');
        this.close(1001, `no frame or pong for ${silentMs} ms`);
      },
    });
  }

  private onHeartbeat(frame: FrameOf<'HEARTBEAT'>, now: number): void {
    const rec = this.hub.registry.get(this.serverId!);
    if (!rec) return; // pruned meanwhile; the socket closes with the owner check below
    let v;
    try {
      v = frame.from === rec.server_id ? verifyFrame(frame, importPublicKeyCached(rec.pubkey)) : { ok: false as const, error: new SocpError('SOCP_ERR_NOT_ALLOWED', 'HEARTBEAT from another id') };
    } catch {
      v = { ok: false as const, error: new SocpError('BAD_KEY', 'registered key unusable') };
    }
    if (!v.ok) return this.fail(v.error, false);
    this.hub.registry.touch(rec.server_id, now);
  }

  /** A signed CTRL_CLOSE (the server's registered key, matching binding) prunes it at once; any other just ends this socket. */
  private onCtrlClose(frame: FrameOf<'CTRL_CLOSE'>): void {
    const rec = this.hub.registry.get(this.serverId!);
    let signed = false;
    try {
      signed = rec !== undefined && frame.from === rec.server_id && verifyFrame(frame, importPublicKeyCached(rec.pubkey)).ok;
    } catch {
      signed = false;
    }
    if (signed) {
      this.log.info({ serverId: this.serverId }, 'CTRL_CLOSE: pruning server');
      if (this.hub.registry.remove(this.serverId!)) this.hub.metrics.prunes.inc({ reason: 'ctrl_close' });
      this.release();
    } else {
      this.hub.metrics.framesRejected.inc({ reason: 'INVALID_SIG' });
      this.log.info({ serverId: this.serverId }, 'CTRL_CLOSE not signed by the server\'s key: socket closed, entry kept until pruned');
    }
    this.close(1000, 'CTRL_CLOSE');
  }

  /** Alive (keep-alive.ts): heartbeat and ping out. */
  private beat(now: number): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    if (this.serverId) this.send(sealFrame(withBind({ type: 'HEARTBEAT', from: this.hub.introducerId, to: this.serverId, ts: now, payload: {} }), this.hub.key));
  }

  /** Close with a close frame; cut the socket if the handshake has not finished CLOSE_GRACE_MS later. */
  private close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason.slice(0, 120));
    setTimeout(() => this.closed || this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Send ERROR for a rejected frame; close the socket when `close` (bad hello, rate limit). */
  private fail(e: SocpError, close: boolean): void {
    this.hub.metrics.framesRejected.inc({ reason: e.code });
    this.log.info({ code: e.code, detail: e.message, serverId: this.serverId }, 'frame rejected');
    const code = e.wire ?? 'UNKNOWN_TYPE';
    if (this.ws.readyState === this.ws.OPEN) {
      if (this.serverId === undefined) this.sendRaw(this.refusal(e), 'ERROR');
      else this.send(sealFrame(withBind({ type: 'ERROR', from: this.hub.introducerId, to: this.serverId, ts: Date.now(), payload: { code, detail: e.message.slice(0, 200) } }), this.hub.key));
    }
    if (close) this.close(e.closeCode ?? 1008, e.code);
  }

  /**
   * The answer to a peer that has not joined: one signed ERROR per internal code, made once and
   * reused (the sig covers only the payload, which names neither the peer nor the moment), so
   * junk costs us no signature. The precise reason is in our log line.
   */
  private refusal(e: SocpError): string {
    let text = this.hub.refusals.get(e.code);
    if (text === undefined) {
      const detail = `${e.code}: ${ERROR_CATALOGUE[e.code].doc}`.slice(0, 200);
      text = encodeFrame(sealFrame({ type: 'ERROR', from: this.hub.introducerId, to: '*', ts: Date.now(), payload: { code: e.wire ?? 'UNKNOWN_TYPE', detail } }, this.hub.key));
      this.hub.refusals.set(e.code, text);
    }
    return text;
  }

  private sendRaw(text: string, type: FrameType): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
    this.hub.metrics.framesSent.inc({ type });
  }

  private send(frame: Frame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(frame));
    this.hub.metrics.framesSent.inc({ type: frame.type as FrameType });
  }

  /** Another socket joined with the same id: this one no longer speaks for it. */
  private replaced(): void {
    this.serverId = undefined;
    this.close(1000, 'replaced by a newer connection');
  }

  /** Stop owning our server id (without marking it disconnected). */
  private release(): void {
    if (this.serverId && this.hub.owners.get(this.serverId) === this) this.hub.owners.delete(this.serverId);
    this.serverId = undefined;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    this.watch?.stop();
    this.hub.metrics.connections.dec();
    const id = this.serverId;
    if (id && this.hub.owners.get(id) === this) {
      this.hub.owners.delete(id);
      this.hub.registry.markDisconnected(id, Date.now());
      this.log.info({ serverId: id }, 'server disconnected');
    }
  }
}

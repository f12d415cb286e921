/**
 * The inbound path (S1, shell side): what happens to every WebSocket message, on user
 * connections and server links alike, before and after the routing core sees it:
 *
 *   admit (the connection's overall rate, before parsing) → text messages only → decodeFrame
 *   (size, JSON, schema) → the per-type budgets (connection.ts admitType, signature-cost.ts) →
 *   account requests before USER_HELLO (accounts/account-service.ts) → the first frame decides
 *   the role (classifyFirstFrame) → authenticate (sig under the pinned/bound key) → storage
 *   refusal (adapters/storage-guard.ts) → the routing core → its effects (effect-runner.ts).
 *   A SERVER_DELIVER_BATCH is checked once (signature, binding) and then each of its items
 *   goes from the storage refusal on as the SERVER_DELIVER it stands for (routing/deliver-batch.ts).
 *
 * Every refusal (`reject`) is an ERROR frame with the catalogue's wire code (if any), a log
 * line and socp_frames_rejected_total{type,reason}; no refusal changes state, and one that
 * closes the connection stops reading it at once. After every message, while the runner has a
 * signing backlog, the connection is not read until it clears (read-gate.ts).
 */
import {
  SocpError, authenticateServerFrame, authenticateUserFrame, classifyFirstFrame, decodeFrame, dedupeKey, handleServerFrame, handleUserFrame, handleUserGone,
  handleUserHello, isAccountRequest, refuse, unpackDeliverBatch,
  type Frame, type FrameOf, type RoutingCtx, type RoutingState, type SocpErrorCode, type Verified,
} from '@socp/protocol';
import type { ServerMetrics } from '../metrics';
import type { EffectRunner } from '../effect-runner';
import type { AccountService } from '../accounts/account-service';
import type { Connection } from './connection';
import { ReadGate, type PausedReads } from './read-gate';
import { signatureCost } from './signature-cost';

export interface InboundGateComponents {
  /** Read here (roles, costs); the core's handlers change it. */
  state: RoutingState;
  runner: Pick<EffectRunner, 'run' | 'storage' | 'backlogged'>;
  accounts: Pick<AccountService<Connection>, 'handle' | 'helloCheck'>;
  /** Told when reading stops and starts again (link-manager.ts: a paused link is not silent). */
  liveness: PausedReads;
  metrics: ServerMetrics;
  ctx(): RoutingCtx;
  /** A frame came from server `serverId` (the link it came on): it is alive (link-manager.ts touch). */
  heardFrom(serverId: string): void;
  /** An account user is in: what queued for it while away goes out (accounts/offline-queue.ts). */
  deliverQueued(userId: string, connId: string): void;
}

export class InboundGate {
  /** Connections not read while the runner has too many signatures queued (backpressure). */
  private readonly reads: ReadGate;

  constructor(private readonly c: InboundGateComponents) {
    this.reads = new ReadGate(c.liveness, c.metrics);
  }

  /** The runner's signing backlog cleared: read every connection again. */
  resumeReads(): void {
    this.reads.resumeAll();
  }

  /** One WebSocket message from `conn` (one we accepted or a link we dialled). Never throws. */
  onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (conn.closed || conn.closing) return;
    try {
      this.handle(conn, data, isBinary);
    } catch (e) {
      // An invariant broke in our code: never crash the process on one frame.
      this.c.metrics.framesRejected.inc({ type: 'unknown', reason: 'SOCP_ERR_INTERNAL' });
      conn.log.error({ err: (e as Error).message }, 'frame handling failed');
    }
    this.reads.after(conn, this.c.runner.backlogged);
  }

  /** Refuse a frame on `conn` (see above); `close` (or the code's own close code) closes it after the ERROR went out. */
  reject(conn: Connection, type: Frame['type'] | 'unknown', from: string | undefined, code: SocpErrorCode, detail: string, close?: number): void {
    const e = new SocpError(code, detail);
    const { selfId } = this.c.ctx();
    const cc = close ?? e.closeCode;
    if (cc !== undefined) conn.closing = true; // nothing more is read from it (no ERROR per flooded frame)
    void this.c.runner.run(refuse(conn.id, from === undefined ? { type } : { type, from }, e, selfId, Date.now())).then(() => {
      if (cc !== undefined) conn.close(cc, code);
    });
  }

  /** `conn` closed: it is read no more, and a user on it is gone. */
  closed(conn: Connection): void {
    this.reads.forget(conn);
    if (conn.role !== 'user' || conn.userId === undefined) return;
    const q = this.c.state.queueAcks.get(conn.userId);
    if (q?.connId === conn.id && q.pending.size > 0) this.c.metrics.queuedUnacked.inc(q.pending.size);
    void this.c.runner.run(handleUserGone(this.c.state, conn.userId, conn.id, this.c.ctx()).effects);
  }

  private handle(conn: Connection, data: Buffer, isBinary: boolean): void {
    const { state, metrics } = this.c;
    const now = Date.now();
    const who = conn.userId ?? conn.serverId;
    if (!conn.admit(now)) return this.reject(conn, 'unknown', who, 'SOCP_ERR_RATE_LIMITED', 'too many frames; slow down');
    if (isBinary) return this.reject(conn, 'unknown', who, 'SOCP_ERR_MALFORMED_JSON', 'frames are WebSocket text messages (§3)');
    const d = decodeFrame(data);
    if (!d.ok) return this.reject(conn, 'unknown', who, d.error.code, d.error.message);
    const f = d.value;
    const over = conn.admitType(f.type, now, signatureCost(state, f));
    if (over !== undefined) return this.reject(conn, f.type, f.from, 'SOCP_ERR_RATE_LIMITED', over);
    metrics.framesReceived.inc({ type: f.type });
    // Account extension frames (docs/accounts.md) come before USER_HELLO on a user connection.
    if (conn.role === 'pending' && isAccountRequest(f)) return void this.c.accounts.handle(conn, f);
    const role = conn.role === 'pending' ? classifyFirstFrame(state, f, now) : conn.role;
    if (role === undefined) return this.reject(conn, f.type, f.from, 'SOCP_ERR_NOT_ALLOWED', `${f.type} cannot open a connection; send USER_HELLO or SERVER_HELLO_LINK first`, 1008);
    if (role === 'user') this.fromUser(conn, f);
    else this.fromServer(conn, f);
  }

  /** Time a signature check into socp_crypto_duration_seconds{op="verify"}. */
  private verify<T>(check: () => T): T {
    const t0 = process.hrtime.bigint();
    const v = check();
    this.c.metrics.cryptoSeconds.observe({ op: 'verify' }, Number(process.hrtime.bigint() - t0) / 1e9);
    return v;
  }

  private fromUser(conn: Connection, f: Frame): void {
    const { state, runner } = this.c;
    const a = this.verify(() => authenticateUserFrame(state, f, conn.userId));
    if (!a.ok) return this.reject(conn, f.type, f.from, a.error.code, a.error.message);
    const full = runner.storage.refusal(state, a.value, conn.id, this.c.ctx());
    if (full) return void runner.run(full);
    if (a.value.type === 'USER_HELLO') return this.hello(conn, a.value);
    const { effects } = handleUserFrame(state, a.value, conn.userId!, conn.id, this.c.ctx());
    // An ACK of queued DMs (routing/queue-acks.ts) removes the entries it names.
    if (a.value.type === 'ACK') for (const e of effects) if (e.kind === 'persist' && e.op.op === 'dequeue') this.c.metrics.queuedAcked.inc(e.op.entries.length);
    void runner.run(effects);
  }

  private hello(conn: Connection, f: Verified<FrameOf<'USER_HELLO'>>): void {
    const account = this.c.accounts.helloCheck(conn, f);
    if (!account.ok) return this.reject(conn, f.type, f.from, account.error.code, account.error.message);
    const { login } = account.value;
    const r = handleUserHello(this.c.state, f, conn.id, this.c.ctx(), { accountLogin: login });
    if (r.accepted) conn.setRole('user', { userId: f.from });
    void this.c.runner.run(r.effects);
    if (r.accepted && login) this.c.deliverQueued(f.from, conn.id);
  }

  private fromServer(conn: Connection, f: Frame): void {
    const { state, runner } = this.c;
    const a = this.verify(() => authenticateServerFrame(state, f, this.c.ctx()));
    if (!a.ok) return this.reject(conn, f.type, f.from, a.error.code, a.error.message, conn.role === 'pending' ? 1008 : undefined);
    if (conn.role === 'pending') conn.setRole('server', { serverId: f.from });
    // Liveness is per link: a relayed frame proves the relay alive, not its originator.
    this.c.heardFrom(conn.serverId ?? f.from);
    if (a.value.type !== 'SERVER_DELIVER_BATCH') return this.toCore(conn, a.value);
    // Each item is the SERVER_DELIVER it stands for (routing/deliver-batch.ts), and costs as much of the link's budget.
    if (!conn.admitMore(a.value.payload.deliveries.length - 1, Date.now())) return this.reject(conn, f.type, f.from, 'SOCP_ERR_RATE_LIMITED', 'too many frames; slow down');
    const items = unpackDeliverBatch(state, a.value, this.c.ctx());
    if (!items.ok) return this.reject(conn, f.type, f.from, items.error.code, items.error.message);
    this.c.metrics.batchedDeliveriesReceived.inc(items.value.length);
    for (const it of items.value) {
      if (it.ok) this.toCore(conn, it.frame);
      else void runner.run(refuse(conn.id, it.frame, it.error, this.c.ctx().selfId, Date.now(), { msg_ref: dedupeKey(it.frame) }));
    }
  }

  /** A verified server frame past the storage guard to the routing core. */
  private toCore(conn: Connection, f: Verified<Frame>): void {
    const { state, runner } = this.c;
    const full = runner.storage.refusal(state, f, conn.id, this.c.ctx());
    if (full) return void runner.run(full);
    void runner.run(handleServerFrame(state, f, conn.serverId ?? f.from, conn.id, this.c.ctx()).effects);
  }
}

/**
 * One running SOCP server: wires the pure routing core to its shell (connections, link manager,
 * joiner, effect runner, Redis store, admin app). Built by main.ts (and by tests) from injected
 * Redis, logger, metrics registry and WebSocketServer (S9).
 *
 * Inbound path, per WebSocket message: rate limit → decodeFrame (size, JSON, schema) →
 * first frame decides the role → authenticate (sig under the pinned/bound key) → core handler →
 * effects. Every refusal is an ERROR frame with the catalogue's wire code (if any), a log line
 * and socp_frames_rejected_total{type,reason}; no refusal changes state.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { WebSocket, WebSocketServer } from 'ws';
import {
  SEEN_IDS_CAPACITY, SocpError, authenticateServerFrame, authenticateUserFrame, classifyFirstFrame, createRoutingState, decodeFrame,
  handleLinkDown, handleLinkUp, handleServerFrame, handleUserFrame, handleUserGone, handleUserHello, handleWelcome, importPublicKey, isAccountRequest, offerQueued,
  queueReadMode, refuse, restoreState, CAP_BIND, describeAdmitRules,
  type Effect, type ServerAddrPayload, type Frame, type RoutingCtx, type RoutingState, type SocpErrorCode, type UnsignedFrame,
} from '@socp/protocol';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config';
import type { Logger } from './logger';
import { createMetrics, type ServerMetrics } from './metrics';
import { RedisStore } from './adapters/redis-store';
import { EffectRunner } from './effect-runner';
import { loadOrCreateIdentity, type Identity } from './identity';
import { buildAdminApp } from './app';
import { Connection } from './transport/connection';
import { LinkManager } from './transport/link-manager';
import { SilentSockets } from './transport/silent-sockets';
import { SHUTDOWN_GRACE_MS } from './transport/limits';
import { ReadGate } from './transport/read-gate';
import { signatureCost } from './transport/signature-cost';
import { SourceCaps } from './transport/source-caps';
import { Joiner } from './bootstrap/join';
import { AccountService } from './accounts/account-service';
import { AccountStore } from './accounts/account-store';

export interface ServerDeps { redis: Redis; log: Logger; registry: Registry; wss: WebSocketServer }

export interface ServerNode {
  readonly serverId: string;
  readonly pubkey: string;
  readonly wsPort: number;
  readonly adminPort: number;
  readonly state: RoutingState;
  readonly metrics: ServerMetrics;
  readonly admin: FastifyInstance;
  /** Resolves when all effects queued so far went out. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServerNode(config: ServerConfig, deps: ServerDeps): Promise<ServerNode> {
  const { redis, log, registry, wss } = deps;
  // The socket may already be listening: until the node is ready, refuse connections (1013,
  // try again later) instead of leaving them open with nobody reading — a peer would think its
  // link is up and lose what it sends.
  const notYet = (ws: WebSocket): void => ws.close(1013, 'starting');
  wss.on('connection', notYet);
  const metrics = createMetrics(registry);
  const store = new RedisStore(redis);
  redis.on('ready', () => metrics.redisUp.set(1));
  redis.on('end', () => metrics.redisUp.set(0));
  redis.on('error', (e: Error) => {
    metrics.redisUp.set(0);
    log.warn({ err: e.message }, 'redis error');
  });

  const identity: Identity = await loadOrCreateIdentity(store, config.keyPassphrase, config.rsaPrimes);
  metrics.redisUp.set(1);
  const selfPub = config.serverKeyFormat === 'pem' ? identity.key.publicKey.toPemBase64Url() : identity.key.publicKey.toBase64Url();
  log.info({ serverId: identity.serverId, created: identity.created, fingerprint: identity.key.publicKey.fingerprint() }, 'identity loaded');

  // Admission (docs/SECURITY.md): tickets of the introducers pinned in SOCP_BOOTSTRAP, and the operator's SOCP_ADMIT rules.
  const issuers = new Map(config.bootstrap.flatMap((b) => (b.pubkey === undefined ? [] : [importPublicKey(b.pubkey)])).map((k) => [k.fingerprint(), k] as const));
  const state = createRoutingState({ dedupeTtlMs: config.dedupeTtlMs, trust: { issuers, rules: config.admit } });
  log.info({ ticketIssuers: issuers.size, admitWithoutTicket: describeAdmitRules(config.admit), joinProof: config.joinSecret !== undefined }, 'admission');
  if (config.admit.any || config.admit.addrs.size > 0 || config.admit.keys.size > 0) log.warn({ rules: describeAdmitRules(config.admit) }, 'open federation: SOCP_ADMIT lets servers in without an admission ticket');
  // The core fills the state from what Redis kept (routing/restore.ts); its log lines go out through the runner below.
  const restored = restoreState(state, await store.loadState(Date.now(), SEEN_IDS_CAPACITY));
  await store.resetPresence();

  let selfId = identity.serverId;
  const ctx = (): RoutingCtx => ({ now: Date.now(), selfId, selfPub, random: randomBytes });
  const conns = new Map<string, Connection>();
  let wsPort = 0;

  const links: LinkManager = new LinkManager(
    { heartbeatMs: config.heartbeatMs, deadAfterMs: config.deadAfterMs, backoffMs: config.backoffMs },
    {
      log,
      metrics,
      helloLink: (sid) => sealText({ type: 'SERVER_HELLO_LINK', from: selfId, to: sid, ts: Date.now(), payload: selfHello() }),
      heartbeat: (sid) => sealText({ type: 'HEARTBEAT', from: selfId, to: sid, ts: Date.now(), payload: {} }),
      ctrlClose: (sid) => sealText({ type: 'CTRL_CLOSE', from: selfId, to: sid, ts: Date.now(), payload: {} }),
      onMessage: (c, data, bin) => onMessage(c, data, bin),
      linkUp: (sid) => void runner.run(handleLinkUp(state, sid, ctx())),
      linkDown: (sid) => void runner.run(handleLinkDown(state, sid, ctx())),
    },
  );
  // A peer's own outbound socket to us may stay silent: kept while it answers pings (transport/silent-sockets.ts).
  const silent = new SilentSockets({ heartbeatMs: config.heartbeatMs, deadAfterMs: config.deadAfterMs }, { log, metrics, linkedAddress: (a) => links.linkedAddress(a) });
  const runner: EffectRunner = new EffectRunner(
    state,
    () => identity.key,
    {
      connection: (id) => conns.get(id),
      serverLink: (sid) => links.link(sid) ?? [...conns.values()].find((c) => c.role === 'server' && c.serverId === sid && c.direction === 'inbound'),
      dial: (sid, host, port) => links.ensure(sid, host, port),
    },
    store,
    metrics,
    log,
    SEEN_IDS_CAPACITY,
  );
  void runner.run(restored.effects);
  const accounts = await AccountService.create<Connection>(new AccountStore(redis), config.keyPassphrase, state, {
    self: {
      get id() {
        return selfId;
      },
      pub: selfPub,
    },
    run: (effects) => void runner.run(effects),
    refuse: (c, f, code, detail, close) => reject(c, f.type, f.from, code, detail, close),
    log,
    storage: runner.storage,
    metrics,
  });
  const sealText = async (f: UnsignedFrame): Promise<string> => (await runner.prepare({ seal: f })).data.toString('utf8');
  const selfAddr = (): { host: string; port: number; pubkey: string } => ({ host: config.advertiseHost, port: config.advertisePort === 0 ? wsPort : config.advertisePort, pubkey: selfPub });
  /** HELLO_LINK / ANNOUNCE payload: our address and key, what we speak, and our admission ticket (docs/contracts.md "Admission"). */
  const selfHello = (): ServerAddrPayload => {
    const t = joiner.ticket;
    return t === undefined ? { ...selfAddr(), caps: [CAP_BIND] } : { ...selfAddr(), caps: [CAP_BIND], ticket: t };
  };

  const reject = (c: Connection, type: Frame['type'] | 'unknown', from: string | undefined, code: SocpErrorCode, detail: string, close?: number): void => {
    const e = new SocpError(code, detail);
    const effects: Effect[] = refuse(c.id, from === undefined ? { type } : { type, from }, e, selfId, Date.now());
    const cc = close ?? e.closeCode;
    if (cc !== undefined) c.closing = true; // nothing more is read from it (no ERROR per flooded frame)
    void runner.run(effects).then(() => {
      if (cc !== undefined) c.close(cc, code);
    });
  };

  /**
   * Offline delivery: what queued while the user was away, in order, after the hello's ACK.
   * A client that ACKs queued DMs (routing/queue-acks.ts) gets them without their deletion; one
   * that does not gets them taken (LRANGE+DEL). Nothing is read once the user has left.
   */
  async function deliverQueued(userId: string, connId: string): Promise<void> {
    try {
      await runner.idle();
      await runner.writes.flush();
      const mode = queueReadMode(state, userId, connId);
      if (mode === undefined) return;
      const raws = mode === 'ack' ? await store.readQueue(userId) : await store.drainQueue(userId);
      if (raws.length === 0) return;
      const r = offerQueued(state, userId, connId, raws, ctx());
      metrics.queuedDelivered.inc({ mode }, r.sent);
      await runner.run(r.effects);
    } catch (e) {
      log.warn({ userId, err: (e as Error).message }, 'could not deliver the offline queue');
    }
  }

  /** Connections not read while the runner has too many signatures queued (backpressure). */
  const reads = new ReadGate(links, metrics);
  runner.onBacklogCleared = () => reads.resumeAll();
  const sources = new SourceCaps({ maxOpen: config.maxConnsPerIp, maxPending: config.maxPendingPerIp }, { log, metrics });

  function onMessage(c: Connection, data: Buffer, isBinary: boolean): void {
    if (c.closed || c.closing) return;
    try {
      handleMessage(c, data, isBinary);
    } catch (e) {
      // An invariant broke in our code: never crash the process on one frame.
      metrics.framesRejected.inc({ type: 'unknown', reason: 'SOCP_ERR_INTERNAL' });
      c.log.error({ err: (e as Error).message }, 'frame handling failed');
    }
    reads.after(c, runner.backlogged);
  }

  function handleMessage(c: Connection, data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    if (!c.admit(now)) return reject(c, 'unknown', c.userId ?? c.serverId, 'SOCP_ERR_RATE_LIMITED', 'too many frames; slow down');
    if (isBinary) return reject(c, 'unknown', c.userId ?? c.serverId, 'SOCP_ERR_MALFORMED_JSON', 'frames are WebSocket text messages (§3)');
    const d = decodeFrame(data);
    if (!d.ok) return reject(c, 'unknown', c.userId ?? c.serverId, d.error.code, d.error.message);
    const f = d.value;
    const over = c.admitType(f.type, now, signatureCost(state, f));
    if (over !== undefined) return reject(c, f.type, f.from, 'SOCP_ERR_RATE_LIMITED', over);
    metrics.framesReceived.inc({ type: f.type });
    // Account extension frames (docs/accounts.md) come before USER_HELLO on a user connection.
    if (c.role === 'pending' && isAccountRequest(f)) return void accounts.handle(c, f);
    const role = c.role === 'pending' ? classifyFirstFrame(state, f, now) : c.role;
    if (role === undefined) return reject(c, f.type, f.from, 'SOCP_ERR_NOT_ALLOWED', `${f.type} cannot open a connection; send USER_HELLO or SERVER_HELLO_LINK first`, 1008);
    const t0 = process.hrtime.bigint();
    const timed = <T>(v: T): T => {
      metrics.cryptoSeconds.observe({ op: 'verify' }, Number(process.hrtime.bigint() - t0) / 1e9);
      return v;
    };
    if (role === 'user') {
      const a = timed(authenticateUserFrame(state, f, c.userId));
      if (!a.ok) return reject(c, f.type, f.from, a.error.code, a.error.message);
      const full = runner.storage.refusal(state, a.value, c.id, ctx());
      if (full) return void runner.run(full);
      if (a.value.type === 'USER_HELLO') {
        const account = accounts.helloCheck(c, a.value);
        if (!account.ok) return reject(c, f.type, f.from, account.error.code, account.error.message);
        const r = handleUserHello(state, a.value, c.id, ctx(), { accountLogin: account.value.login });
        if (r.accepted) c.setRole('user', { userId: a.value.from });
        void runner.run(r.effects);
        if (r.accepted && account.value.login) void deliverQueued(a.value.from, c.id);
        return;
      }
      const { effects } = handleUserFrame(state, a.value, c.userId!, c.id, ctx());
      // An ACK of queued DMs (routing/queue-acks.ts) removes the entries it names.
      if (a.value.type === 'ACK') for (const e of effects) if (e.kind === 'persist' && e.op.op === 'dequeue') metrics.queuedAcked.inc(e.op.entries.length);
      void runner.run(effects);
      return;
    }
    const a = timed(authenticateServerFrame(state, f, ctx()));
    if (!a.ok) return reject(c, f.type, f.from, a.error.code, a.error.message, c.role === 'pending' ? 1008 : undefined);
    if (c.role === 'pending') c.setRole('server', { serverId: f.from });
    // Liveness is per link: a relayed frame proves the relay alive, not its originator.
    links.touch(c.serverId ?? f.from);
    const full = runner.storage.refusal(state, a.value, c.id, ctx());
    if (full) return void runner.run(full);
    void runner.run(handleServerFrame(state, a.value, c.serverId ?? f.from, c.id, ctx()).effects);
  }

  wss.off('connection', notYet);
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const slot = sources.admit(req.socket.remoteAddress);
    if (slot === undefined) return ws.close(1013, 'too many connections; try again later');
    const onHelloTimeout = (cc: Connection): void => {
      if (silent.keep(cc)) return;
      metrics.framesRejected.inc({ type: 'unknown', reason: 'TIMEOUT' });
      cc.log.info('no identifying frame in time: closing');
      cc.close(1008, 'hello timeout');
    };
    const c = new Connection(ws, 'inbound', log, metrics, { socket: req.socket, onHelloTimeout, slot });
    conns.set(c.id, c);
    ws.on('message', (data: Buffer, isBinary: boolean) => onMessage(c, data, isBinary));
    ws.on('error', (e: Error & { code?: string }) => {
      const reason = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || /payload/i.test(e.message) ? 'SOCP_ERR_FRAME_TOO_LARGE' : 'SOCP_ERR_MALFORMED_JSON';
      metrics.framesRejected.inc({ type: 'unknown', reason });
      c.log.info({ err: e.message, reason }, 'websocket protocol error');
    });
    ws.on('close', () => {
      c.disposed();
      conns.delete(c.id);
      reads.forget(c);
      if (c.role === 'user' && c.userId !== undefined) {
        const q = state.queueAcks.get(c.userId);
        if (q?.connId === c.id && q.pending.size > 0) metrics.queuedUnacked.inc(q.pending.size);
        void runner.run(handleUserGone(state, c.userId, c.id, ctx()).effects);
      }
    });
  });
  wss.on('error', (e) => log.error({ err: e.message }, 'websocket server error'));

  const joiner = new Joiner(
    { introducers: config.bootstrap, heartbeatMs: config.heartbeatMs, deadAfterMs: config.deadAfterMs, backoffMs: config.backoffMs, joinSecret: config.joinSecret },
    {
      log,
      metrics,
      selfId: () => selfId,
      selfAddr,
      seal: sealText,
      onTicket: () => {
        log.info('admission ticket renewed; announcing it to linked servers');
        links.broadcast((sid) => sealText({ type: 'SERVER_ANNOUNCE', from: selfId, to: sid, ts: Date.now(), payload: selfHello() }), 'SERVER_ANNOUNCE');
      },
      onWelcome: (p, first, pinned, introducer) => {
        if (first && p.assigned_id && p.assigned_id !== selfId) {
          log.warn({ proposed: selfId, assigned: p.assigned_id }, 'introducer assigned another server_id; adopting it');
          selfId = p.assigned_id;
          void store.saveServerId(selfId).catch((e: Error) => log.warn({ err: e.message }, 'could not persist assigned server_id'));
        }
        void runner.run(handleWelcome(state, p, ctx(), pinned, introducer).effects);
        if (first) for (const [sid, a] of state.serverAddrs) if (sid !== selfId) links.ensure(sid, a.host, a.port);
      },
    },
  );

  const admin = buildAdminApp({
    registry,
    checks: async () => {
      const r = await store.ping(500);
      metrics.redisUp.set(r ? 1 : 0);
      return { redis: r, keys: true, mesh: joiner.joined, storage: !runner.storage.full };
    },
    identity: () => ({ id: selfId, pubkey: selfPub, wsPort }),
  });

  await new Promise<void>((res) => (wss.address() ? res() : wss.once('listening', () => res())));
  wsPort = (wss.address() as AddressInfo).port;
  await admin.listen({ host: config.adminHost, port: config.adminPort });
  const adminPort = (admin.server.address() as AddressInfo).port;
  links.start();
  silent.start();
  joiner.start();
  runner.storage.start();
  log.info({ wsPort, adminPort, serverId: selfId }, 'listening');

  return {
    get serverId() {
      return selfId;
    },
    pubkey: selfPub,
    wsPort,
    adminPort,
    state,
    metrics,
    admin,
    idle: () => runner.idle(),
    async stop() {
      await runner.idle();
      silent.stop();
      runner.storage.stop();
      await Promise.all([joiner.stop(), links.stop()]);
      for (const c of conns.values()) c.close(1000, 'shutdown');
      // Give peers a moment to answer the close handshake, then cut whatever is left.
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of conns.values()) c.terminate();
      await new Promise<void>((res) => wss.close(() => res()));
      await admin.close();
      await runner.idle();
      await runner.writes.flush();
    },
  };
}

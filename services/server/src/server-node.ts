/**
 * One running SOCP server: the pure routing core wired to its shell (S9), from the Redis,
 * logger, metrics registry and WebSocketServer that main.ts (or a test) injects. The parts:
 * node-state.ts (the state to start from), server-self.ts (who we are on the wire),
 * effect-runner.ts (carries the core's effects out), transport/inbound-sockets.ts (sockets
 * peers open to us), transport/link-manager.ts (links we dial), transport/inbound-gate.ts
 * (every message from either: rate limit → decode → role → authenticate → core → effects),
 * accounts/ (the account extension, offline delivery), bootstrap/join.ts, app.ts (admin port).
 */
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { WebSocketServer } from 'ws';
import { SEEN_IDS_CAPACITY, handleLinkDown, handleLinkUp, handleWelcome, type RoutingState } from '@socp/protocol';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config';
import type { Logger } from './logger';
import { createMetrics, type ServerMetrics } from './metrics';
import { RedisHealth } from './adapters/redis-health';
import { RedisStore } from './adapters/redis-store';
import { EffectRunner } from './effect-runner';
import { loadOrCreateIdentity } from './identity';
import { loadRoutingState } from './node-state';
import { ServerSelf } from './server-self';
import { buildAdminApp } from './app';
import type { Connection } from './transport/connection';
import { InboundGate } from './transport/inbound-gate';
import { InboundSockets } from './transport/inbound-sockets';
import { LinkManager } from './transport/link-manager';
import { SilentSockets } from './transport/silent-sockets';
import { Joiner } from './bootstrap/join';
import { AccountService } from './accounts/account-service';
import { AccountStore } from './accounts/account-store';
import { deliverQueued } from './accounts/offline-queue';

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
  const { heartbeatMs, deadAfterMs, backoffMs } = config;
  const metrics = createMetrics(registry);
  // Connections are refused (1013) until the node is ready: inbound.start() below.
  const inbound: InboundSockets = new InboundSockets({ maxOpen: config.maxConnsPerIp, maxPending: config.maxPendingPerIp }, {
    wss, log, metrics, keepSilent: (c) => silent.keep(c), onMessage: (c, data, bin) => gate.onMessage(c, data, bin), onClosed: (c) => gate.closed(c),
  });
  const store = new RedisStore(redis);
  const health = new RedisHealth(redis, store, metrics.redisUp, log);
  const identity = await loadOrCreateIdentity(store, config.keyPassphrase, config.rsaPrimes);
  health.answered();
  const pub = config.serverKeyFormat === 'pem' ? identity.key.publicKey.toPemBase64Url() : identity.key.publicKey.toBase64Url();
  log.info({ serverId: identity.serverId, created: identity.created, fingerprint: identity.key.publicKey.fingerprint() }, 'identity loaded');
  const { state, restored } = await loadRoutingState(config, store, log);

  const self: ServerSelf = new ServerSelf({ id: identity.serverId, pub, advertiseHost: config.advertiseHost, advertisePort: config.advertisePort }, {
    log, ticket: () => joiner.ticket, prepare: (out) => runner.prepare(out), saveId: (id) => store.saveServerId(id),
  });
  const ctx = () => self.ctx();
  const links: LinkManager = new LinkManager({ heartbeatMs, deadAfterMs, backoffMs }, {
    log, metrics, helloLink: (sid) => self.helloLink(sid), heartbeat: (sid) => self.heartbeat(sid), ctrlClose: (sid) => self.ctrlClose(sid),
    onMessage: (c, data, bin) => gate.onMessage(c, data, bin),
    linkUp: (sid) => void runner.run(handleLinkUp(state, sid, ctx())),
    linkDown: (sid) => void runner.run(handleLinkDown(state, sid, ctx())),
  });
  // A peer's own outbound socket to us may stay silent: kept while it answers pings (transport/silent-sockets.ts).
  const silent = new SilentSockets({ heartbeatMs, deadAfterMs }, { log, metrics, linkedAddress: (a) => links.linkedAddress(a) });
  const runner = new EffectRunner(state, () => identity.key, {
    connection: (id) => inbound.get(id),
    serverLink: (sid) => links.link(sid) ?? inbound.fromServer(sid),
    dial: (sid, host, port) => links.ensure(sid, host, port),
  }, store, metrics, log, SEEN_IDS_CAPACITY);
  void runner.run(restored);
  const accounts = await AccountService.create<Connection>(new AccountStore(redis), config.keyPassphrase, state, {
    self, log, metrics, storage: runner.storage, run: (effects) => void runner.run(effects),
    refuse: (c, f, code, detail, close) => gate.reject(c, f.type, f.from, code, detail, close),
  });
  const gate: InboundGate = new InboundGate({
    state, runner, accounts, metrics, ctx, liveness: links, heardFrom: (sid) => links.touch(sid),
    deliverQueued: (userId, connId) => void deliverQueued({ state, store, runner, metrics, log, ctx }, userId, connId),
  });
  runner.onBacklogCleared = () => gate.resumeReads();
  inbound.start();

  const joiner: Joiner = new Joiner({ introducers: config.bootstrap, heartbeatMs, deadAfterMs, backoffMs, joinSecret: config.joinSecret }, {
    log, metrics, selfId: () => self.id, selfAddr: () => self.addr(), seal: (f) => self.seal(f),
    onTicket: () => {
      log.info('admission ticket renewed; announcing it to linked servers');
      links.broadcast((sid) => self.announce(sid), 'SERVER_ANNOUNCE');
    },
    onWelcome: (p, first, pinned, introducer) => {
      if (first && p.assigned_id) self.adopt(p.assigned_id);
      void runner.run(handleWelcome(state, p, ctx(), pinned, introducer).effects);
      if (first) for (const [sid, a] of state.serverAddrs) if (sid !== self.id) links.ensure(sid, a.host, a.port);
    },
  });
  const admin = buildAdminApp({
    registry,
    checks: async () => ({ redis: await health.check(), keys: true, mesh: joiner.joined, storage: !runner.storage.full }),
    identity: () => ({ id: self.id, pubkey: pub, wsPort: self.wsPort }),
  });

  await new Promise<void>((res) => (wss.address() ? res() : wss.once('listening', () => res())));
  const wsPort = (self.wsPort = (wss.address() as AddressInfo).port);
  await admin.listen({ host: config.adminHost, port: config.adminPort });
  const adminPort = (admin.server.address() as AddressInfo).port;
  for (const part of [links, silent, joiner, runner.storage]) part.start();
  log.info({ wsPort, adminPort, serverId: self.id }, 'listening');

  return {
    get serverId() {
      return self.id;
    },
    pubkey: pub, wsPort, adminPort, state, metrics, admin,
    idle: () => runner.idle(),
    async stop() {
      await runner.idle();
      silent.stop();
      runner.storage.stop();
      await Promise.all([joiner.stop(), links.stop()]);
      await inbound.stop();
      await admin.close();
      await runner.idle();
      await runner.writes.flush();
    },
  };
}

/**
 * Wires one introducer: key + id from the data dir, the registry, the WebSocket listener for
 * joins, the admin endpoint, and the prune timer. `main.ts` calls it with a pino logger;
 * service tests call it in-process with port 0.
 */
import { join } from 'node:path';
import { CLOSE_GRACE_MS, MAX_FRAME_BYTES, SeenCache, describeAdmitRules } from '@socp/protocol';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { buildAdmin } from './admin';
import type { IntroducerConfig } from './config';
import { loadOrCreateId, loadOrCreateKey } from './data-files';
import { JoinConnection, type HubContext } from './join-connection';
import { createMetrics } from './metrics';
import { Registry } from './registry';

/** Most simultaneous sockets (joined servers plus pending hellos). */
export const MAX_CONNECTIONS = 1024;

export interface RunningIntroducer {
  readonly id: string;
  readonly pubkey: string;
  readonly wsPort: number;
  readonly adminPort: number;
  readonly registry: Registry;
  stop(): Promise<void>;
}

export async function startIntroducer(cfg: IntroducerConfig, log: Logger): Promise<RunningIntroducer> {
  const { key, created } = await loadOrCreateKey(cfg.keyFile, cfg.keyPassphrase, cfg.rsaPrimes);
  if (created) log.info({ keyFile: cfg.keyFile }, 'generated a new introducer key');
  const id = loadOrCreateId(join(cfg.dataDir, 'id'));
  const registry = new Registry({ path: join(cfg.dataDir, 'registry.json'), pruneAfterMs: cfg.pruneAfterMs }, { log });
  registry.load();
  const metrics = createMetrics(() => ({ registered: registry.size, connected: registry.connectedCount, writeOk: registry.healthy }));
  const hub: HubContext = {
    introducerId: id, key, registry, seen: new SeenCache(), metrics,
    heartbeatMs: cfg.heartbeatMs, deadAfterMs: cfg.deadAfterMs, owners: new Map(),
    joinSecret: cfg.joinSecret, rules: cfg.admit, ticketTtlMs: cfg.ticketTtlMs, refusals: new Map(),
  };
  log.info({ joinSecret: cfg.joinSecret !== undefined, admitWithoutSecret: describeAdmitRules(cfg.admit), ticketTtlMs: cfg.ticketTtlMs }, 'admission');
  if (cfg.admit.any) log.warn('open federation: SOCP_ADMIT=* admits ANY server that asks');

  const wss = new WebSocketServer({ host: cfg.host, port: cfg.port, maxPayload: MAX_FRAME_BYTES });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('error', (e) => log.error({ err: e }, 'ws server error'));
  let connSeq = 0;
  const perIp = new Map<string, number>();
  wss.on('connection', (ws, req) => {
    const ip = req.socket.remoteAddress ?? '?';
    const n = perIp.get(ip) ?? 0;
    if (wss.clients.size > MAX_CONNECTIONS || n >= cfg.maxConnsPerIp) {
      metrics.framesRejected.inc({ reason: 'SOCP_ERR_RATE_LIMITED' });
      log.info({ remote: ip, open: n }, 'connection refused: too many connections (from this address)');
      ws.close(1013, 'too many connections');
      return;
    }
    perIp.set(ip, n + 1);
    ws.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
    metrics.connections.inc();
    new JoinConnection(ws, hub, log.child({ connId: ++connSeq, remote: `${ip}:${req.socket.remotePort}` }));
  });
  const wsPort = (wss.address() as AddressInfo).port;

  const pubkey = key.publicKey.toBase64Url();
  const admin = buildAdmin({
    log, metrics: metrics.registry,
    identity: () => ({ id, pubkey, wsPort, role: 'introducer' }),
    checks: () => ({ keys: true, registry: registry.healthy }),
  });
  await admin.listen({ host: cfg.adminHost, port: cfg.adminPort });
  const adminPort = (admin.server.address() as AddressInfo).port;

  const pruneEvery = Math.max(100, Math.min(5_000, Math.floor(cfg.pruneAfterMs / 4)));
  const pruner = setInterval(() => {
    for (const gone of registry.pruneExpired(Date.now())) {
      metrics.prunes.inc({ reason: 'expired' });
      log.info({ serverId: gone }, 'pruned server disconnected past SOCP_PRUNE_AFTER_MS');
    }
  }, pruneEvery);

  log.info({ id, wsPort, adminPort, registered: registry.size, pubkeyFingerprint: key.publicKey.fingerprint() }, 'listening');
  return {
    id, pubkey, wsPort, adminPort, registry,
    async stop() {
      clearInterval(pruner);
      // Close frames first (a peer may treat a cut socket as a crash); cut what is left after the grace.
      for (const ws of wss.clients) ws.close(1001, 'introducer shutting down');
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await admin.close();
    },
  };
}

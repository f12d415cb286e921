/** Start an in-process server the way main.ts does, on loopback ports chosen by the OS. */
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '@socp/protocol';
import { loadConfig } from '../../src/config';
import { startServerNode, type ServerNode } from '../../src/server-node';

export interface TestServer { node: ServerNode; redis: Redis; stop(): Promise<void> }

export async function startTestServer(redisUrl: string, bootstrap: string, env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    SOCP_REDIS_URL: redisUrl, SOCP_HOST: '127.0.0.1', SOCP_PORT: '0', SOCP_ADMIN_HOST: '127.0.0.1', SOCP_ADMIN_PORT: '0',
    SOCP_ADVERTISE_HOST: '127.0.0.1', SOCP_BOOTSTRAP: bootstrap, SOCP_KEY_PASSPHRASE: 'test-passphrase', SOCP_LOG_LEVEL: 'silent',
    SOCP_BACKOFF_MS: '100,200,400', ...env,
  });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: true, retryStrategy: () => 100 });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_BYTES });
  const node = await startServerNode(config, { redis, log: pino({ level: process.env['SOCP_TEST_LOG'] ?? 'silent' }), registry: new Registry(), wss });
  return {
    node,
    redis,
    async stop() {
      await node.stop();
      redis.disconnect();
    },
  };
}

/** The value of one sample of a metric in Prometheus text, or 0. */
export async function metricValue(node: ServerNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await admin(node, '/metrics');
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of res.body.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (want.every((w) => (m[2] ?? '').includes(w))) return Number(m[3]);
  }
  return 0;
}

/** GET an admin endpoint over real HTTP (fastify's inject pulls in ESM-only deps under jest). */
export async function admin(node: ServerNode, path: string): Promise<{ statusCode: number; body: string; json(): unknown }> {
  const r = await fetch(`http://127.0.0.1:${node.adminPort}${path}`);
  const body = await r.text();
  return { statusCode: r.status, body, json: () => JSON.parse(body) as unknown };
}

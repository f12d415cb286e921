/**
 * The admin HTTP surface (docs/contracts.md "Admin HTTP"), on its own port, never the WS port:
 *   GET /livez     200 {"status":"ok"} — no dependency checks
 *   GET /readyz    200/503 {"status":"ready"|"degraded"|"not_ready","checks":{"redis","keys","mesh","storage"}}
 *                  storage false (Redis at its maxmemory bound: new users refused, existing ones
 *                  served) is "degraded" with 200: a restart would not free Redis, it would only
 *                  cut every connected user (the image HEALTHCHECK and Swarm act on the status).
 *   GET /metrics   Prometheus text from this process's own registry
 *   GET /identity  {"id","pubkey","wsPort","role":"server"} — public, for pinning out of band
 * buildAdminApp returns an un-listened Fastify instance (tests use inject or listen on port 0).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface ReadyChecks { redis: boolean; keys: boolean; mesh: boolean; storage: boolean }
export interface AdminComponents {
  registry: Registry;
  checks(): Promise<ReadyChecks>;
  identity(): { id: string; pubkey: string; wsPort: number };
}

const checksSchema = {
  type: 'object', properties: { redis: { type: 'boolean' }, keys: { type: 'boolean' }, mesh: { type: 'boolean' }, storage: { type: 'boolean' } }, required: ['redis', 'keys', 'mesh', 'storage'],
} as const;
const readySchema = { type: 'object', properties: { status: { type: 'string' }, checks: checksSchema }, required: ['status', 'checks'] } as const;

export function buildAdminApp(c: AdminComponents): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/livez', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: readySchema, 503: readySchema } } }, async (_req, reply) => {
    const checks = await c.checks();
    const ready = checks.redis && checks.keys && checks.mesh;
    return reply.code(ready ? 200 : 503).send({ status: !ready ? 'not_ready' : checks.storage ? 'ready' : 'degraded', checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await c.registry.metrics();
    return reply.header('content-type', c.registry.contentType).send(text);
  });
  app.get('/identity', {
    schema: { response: { 200: { type: 'object', properties: { id: { type: 'string' }, pubkey: { type: 'string' }, wsPort: { type: 'integer' }, role: { type: 'string' } }, required: ['id', 'pubkey', 'wsPort', 'role'] } } },
  }, async () => ({ ...c.identity(), role: 'server' }));
  return app;
}

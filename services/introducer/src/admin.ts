/**
 * The admin HTTP surface (docs/contracts.md "Admin HTTP"), on its own port:
 *   GET /livez    200 {"status":"ok"}
 *   GET /readyz   200|503 {"status":"ready"|"not_ready","checks":{"keys":bool,"registry":bool}}
 *   GET /metrics  Prometheus text of the introducer's own registry
 *   GET /identity {"id","pubkey","wsPort","role":"introducer"}
 * Built, not listened: the caller listens (tests can inject()).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';

export interface AdminComponents {
  log: Logger;
  metrics: PromRegistry;
  identity: () => { id: string; pubkey: string; wsPort: number; role: 'introducer' };
  checks: () => { keys: boolean; registry: boolean };
}

const readySchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: { type: 'object', properties: { keys: { type: 'boolean' }, registry: { type: 'boolean' } } },
  },
} as const;

export function buildAdmin(c: AdminComponents): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: c.log.child({ component: 'admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  app.get('/livez', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: readySchema, 503: readySchema } } }, async (_req, reply) => {
    const checks = c.checks();
    const ready = checks.keys && checks.registry;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_req, reply) => reply.type(c.metrics.contentType).send(await c.metrics.metrics()));
  app.get('/identity', {
    schema: {
      response: {
        200: { type: 'object', properties: { id: { type: 'string' }, pubkey: { type: 'string' }, wsPort: { type: 'integer' }, role: { type: 'string' } } },
      },
    },
  }, async () => c.identity());
  return app;
}

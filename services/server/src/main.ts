/**
 * Composition root (S9): the only file that creates the Redis client, the pino logger, the
 * Prometheus registry and the WebSocketServer. Exit 1 on invalid configuration (every problem
 * listed) or an unopenable key; SIGINT/SIGTERM stop cleanly and let the loop drain (endProcess).
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, isSocpError } from '@socp/protocol';
import { endProcess } from '@socp/node';
import { loadConfig, type ServerConfig } from './config';
import { loggerOptions } from './logger';
import { startServerNode } from './server-node';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  const log = pino(loggerOptions(config.logLevel));
  if (config.bootstrap.some((b) => b.pubkey === undefined)) log.warn('an introducer is configured without a pinned key: its WELCOME will not be verified');
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false, password: config.redisPassword });
  const wss = new WebSocketServer({ host: config.host, port: config.port, maxPayload: MAX_FRAME_BYTES });
  try {
    const node = await startServerNode(config, { redis, log, registry: new Registry(), wss });
    const shutdown = (sig: string): void => {
      log.info({ sig }, 'stopping');
      void node.stop().finally(() => {
        redis.disconnect();
        endProcess(0, { onForced: (open) => log.warn({ open }, 'exit forced: the event loop did not drain') });
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  } catch (e) {
    log.fatal({ code: isSocpError(e) ? e.code : undefined, err: (e as Error).message }, 'server failed to start');
    redis.disconnect();
    wss.close();
    process.exit(1);
  }
}

void main();

/**
 * Whether this server's Redis is there: socp_redis_up follows the client (1 once ready, 0 when
 * the connection ends or fails; failures logged at warn), and /readyz asks afresh (`check`).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { RedisStore } from './redis-store';

/** How long /readyz waits for Redis to answer PING. */
export const READY_PING_TIMEOUT_MS = 500;

export class RedisHealth {
  constructor(redis: Redis, private readonly store: Pick<RedisStore, 'ping'>, private readonly up: { set(v: number): void }, log: Logger) {
    redis.on('ready', () => up.set(1));
    redis.on('end', () => up.set(0));
    redis.on('error', (e: Error) => {
      up.set(0);
      log.warn({ err: e.message }, 'redis error');
    });
  }

  /** Redis answered (a read at start, a write): it is up. */
  answered(): void {
    this.up.set(1);
  }

  /** Does Redis answer PING within READY_PING_TIMEOUT_MS? (/readyz) */
  async check(): Promise<boolean> {
    const ok = await this.store.ping(READY_PING_TIMEOUT_MS);
    this.up.set(ok ? 1 : 0);
    return ok;
  }
}

/**
 * This server's durable state in its own Redis (docs/redis.md has the key layout):
 * identity (server_id + encrypted private key PEM), pinned peer keys and addresses,
 * user→key and name bindings, the §14.1 user directory (users / groups / group_members),
 * user_locations, the public channel's version and wraps, and the dedupe set with expiry.
 * Writes are batched into one pipeline per effect batch (MULTI-less; each op is idempotent).
 */
import type { Redis } from 'ioredis';
import type { PersistOp, StoredRoutingState } from '@socp/protocol';

export const K = {
  identity: 'socp:identity',
  serverKeys: 'socp:servers:pubkeys',
  serverAddrs: 'socp:servers:addrs',
  userKeys: 'socp:users:keys',
  names: 'socp:names',
  user: (id: string) => `socp:user:${id}`,
  group: 'socp:group:public',
  groupMembers: 'socp:group_members:public',
  locations: 'socp:user_locations',
  seen: 'socp:seen',
  homes: 'socp:homes',
  queue: (id: string) => `socp:queue:${id}`,
  /** Password accounts: user name → user_id (accounts/account-store.ts). */
  accounts: 'socp:accounts',
} as const;

/** Offline queue bounds (docs/accounts.md): newest MAX_QUEUED_PER_USER kept, whole list expires QUEUE_TTL_MS after the last enqueue. */
export const MAX_QUEUED_PER_USER = 500;
export const QUEUE_TTL_MS = 14 * 24 * 3600_000;

export interface StoredIdentity { serverId: string; keyPem: string }

export class RedisStore {
  constructor(private readonly redis: Redis) {}

  async loadIdentity(): Promise<StoredIdentity | undefined> {
    const h = await this.redis.hgetall(K.identity);
    return h['server_id'] && h['private_key_pem'] ? { serverId: h['server_id'], keyPem: h['private_key_pem'] } : undefined;
  }
  async saveIdentity(id: StoredIdentity): Promise<void> {
    await this.redis.hset(K.identity, { server_id: id.serverId, private_key_pem: id.keyPem });
  }
  /** Replace the server_id (the introducer assigned another one); the key stays. */
  async saveServerId(serverId: string): Promise<void> {
    await this.redis.hset(K.identity, 'server_id', serverId);
  }

  /** What the routing core restores at start (routing/restore.ts): expired dedupe keys are dropped first. */
  async loadState(now: number, seenCapacity: number): Promise<StoredRoutingState> {
    await this.redis.zremrangebyscore(K.seen, '-inf', String(now));
    const [serverKeys, addrs, userKeys, names, version, seen, homes, accounts] = await Promise.all([
      this.redis.hgetall(K.serverKeys),
      this.redis.hgetall(K.serverAddrs),
      this.redis.hgetall(K.userKeys),
      this.redis.hgetall(K.names),
      this.redis.hget(K.group, 'version'),
      this.redis.zrange(K.seen, String(-seenCapacity), '-1', 'WITHSCORES'),
      this.redis.hgetall(K.homes),
      this.redis.hvals(K.accounts),
    ]);
    const serverAddrs: StoredRoutingState['serverAddrs'] = {};
    for (const [id, v] of Object.entries(addrs)) {
      try {
        const a = JSON.parse(v) as { host?: unknown; port?: unknown };
        if (typeof a.host === 'string' && typeof a.port === 'number') serverAddrs[id] = { host: a.host, port: a.port };
      } catch {
        /* a corrupt entry is skipped: the server is re-learnt from WELCOME */
      }
    }
    const seenOut: Array<{ key: string; expiresAt: number }> = [];
    for (let i = 0; i + 1 < seen.length; i += 2) seenOut.push({ key: seen[i]!, expiresAt: Number(seen[i + 1]) });
    return { serverKeys, serverAddrs, userKeys, names, channelVersion: Number(version ?? 0) || 0, homes, seen: seenOut, accounts };
  }

  /** Presence from a previous run is stale: users reconnect and peers re-advertise. */
  async resetPresence(): Promise<void> {
    await this.redis.del(K.locations);
  }

  /** One pipeline for a batch of persistence ops and presence changes. */
  async apply(ops: readonly PersistOp[], presence: ReadonlyArray<{ userId: string; location: string | undefined }>, seenCapacity: number): Promise<void> {
    if (ops.length === 0 && presence.length === 0) return;
    const p = this.redis.pipeline();
    let seenAdded = false;
    for (const o of ops) {
      switch (o.op) {
        case 'bindUserKey': p.hsetnx(K.userKeys, o.userId, o.pubkey); break;
        case 'bindName': p.hsetnx(K.names, o.name, o.userId); break;
        case 'pinServer': p.hsetnx(K.serverKeys, o.serverId, o.pubkey); break;
        case 'serverAddr': p.hset(K.serverAddrs, o.serverId, JSON.stringify({ host: o.host, port: o.port })); break;
        case 'userUpsert':
          // §14.1 users: we hold no user private key or password (clients keep their own), so
          // privkey_store / pake_password stay empty strings (NOT NULL in the spec's schema).
          p.hset(K.user(o.userId), { user_id: o.userId, pubkey: o.pubkey, meta: JSON.stringify(o.meta) });
          p.hsetnx(K.user(o.userId), 'privkey_store', '');
          p.hsetnx(K.user(o.userId), 'pake_password', '');
          p.hsetnx(K.user(o.userId), 'version', '1');
          break;
        case 'channelVersion':
          p.hset(K.group, { group_id: 'public', creator_id: 'system', version: String(o.version) });
          p.hsetnx(K.group, 'created_at', String(Date.now()));
          break;
        case 'channelMember':
          p.hset(K.groupMembers, o.memberId, JSON.stringify({ role: 'member', wrapped_key: o.wrappedKey, added_at: o.addedAt, version: o.version }));
          break;
        case 'seen':
          p.zadd(K.seen, o.expiresAt, o.key);
          seenAdded = true;
          break;
        case 'enqueue':
          p.rpush(K.queue(o.userId), JSON.stringify(o.frame));
          p.ltrim(K.queue(o.userId), -MAX_QUEUED_PER_USER, -1);
          p.pexpire(K.queue(o.userId), QUEUE_TTL_MS);
          break;
        case 'dequeue':
          for (const e of o.entries) p.lrem(K.queue(o.userId), 1, e);
          break;
        case 'home': p.hset(K.homes, o.userId, o.serverId); break;
      }
    }
    for (const pr of presence) {
      if (pr.location === undefined) p.hdel(K.locations, pr.userId);
      else p.hset(K.locations, pr.userId, pr.location);
    }
    if (seenAdded) p.zremrangebyrank(K.seen, 0, -seenCapacity - 1);
    const res = await p.exec();
    const failed = res?.find(([e]) => e);
    if (failed) throw failed[0];
  }

  /** Take the whole offline queue of a user, oldest first, as stored (atomically: read and delete). */
  async drainQueue(userId: string): Promise<string[]> {
    const res = await this.redis.multi().lrange(K.queue(userId), 0, -1).del(K.queue(userId)).exec();
    return (res?.[0]?.[1] as string[] | undefined) ?? [];
  }

  /** Read the offline queue of a user, oldest first, as stored, leaving it in place (entries go one by one when ACKed: op `dequeue`). */
  async readQueue(userId: string): Promise<string[]> {
    return this.redis.lrange(K.queue(userId), 0, -1);
  }

  /** INFO memory: bytes in use and the maxmemory bound (0 = none). */
  async memory(): Promise<{ usedBytes: number; maxBytes: number }> {
    const info = await this.redis.info('memory');
    const field = (k: string): number => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
  }

  async ping(timeoutMs: number): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.redis.ping().then((r) => r === 'PONG'),
        new Promise<boolean>((res) => (timer = setTimeout(() => res(false), timeoutMs))),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

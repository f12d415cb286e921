/**
 * Accounts in the server's Redis (docs/redis.md, docs/accounts.md):
 *  - `socp:accounts`           hash  user name → user_id of a registered account
 *  - `socp:user:<user_id>`     hash  §14.1 users row; `pake_password` = the OPAQUE registration
 *                                    record, `privkey_store` = the client-encrypted private key
 *  - `socp:identity` field `opaque_setup`  the OPAQUE server setup, sealed under the passphrase
 * Registration is one Lua script, so two clients racing for a name cannot both win. The account
 * ids are read at start with the rest of the routing state (adapters/redis-store.ts loadState).
 */
import type { Redis } from 'ioredis';
import { K } from '../adapters/redis-store';
import { openSetup, sealSetup } from './setup-secret';

export interface StoredAccount { userId: string; pubkey: string; record: string; privkeyStore: string }

// KEYS: accounts, names, userKeys, user row. ARGV: name, uid, pubkey, record, privkey_store, meta.
const REGISTER = `
local a = redis.call('HGET', KEYS[1], ARGV[1])
if a then return 'NAME_IN_USE' end
local n = redis.call('HGET', KEYS[2], ARGV[1])
if n and n ~= ARGV[2] then return 'NAME_IN_USE' end
local k = redis.call('HGET', KEYS[3], ARGV[2])
if k and k ~= ARGV[3] then return 'BAD_KEY' end
if redis.call('HGET', KEYS[4], 'pake_password') and redis.call('HGET', KEYS[4], 'pake_password') ~= '' then return 'NAME_IN_USE' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[4], 'user_id', ARGV[2], 'pubkey', ARGV[3], 'pake_password', ARGV[4], 'privkey_store', ARGV[5], 'meta', ARGV[6])
redis.call('HINCRBY', KEYS[4], 'version', 1)
return 'OK'
`;

export class AccountStore {
  constructor(private readonly redis: Redis) {}

  /** The OPAQUE server setup: created and sealed on first start, opened on every later one. */
  async loadOrCreateSetup(passphrase: string, create: () => string): Promise<string> {
    const sealed = await this.redis.hget(K.identity, 'opaque_setup');
    if (sealed) return openSetup(sealed, passphrase);
    const setup = create();
    const won = await this.redis.hsetnx(K.identity, 'opaque_setup', sealSetup(setup, passphrase));
    return won === 1 ? setup : openSetup((await this.redis.hget(K.identity, 'opaque_setup'))!, passphrase);
  }

  async byName(name: string): Promise<StoredAccount | undefined> {
    const uid = await this.redis.hget(K.accounts, name);
    if (!uid) return undefined;
    const h = await this.redis.hgetall(K.user(uid));
    if (!h['pake_password'] || !h['privkey_store'] || !h['pubkey']) return undefined;
    return { userId: uid, pubkey: h['pubkey'], record: h['pake_password'], privkeyStore: h['privkey_store'] };
  }

  async register(name: string, userId: string, pubkey: string, record: string, privkeyStore: string): Promise<'OK' | 'NAME_IN_USE' | 'BAD_KEY'> {
    const meta = JSON.stringify({ username: name, display_name: name });
    return (await this.redis.eval(REGISTER, 4, K.accounts, K.names, K.userKeys, K.user(userId), name, userId, pubkey, record, privkeyStore, meta)) as 'OK' | 'NAME_IN_USE' | 'BAD_KEY';
  }
}

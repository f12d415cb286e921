/**
 * Starting from what a server kept (S1: the core owns the tables, the shell only reads them).
 * At start the shell reads its store (services/server/src/adapters/redis-store.ts, key layout
 * in docs/redis.md) and hands the result here; `restoreState` fills the routing state from it.
 * Presence is not restored: users reconnect and peers re-advertise.
 */
import { importPublicKey } from '../crypto/keys';
import type { Effect, Step } from './effects';
import type { RoutingState } from './state';

/** What a server's store kept across restarts, as read at start. */
export interface StoredRoutingState {
  /** Pinned server keys (server_id → key as stored). */
  serverKeys: Record<string, string>;
  serverAddrs: Record<string, { host: string; port: number }>;
  /** user_id → bound key (b64url DER SPKI). */
  userKeys: Record<string, string>;
  /** Account names: name → user_id. */
  names: Record<string, string>;
  channelVersion: number;
  /** Home servers of remote account users: user_id → server_id. */
  homes: Record<string, string>;
  /** Dedupe keys still live, with when they expire (ms). */
  seen: ReadonlyArray<{ key: string; expiresAt: number }>;
  /** user_ids with a password account on this server. */
  accounts: readonly string[];
}

/**
 * Fill a fresh routing state from what was stored. A stored server key that no longer imports
 * (corrupt, or a key we would refuse today) is skipped with a `log` effect: that server is
 * re-pinned when it is admitted again. Nothing is written back (the store has it all already).
 */
export function restoreState(state: RoutingState, stored: StoredRoutingState): Step {
  const effects: Effect[] = [];
  for (const [id, pk] of Object.entries(stored.serverKeys)) {
    try {
      state.serverPubkeys.set(id, importPublicKey(pk));
    } catch {
      effects.push({ kind: 'log', level: 'warn', msg: 'stored server key unusable; skipped', fields: { serverId: id } });
    }
  }
  for (const [id, a] of Object.entries(stored.serverAddrs)) state.serverAddrs.set(id, a);
  for (const [uid, pk] of Object.entries(stored.userKeys)) state.userKeys.set(uid, pk);
  for (const [n, uid] of Object.entries(stored.names)) state.names.set(n, uid);
  for (const [uid, sid] of Object.entries(stored.homes)) state.homes.set(uid, sid);
  state.channel.version = stored.channelVersion;
  // The cache stamps an entry with when it was first seen; the store keeps when it expires.
  for (const s of stored.seen) state.seen.firstSeen(s.key, s.expiresAt - state.seen.ttlMs);
  for (const id of stored.accounts) state.accounts.add(id);
  return { effects };
}

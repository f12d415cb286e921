/**
 * The routing state a server starts with (S1: the core fills it, the shell only reads it): the
 * operator's trust configuration (docs/SECURITY.md "Admission": the tickets of the introducers
 * pinned in SOCP_BOOTSTRAP, and the SOCP_ADMIT rules), then what this server's Redis kept
 * (adapters/redis-store.ts loadState → routing/restore.ts restoreState). Presence from a
 * previous run is stale and is cleared: users reconnect and peers re-advertise.
 */
import {
  SEEN_IDS_CAPACITY, createRoutingState, describeAdmitRules, importPublicKey, restoreState,
  type Effect, type RoutingState, type TrustConfig,
} from '@socp/protocol';
import type { ServerConfig } from './config';
import type { Logger } from './logger';
import type { RedisStore } from './adapters/redis-store';

/** The trust configuration of `config`, logged (open federation at warn). */
function trustConfig(config: Pick<ServerConfig, 'bootstrap' | 'admit' | 'joinSecret'>, log: Logger): TrustConfig {
  const issuers = new Map(config.bootstrap.flatMap((b) => (b.pubkey === undefined ? [] : [importPublicKey(b.pubkey)])).map((k) => [k.fingerprint(), k] as const));
  log.info({ ticketIssuers: issuers.size, admitWithoutTicket: describeAdmitRules(config.admit), joinProof: config.joinSecret !== undefined }, 'admission');
  if (config.admit.any || config.admit.addrs.size > 0 || config.admit.keys.size > 0) log.warn({ rules: describeAdmitRules(config.admit) }, 'open federation: SOCP_ADMIT lets servers in without an admission ticket');
  return { issuers, rules: config.admit };
}

/** The state to start from, and the effects of restoring it (log lines) for the effect runner. */
export async function loadRoutingState(config: ServerConfig, store: RedisStore, log: Logger): Promise<{ state: RoutingState; restored: Effect[] }> {
  const state = createRoutingState({ dedupeTtlMs: config.dedupeTtlMs, trust: trustConfig(config, log) });
  const { effects } = restoreState(state, await store.loadState(Date.now(), SEEN_IDS_CAPACITY));
  await store.resetPresence();
  return { state, restored: effects };
}

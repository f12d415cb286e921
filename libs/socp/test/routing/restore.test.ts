/** Starting from what a server stored (routing/restore.ts): the tables filled, nothing written back. */
import { createRoutingState, restoreState, type StoredRoutingState } from '@socp/protocol';
import { ALICE, BOB, NOW, S2, S3, keys } from './routing-fixture';

const empty: StoredRoutingState = { serverKeys: {}, serverAddrs: {}, userKeys: {}, names: {}, channelVersion: 0, homes: {}, seen: [], accounts: [] };

test('every stored table comes back; the only effects are log lines', () => {
  const { bob } = keys();
  const s = createRoutingState({ dedupeTtlMs: 60_000 });
  const { effects } = restoreState(s, {
    serverKeys: { [S2]: bob.publicKey.toBase64Url() },
    serverAddrs: { [S2]: { host: '10.0.0.2', port: 9101 } },
    userKeys: { [ALICE]: 'KA' },
    names: { alice: ALICE },
    channelVersion: 7,
    homes: { [BOB]: S2 },
    seen: [{ key: 'k1', expiresAt: NOW + 30_000 }],
    accounts: [ALICE],
  });
  expect(effects).toEqual([]);
  expect(s.serverPubkeys.get(S2)?.equals(bob.publicKey)).toBe(true);
  expect(s.serverAddrs.get(S2)).toEqual({ host: '10.0.0.2', port: 9101 });
  expect(s.userKeys.get(ALICE)).toBe('KA');
  expect(s.names.get('alice')).toBe(ALICE);
  expect(s.channel.version).toBe(7);
  expect(s.homes.get(BOB)).toBe(S2);
  expect([...s.accounts]).toEqual([ALICE]);
  // A dedupe key is live until the expiry the store kept, not a full TTL from now.
  expect(s.seen.has('k1', NOW + 29_999)).toBe(true);
  expect(s.seen.has('k1', NOW + 30_001)).toBe(false);
  // Presence is not stored: nobody is online or linked.
  expect([s.servers.size, s.localUsers.size, s.directory.size, s.admitted.size]).toEqual([0, 0, 0, 0]);
});

test('a stored server key that no longer imports is skipped with a warning; the others are pinned', () => {
  const { bob } = keys();
  const s = createRoutingState();
  const { effects } = restoreState(s, { ...empty, serverKeys: { [S2]: 'not-a-key', [S3]: bob.publicKey.toBase64Url() } });
  expect([...s.serverPubkeys.keys()]).toEqual([S3]);
  expect(effects).toEqual([{ kind: 'log', level: 'warn', msg: 'stored server key unusable; skipped', fields: { serverId: S2 } }]);
});

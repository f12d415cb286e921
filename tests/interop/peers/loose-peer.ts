/**
 * A stand-in for the loose peer of issue 14 (cell (e)), from the wire facts there: a server
 * that is its own introducer (self-introducing-peer.ts) whose
 *  - SERVER_WELCOME describes only itself: `{server_id, server_pub, snapshot, assigned_id: null}`
 *    (no server list; `snapshot` is its own state in its own shape);
 *  - SERVER_ANNOUNCE is `{server_id, user_locations}`: no host, port or pubkey.
 * Everything else is the spec's: DER keys, HEARTBEAT {} to our id, SERVER_DELIVER.
 */
import { SelfIntroducingPeer, type PeerDialect, type PeerSelf } from './self-introducing-peer';

const locations = (self: PeerSelf): Record<string, string> => Object.fromEntries([...self.users.local.keys()].map((u) => [u, self.id]));

export const looseDialect: PeerDialect = {
  keyFormat: 'der',
  welcome: (self: PeerSelf) => ({ server_id: self.id, server_pub: self.pubkey, snapshot: { user_locations: locations(self), servers: [] }, assigned_id: null }),
  announce: (self: PeerSelf) => ({ server_id: self.id, user_locations: locations(self) }),
};

export const startLoosePeer = (heartbeatMs: number): Promise<SelfIntroducingPeer> => SelfIntroducingPeer.start(looseDialect, heartbeatMs);

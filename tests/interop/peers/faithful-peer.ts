/**
 * A stand-in for the most faithful peer of issue 14 (cell (d)), from the wire facts there: a
 * server that is its own introducer (self-introducing-peer.ts) and
 *  - speaks PEM: its server key and its users' keys are base64url of the PEM text, and it
 *    reads a server key only in that form (a DER key in a hello or announce is refused: its
 *    loader says "no start line") — our server needs SOCP_SERVER_KEY_FORMAT=pem;
 *  - answers its WELCOME in the spec form, listing itself: `servers` and `clients` entries
 *    `{server_id, host, port, pubkey}`, `assigned_id` = the joiner's id;
 *  - answers ERROR to any frame of ours addressed neither to its server id nor to "*"
 *    (SERVER_HELLO_JOIN aside, which goes to its `host:port`) — e.g. a HEARTBEAT to host:port;
 *  - sends HEARTBEAT {} to our id every heartbeat, and on a new link a PUBLIC_CHANNEL_UPDATED
 *    whose `wrapped_key` is 1,067 characters long.
 */
import { randomBytes } from 'node:crypto';
import type { Wire } from './g43-wire';
import { SelfIntroducingPeer, type PeerDialect, type PeerSelf } from './self-introducing-peer';

/** The length of the `wrapped_key` it sends (800 bytes, base64url). */
export const FAITHFUL_WRAPPED_KEY_CHARS = 1_067;

const SERVER_KEY_FIELDS = new Set(['SERVER_HELLO_JOIN', 'SERVER_HELLO_LINK', 'SERVER_ANNOUNCE']);

export const faithfulDialect: PeerDialect = {
  keyFormat: 'pem',
  welcome: (self: PeerSelf, joiner: string) => {
    const entry = { server_id: self.id, host: self.host, port: self.port, pubkey: self.pubkey };
    return { assigned_id: joiner, servers: [entry], clients: [entry] };
  },
  announce: (self: PeerSelf) => ({ host: self.host, port: self.port, pubkey: self.pubkey }),
  refuse: (f: Wire, self: PeerSelf) => {
    if (SERVER_KEY_FIELDS.has(f.type) && !String(f.payload['pubkey']).startsWith('LS0tLS1CRUdJTi')) return 'no start line';
    if (f.type !== 'SERVER_HELLO_JOIN' && f.to !== self.id && f.to !== '*') return `addressed to ${f.to}, not to ${self.id}`;
    return undefined;
  },
  onLink: (self: PeerSelf) => [{
    type: 'PUBLIC_CHANNEL_UPDATED',
    payload: { version: 1, wraps: [...self.users.local.values()].map((u) => ({ member_id: u.id, wrapped_key: randomBytes(800).toString('base64url') })) },
  }],
};

export const startFaithfulPeer = (heartbeatMs: number): Promise<SelfIntroducingPeer> => SelfIntroducingPeer.start(faithfulDialect, heartbeatMs);

/**
 * Our server joins the most faithful peer of issue 14 (cell (d); docs/protocol.md "Dialects";
 * peers/faithful-peer.ts): it reads only PEM server keys (so our server runs with
 * SOCP_SERVER_KEY_FORMAT=pem), answers ERROR to any frame of ours not addressed to its server id
 * or "*", and sends a PUBLIC_CHANNEL_UPDATED whose wrapped_key is 1,067 characters long.
 *  - It links, stays linked through many dead windows, and never has reason to answer ERROR:
 *    our HEARTBEATs on its join socket and on the link go to its server id.
 *  - Presence, DMs, `/all` and files both ways.
 */
import { waitFor } from '../harness/wait';
import { exchange, theirAllAndFile, useJoinedPeer } from './exchange';
import { beatsIn, linkEvents, metric } from './our-server';
import { FAITHFUL_WRAPPED_KEY_CHARS, startFaithfulPeer } from './peers/faithful-peer';

jest.setTimeout(240_000);

const fx = useJoinedPeer(startFaithfulPeer, { SOCP_SERVER_KEY_FORMAT: 'pem' });

test('linked with our PEM key; every frame of ours is addressed to its id or "*"; its 1,067-char wrapped_key is accepted; no flap', async () => {
  const { peer, mesh } = fx;
  // Our HEARTBEATs go on its join socket and on the link: three dead windows' worth on both.
  await waitFor('three dead windows of our heartbeats', () => peer.heartbeats >= 2 * beatsIn(3), 60_000, 100);
  expect(peer.refused).toEqual([]);
  expect(peer.helloKeys.length).toBeGreaterThanOrEqual(2); // the join and the link
  expect(peer.helloKeys.every((k) => k.startsWith('LS0tLS1CRUdJTi'))).toBe(true);
  expect(await metric(mesh, 'socp_frames_received_total', { type: 'PUBLIC_CHANNEL_UPDATED' })).toBeGreaterThanOrEqual(1);
  const wraps = peer.sent.filter((f) => f.type === 'PUBLIC_CHANNEL_UPDATED').flatMap((f) => f.payload['wraps'] as Array<{ wrapped_key: string }>);
  expect(wraps.map((w) => w.wrapped_key.length)).toEqual([FAITHFUL_WRAPPED_KEY_CHARS]);
  expect(await metric(mesh, 'socp_frames_rejected_total')).toBe(0);
  expect(await linkEvents(mesh)).toEqual({ dead: 0, up: 1, down: 0 });
});

test('presence, DMs, /all and files both ways', async () => {
  const alice = await fx.connect();
  await exchange(alice, fx.peer, fx.bob);
  await theirAllAndFile(alice, fx.peer, fx.bob);
  expect(fx.peer.refused).toEqual([]);
  expect(fx.peer.errors).toEqual([]);
});

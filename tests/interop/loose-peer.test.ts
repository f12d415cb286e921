/**
 * Our server joins the loose peer of issue 14 (cell (e); docs/protocol.md "Dialects";
 * peers/loose-peer.ts): its SERVER_WELCOME is `{server_id, server_pub, snapshot,
 * assigned_id: null}` and its SERVER_ANNOUNCE `{server_id, user_locations}`. Both used to
 * fail (no link; SOCP_ERR_SCHEMA). The operator pinned its key in SOCP_BOOTSTRAP, so its own
 * WELCOME admits it; we link to it at the address we joined.
 */
import { waitFor } from '../harness/wait';
import { exchange, theirAllAndFile, useJoinedPeer } from './exchange';
import { linkEvents, metric } from './our-server';
import { startLoosePeer } from './peers/loose-peer';

jest.setTimeout(240_000);

const fx = useJoinedPeer(startLoosePeer);

test('its self-describing WELCOME links us to it where we joined; its bare ANNOUNCE is accepted; presence, DMs, /all and files both ways', async () => {
  const { peer, mesh } = fx;
  await waitFor('linked', async () => (await metric(mesh, 'socp_peer_links_up')) === 1, 20_000);
  await waitFor('its SERVER_ANNOUNCE', async () => (await metric(mesh, 'socp_frames_received_total', { type: 'SERVER_ANNOUNCE' })) >= 1, 20_000);

  const alice = await fx.connect();
  await exchange(alice, peer, fx.bob);
  await theirAllAndFile(alice, peer, fx.bob);
  expect(await metric(mesh, 'socp_frames_rejected_total')).toBe(0);
  expect(peer.errors).toEqual([]);
  expect(await linkEvents(mesh)).toEqual({ dead: 0, up: 1, down: 0 });
});

/**
 * Hop-by-hop delivery acks on real processes (routing/delivery-acks.ts, docs/RELIABILITY.md):
 * DMs written into a link whose far end has gone silent (SIGSTOP: its sockets stay open, the
 * kernel even buffers what we send) are reported to the sender when the link is declared dead,
 * each by its own msg_ref; the frozen server is then killed, so none of them is ever delivered.
 * Sent = delivered + reported, with nothing lost and nothing shown twice.
 */
import { dedupeKey } from '@socp/protocol';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { FAST, metric, useMesh } from './mesh-helpers';

jest.setTimeout(120_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 2);
const { connect } = fx;

/** msg_ref → ERROR code, for every ERROR alice received since `since` that names a DM. */
function reports(u: RawUser, since: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of u.sock.received.slice(since)) {
    const p = r.frame?.payload as { msg_ref?: unknown; code?: unknown } | undefined;
    if (r.frame?.type === 'ERROR' && typeof p?.msg_ref === 'string') out.set(p.msg_ref, String(p.code));
  }
  return out;
}

test('a confirmed DM is not reported; DMs into a frozen server are all reported TIMEOUT when its link dies, none lost', async () => {
  const alice = await connect(0, fx.keys[0]!, 'alice');
  const bob = await connect(1, fx.keys[1]!, 'bob');
  await alice.waitForUser(bob.id, 15_000);
  const bobEntry = alice.roster.get(bob.id)!;

  // Control: a DM on a healthy link arrives and is never reported.
  const ok = alice.mark();
  const bm = bob.mark();
  alice.sendDm(bob.id, 'healthy');
  expect((await bob.waitMessage(alice.id, 10_000, bm)).text).toBe('healthy');
  await waitFor('server 0 got the ACK for it', async () => (await metric(fx.mesh.servers[0]!.adminUrl, 'socp_dms_unconfirmed')) === 0, 5_000, 20);

  fx.mesh.pause(1);
  const since = alice.mark();
  const refs: string[] = [];
  for (let i = 0; i < 25; i++) refs.push(dedupeKey(alice.sendDm(bob.id, `into the void ${i}`)));
  const deadAt = FAST.deadAfterMs + 3 * FAST.heartbeatMs + 5_000;
  await waitFor('every DM into the frozen server reported', () => refs.every((r) => reports(alice, since).has(r)), deadAt, 50);
  // The frames sit in the frozen server's socket buffer: kill it so they can never be delivered.
  await fx.mesh.kill(1);
  const got = reports(alice, since);
  expect(refs.map((r) => got.get(r))).toEqual(refs.map(() => 'TIMEOUT'));
  expect(reports(alice, ok).size).toBe(refs.length); // the healthy DM was never reported
  expect(await metric(fx.mesh.servers[0]!.adminUrl, 'socp_peer_links_dead_total')).toBeGreaterThan(0);
  expect(await metric(fx.mesh.servers[0]!.adminUrl, 'socp_dms_unconfirmed')).toBe(0);

  // Back: bob returns on the restarted server; a new DM goes through and none of the old ones appear.
  alice.roster.set(bob.id, bobEntry);
  await fx.mesh.restart(1);
  await fx.mesh.waitServerReady(1);
  const bob2 = await waitFor('bob back on server 1', () => connect(1, fx.keys[1]!, 'bob', bob.id), 30_000, 500);
  await alice.waitForUser(bob2.id, 20_000);
  const m2 = bob2.mark();
  alice.sendDm(bob2.id, 'after restart');
  expect((await bob2.waitMessage(alice.id, 10_000, m2)).text).toBe('after restart');
  const texts = bob2.sock.frames().filter((f) => f.type === 'USER_DELIVER')
    .map((f) => bob2.key.decrypt(Buffer.from((f.payload as { ciphertext: string }).ciphertext, 'base64url')).toString('utf8'));
  expect(texts).toEqual(['after restart']);
});

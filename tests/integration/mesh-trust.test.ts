/**
 * Mesh trust on real processes (issue 12, docs/SECURITY.md): an outsider can neither join nor
 * link; an admitted server that turned hostile ("mallory") cannot forge content, move users,
 * replay signatures or delete registry entries; a flood of joins leaves the introducer serving
 * real servers. Every refusal is checked for its code, its metric and that nothing changed.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { Redis } from 'ioredis';
import {
  generateKeyPair, helloProofOf, sealFrame, signContent, withBind,
  type Frame, type FrameOf, type RsaPrivateKey, type Verified,
} from '@socp/protocol';
import { accountHello, register } from '../../services/server/test/helpers/account-login';
import { RawUser as AccountUser } from '../../services/server/test/helpers/raw-user';
import { FrameSocket } from '../harness/frame-socket';
import { HostileServer } from '../harness/hostile-server';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { metric, useMesh } from './mesh-helpers';

jest.setTimeout(240_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 5); // 0 alice, 1 bob, 2 mallory, 3 mal (mallory's own user), 4 outsider
let mallory: HostileServer;
let link: FrameSocket; // mallory → server 0
let alice: Awaited<ReturnType<typeof fx.connect>>;
let bob: Awaited<ReturnType<typeof fx.connect>>;
const mal = randomUUID();
const sockets: FrameSocket[] = [];

const s = (i: number) => fx.mesh.servers[i]!;
const intro = () => fx.mesh.introducers[0]!;
const rejected = (i: number, reason: string, type?: string) => metric(s(i).adminUrl, 'socp_frames_rejected_total', type ? { type, reason } : { reason });

beforeAll(async () => {
  await opaque.ready;
  alice = await fx.connect(0, fx.keys[0]!, 'alice');
  bob = await fx.connect(1, fx.keys[1]!, 'bob');
  await alice.waitForUser(bob.id, 20_000);
  mallory = await HostileServer.create(fx.keys[2]!);
  await mallory.admit(intro().wsUrl, fx.mesh.joinSecret); // admitted with the operator's secret, then turned hostile
  link = await mallory.link(s(0).wsUrl, s(0).id);
  sockets.push(link);
  await waitFor('server 0 dials back to mallory (it is admitted)', () => mallory.inbound.length > 0, 15_000);
  // mallory's own user, with a real hello proof (mallory holds its key)
  const hello = sealFrame(withBind({ type: 'USER_HELLO', from: mal, to: mallory.id, ts: Date.now(), payload: { pubkey: fx.keys[3]!.publicKey.toBase64Url() } }), fx.keys[3]!);
  const proof = { ...helloProofOf(hello as Verified<FrameOf<'USER_HELLO'>>) };
  link.send(mallory.frame('USER_ADVERTISE', { user_id: mal, server_id: mallory.id, meta: { username: 'mal' }, pubkey: fx.keys[3]!.publicKey.toBase64Url(), proof }));
  await alice.waitForUser(mal, 15_000);
});
afterAll(async () => {
  for (const x of sockets) x.terminate();
  await mallory?.close();
});

/** What server 0 tells alice: her roster (user → server, key). */
const roster = (): unknown => [...alice.refreshRoster().values()].map((e) => [e.userId, e.serverId, e.pubkey]).sort();

/** Send on mallory's link; expect ERROR `code` naming nothing changed in alice's view, and the rejection counted. */
async function refused(f: Frame, code: string, reason: string): Promise<void> {
  const before = roster();
  const n = await rejected(0, reason);
  const m = link.received.length;
  link.send(f);
  const err = await link.waitError(undefined, 10_000, m);
  expect((err.payload as { code: string }).code).toBe(code);
  await waitFor(`server 0 counts ${reason}`, async () => (await rejected(0, reason)) >= n + 1, 5_000);
  expect(roster()).toEqual(before);
}

const CT = Buffer.alloc(512, 6).toString('base64url');
/** A SERVER_DELIVER from mallory for `to`, claiming `sender`, content signed with `signer`. */
function deliver(to: string, sender: string, signer: RsaPrivateKey, senderPub = signer.publicKey.toBase64Url()): Frame {
  const ts = Date.now();
  const content_sig = signContent(signer, { ciphertext: CT, from: sender, to, ts });
  return mallory.frame('SERVER_DELIVER', { user_id: to, inner_type: 'MSG_DIRECT', ciphertext: CT, sender, sender_pub: senderPub, content_sig, orig_ts: ts } as never, { to: s(0).id, ts });
}

describe('an outsider', () => {
  test('cannot join: no join proof is INVALID_SIG at the introducer, nothing registered', async () => {
    const outsider = await HostileServer.create(fx.keys[4]!);
    try {
      const registered = await metric(intro().adminUrl, 'socp_introducer_servers_registered');
      const n = await metric(intro().adminUrl, 'socp_introducer_joins_total', { result: 'not_admitted' });
      const { answer } = await outsider.join(intro().wsUrl);
      expect(answer.type).toBe('ERROR');
      expect((answer.payload as { code: string }).code).toBe('INVALID_SIG');
      expect(await metric(intro().adminUrl, 'socp_introducer_joins_total', { result: 'not_admitted' })).toBe(n + 1);
      expect(await metric(intro().adminUrl, 'socp_introducer_servers_registered')).toBe(registered);
    } finally {
      await outsider.close();
    }
  });

  test('cannot link: a HELLO_LINK without a ticket is INVALID_SIG, the socket closed, nothing pinned or dialled', async () => {
    const outsider = await HostileServer.create(fx.keys[4]!);
    try {
      const n = await rejected(0, 'SOCP_ERR_NOT_ADMITTED', 'SERVER_HELLO_LINK');
      const sock = await outsider.link(s(0).wsUrl, s(0).id);
      const err = await sock.waitError(undefined, 10_000);
      expect((err.payload as { code: string }).code).toBe('INVALID_SIG');
      expect(await sock.waitClosed(10_000)).toBe(1008);
      expect(await rejected(0, 'SOCP_ERR_NOT_ADMITTED', 'SERVER_HELLO_LINK')).toBe(n + 1);
      // mallory's real ticket does not help either: it names mallory's id and key
      const stolen = await outsider.link(s(0).wsUrl, s(0).id, { ticket: mallory.ticket! });
      expect(((await stolen.waitError(undefined, 10_000)).payload as { code: string }).code).toBe('INVALID_SIG');
      expect(outsider.inbound).toEqual([]); // never dialled back
    } finally {
      await outsider.close();
    }
  });

  test('a real server process without the join secret never joins, and nobody links to it', async () => {
    const n = await metric(intro().adminUrl, 'socp_introducer_joins_total', { result: 'not_admitted' });
    const i = await fx.mesh.addServer({ SOCP_JOIN_SECRET_FILE: '' });
    await waitFor('its join refused at the introducer', async () => (await metric(intro().adminUrl, 'socp_introducer_joins_total', { result: 'not_admitted' })) > n, 30_000);
    expect((await fetch(`${s(i).adminUrl}/readyz`)).status).toBe(503);
    expect(await metric(s(0).adminUrl, 'socp_peer_links_up')).toBe(2); // server 1 and mallory only
    await fx.mesh.stopServer(i);
  });
});

describe('an admitted server turned hostile', () => {
  test('a DM it forges in the name of another server\'s user is neither delivered nor acknowledged', async () => {
    const m = alice.mark();
    await refused(deliver(alice.id, bob.id, fx.keys[2]!, bob.pubkey), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
    expect(alice.sock.frames().slice(m).some((f) => f.type === 'USER_DELIVER')).toBe(false);
  });

  test('its own user\'s content must verify under that user\'s bound key', async () => {
    await refused(deliver(alice.id, mal, fx.keys[2]!, fx.keys[3]!.publicKey.toBase64Url()), 'INVALID_SIG', 'INVALID_SIG');
    await refused(deliver(alice.id, mal, fx.keys[2]!), 'BAD_KEY', 'BAD_KEY');
    const m = alice.mark();
    link.send(deliver(alice.id, mal, fx.keys[3]!)); // genuine: delivered
    await alice.sock.waitFrame((f) => f.type === 'USER_DELIVER' && (f.payload as { sender: string }).sender === mal, 10_000, m);
  });

  test('a forged DM for an offline account user is not queued', async () => {
    const carol = randomUUID();
    const carolKey = await generateKeyPair();
    const c = await AccountUser.connect(s(0).wsPort, carol, carolKey);
    const r = await register(c, s(0).id, `carol-${carol.slice(0, 6)}`, randomUUID());
    accountHello(c, s(0).id, `carol-${carol.slice(0, 6)}`, r.nonce);
    await c.next((f) => f.type === 'ACK', 'hello ACK');
    c.close();
    await alice.waitForUserGone(carol, 10_000);
    const redis = new Redis(s(0).redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await refused(deliver(carol, bob.id, fx.keys[2]!, bob.pubkey), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
      await refused(deliver(carol, mal, fx.keys[2]!, fx.keys[3]!.publicKey.toBase64Url()), 'INVALID_SIG', 'INVALID_SIG');
      expect(await redis.llen(`socp:queue:${carol}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  test('it cannot claim a user another server hosts, nor move anyone\'s home', async () => {
    // bob is online at server 1 and bound: mallory shows his key but no hello of his
    await refused(mallory.frame('USER_ADVERTISE', { user_id: bob.id, server_id: mallory.id, meta: { username: 'bob', home: mallory.id }, pubkey: bob.pubkey }), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
    // an unbound id that alice's server sees online at server 1: refused while server 1 hosts it
    const dave = await RawUser.connect(s(1).wsUrl, { key: fx.keys[4]!, unproven: true }); // a spec-only user: its id is not bound
    await alice.waitForUser(dave.id, 10_000);
    await refused(mallory.frame('USER_ADVERTISE', { user_id: dave.id, server_id: mallory.id, meta: {}, pubkey: fx.keys[4]!.publicKey.toBase64Url() }), 'NAME_IN_USE', 'NAME_IN_USE');
    // alice's DMs still reach bob, through server 1
    const m = bob.mark();
    alice.sendDm(bob.id, 'still yours');
    expect((await bob.waitMessage(alice.id, 10_000, m)).text).toBe('still yours');
    dave.sock.terminate();
  });

  test('a USER_REMOVE it captured, resent with a fresh ts, does not verify; resent as is, it is a duplicate', async () => {
    const before = mallory.inbound.length;
    const b2 = await fx.connect(1, await generateKeyPair(), 'bob2');
    await alice.waitForUser(b2.id, 10_000);
    b2.sock.terminate();
    await alice.waitForUserGone(b2.id, 10_000);
    // server 0 relays server 1's USER_REMOVE to every other server, mallory included
    const captured = await waitFor('mallory captures the USER_REMOVE', () => mallory.inbound.slice(before).map((t) => JSON.parse(t) as Frame)
      .find((f) => f.type === 'USER_REMOVE' && (f.payload as { user_id: string }).user_id === b2.id), 10_000);
    // b2 comes back; mallory tries to evict it mesh-wide with the captured signature
    const back = await fx.connect(1, b2.key, 'bob2', b2.id);
    await alice.waitForUser(back.id, 10_000);
    await refused({ ...captured, ts: Date.now() }, 'INVALID_SIG', 'INVALID_SIG');
    const m = link.received.length;
    link.send(captured); // unchanged: already seen (or stale), so nothing happens
    await waitFor('the link still answers', async () => {
      link.send(mallory.frame('HEARTBEAT', {}, { to: s(0).id }));
      return (await metric(s(0).adminUrl, 'socp_frames_received_total', { type: 'HEARTBEAT' })) > 0;
    }, 5_000);
    expect(link.received.slice(m).some((r) => r.frame?.type === 'USER_REMOVE')).toBe(false);
    expect(alice.refreshRoster().has(back.id)).toBe(true);
    back.sock.terminate();
  });

  test('server 0\'s HELLO_LINK signature replayed as its SERVER_HELLO_JOIN is refused; an unsigned CTRL_CLOSE deletes nothing', async () => {
    const hello = mallory.inbound.map((t) => JSON.parse(t) as Frame).find((f) => f.type === 'SERVER_HELLO_LINK' && f.from === s(0).id)!;
    expect(hello).toBeDefined();
    const connected = await metric(intro().adminUrl, 'socp_introducer_servers_connected');
    const sock = await FrameSocket.connect(intro().wsUrl);
    sockets.push(sock);
    sock.send({ ...hello, type: 'SERVER_HELLO_JOIN', to: `127.0.0.1:${intro().wsPort}` } as Frame);
    expect(((await sock.waitError(undefined, 10_000)).payload as { code: string }).code).toBe('INVALID_SIG');
    // mallory's own introducer socket: an unsigned CTRL_CLOSE (claiming server 0) only ends that socket
    const j = await mallory.join(intro().wsUrl, fx.mesh.joinSecret);
    expect(j.answer.type).toBe('SERVER_WELCOME');
    j.sock.sendRaw(JSON.stringify({ type: 'CTRL_CLOSE', from: s(0).id, to: intro().id, ts: Date.now(), payload: {}, sig: '' }));
    await j.sock.waitClosed(10_000);
    expect(await metric(intro().adminUrl, 'socp_introducer_prunes_total', { reason: 'ctrl_close' })).toBe(0);
    expect(await metric(intro().adminUrl, 'socp_introducer_servers_connected')).toBeGreaterThanOrEqual(connected - 1);
    // server 0 is still registered: a new server's WELCOME lists it
    const probe = await HostileServer.create(fx.keys[4]!);
    try {
      const w = await probe.join(intro().wsUrl, fx.mesh.joinSecret);
      expect(((w.answer as FrameOf<'SERVER_WELCOME'>).payload.servers ?? []).map((x) => x.server_id)).toContain(s(0).id);
    } finally {
      await probe.close();
    }
  });
});

test('1,000 joins from one attacker leave the introducer serving real servers', async () => {
  const registered0 = await metric(intro().adminUrl, 'socp_introducer_servers_registered');
  const attacker = await HostileServer.create(fx.keys[4]!);
  let welcomed = 0;
  let refusedN = 0;
  try {
    for (let wave = 0; wave < 40; wave++) {
      await Promise.all(Array.from({ length: 25 }, async (_, k) => {
        const n = wave * 25 + k;
        const sock = await FrameSocket.connect(intro().wsUrl);
        // a fresh id each time; half without the secret, half with it (a stolen one)
        sock.send(attacker.joinFrame(n % 2 === 0 ? undefined : fx.mesh.joinSecret, { id: randomUUID() }));
        const answer = await sock.waitFrame((x) => x.type === 'SERVER_WELCOME' || x.type === 'ERROR', 10_000);
        if (answer.type === 'ERROR') refusedN++;
        else welcomed++;
        sock.terminate();
      }));
    }
  } finally {
    await attacker.close();
  }
  expect(refusedN + welcomed).toBe(1000);
  expect(refusedN).toBeGreaterThanOrEqual(500); // every join without the secret
  expect(await metric(intro().adminUrl, 'socp_introducer_servers_registered')).toBeLessThanOrEqual(registered0 + 1);
  // and a real server still joins and links to the mesh
  const i = await fx.mesh.addServer();
  await fx.mesh.waitServerReady(i, 60_000);
  await waitFor('the new server linked to server 0', async () => (await metric(s(0).adminUrl, 'socp_peer_links_up')) >= 3, 30_000);
});

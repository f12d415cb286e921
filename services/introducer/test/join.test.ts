import { randomUUID } from 'node:crypto';
import { checkTicket, generateKeyPair, importPublicKey, verifyFrame, welcomeServers, type FrameOf, type RsaPrivateKey } from '@socp/protocol';
import { FrameSocket } from '../../../tests/harness/frame-socket';
import { httpGet, metricValue, waitFor } from '../../../tests/harness/wait';
import { rawRsaKey } from '../../../tests/harness/weak-keys';
import { join, joinFrame, removeDir, startTestIntroducer, tempDir, useTestIntroducer, type TestIntroducer } from './helpers';

jest.setTimeout(60_000);

const fx = useTestIntroducer(2);
const sockets = fx.sockets;
let keyA: RsaPrivateKey, keyB: RsaPrivateKey, t: TestIntroducer;
beforeAll(() => void ([[keyA, keyB], t] = [fx.keys as [RsaPrivateKey, RsaPrivateKey], fx.t]));
const track = <T extends { sock: FrameSocket }>(x: T): T => (sockets.push(x.sock), x);


const registered = (): string[] => [...t.intro.registry.others('')].map((r) => r.server_id).sort();

test('a join gets a WELCOME signed by the introducer key, keeping the proposed id, listing the other servers in both lists', async () => {
  const idA = randomUUID();
  const idB = randomUUID();
  const a = track(await join(t.url, keyA, idA, 7001));
  expect(a.welcome.payload.assigned_id).toBe(idA);
  expect(a.welcome.from).toBe(t.intro.id);
  expect(a.welcome.to).toBe(idA);
  expect(verifyFrame(a.welcome, importPublicKey(t.intro.pubkey)).ok).toBe(true);
  expect(welcomeServers(a.welcome.payload).map((s) => s.server_id)).not.toContain(idA);

  const b = track(await join(t.url, keyB, idB, 7002));
  expect(b.welcome.payload.assigned_id).toBe(idB);
  const listed = b.welcome.payload.servers!.find((s) => s.server_id === idA)!;
  expect(listed).toMatchObject({ server_id: idA, host: '127.0.0.1', port: 7001, pubkey: keyA.publicKey.toBase64Url() });
  // each listed server comes with the admission ticket we signed at its join; `clients` (G43's list) without
  const intro = importPublicKey(t.intro.pubkey);
  const issuers = new Map([[intro.fingerprint(), intro]]);
  expect(checkTicket(listed.ticket, { serverId: idA, key: keyA.publicKey, host: '127.0.0.1', port: 7001 }, issuers, Date.now()).ok).toBe(true);
  expect(b.welcome.payload.clients).toEqual(b.welcome.payload.servers!.map(({ ticket: _t, ...e }) => e));
  // and the joiner gets its own ticket, with the caps its join announced
  const own = checkTicket(b.welcome.payload.ticket, { serverId: idB, key: keyB.publicKey, host: '127.0.0.1', port: 7002 }, issuers, Date.now());
  expect(own.ok && own.value.caps).toEqual(['bind']);
  expect(b.welcome.payload.servers!.map((s) => s.server_id)).not.toContain(idB);

  const identity = await httpGet(`${t.admin}/identity`);
  expect(identity.body).toEqual({ id: t.intro.id, pubkey: t.intro.pubkey, wsPort: t.intro.wsPort, role: 'introducer' });
});

test('the same id with the same key is kept; a proposed id bound to another key gets a fresh UUID', async () => {
  const id = randomUUID();
  const first = track(await join(t.url, keyA, id, 7003));
  expect(first.welcome.payload.assigned_id).toBe(id);
  const again = track(await join(t.url, keyA, id, 7004));
  expect(again.welcome.payload.assigned_id).toBe(id);
  expect(t.intro.registry.get(id)?.port).toBe(7004);
  const thief = track(await join(t.url, keyB, id, 7005));
  const assigned = thief.welcome.payload.assigned_id!;
  expect(assigned).not.toBe(id);
  expect(assigned).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(t.intro.registry.get(id)?.pubkey).toBe(keyA.publicKey.toBase64Url());
});

test('a non-UUID proposed id (G43 style) gets a fresh UUID', async () => {
  const j = track(await join(t.url, keyA, 'server', 7006));
  expect(j.welcome.payload.assigned_id).not.toBe('server');
});

test('the introducer sends signed HEARTBEATs and pings on a joined socket: a server that only answers pings stays; one that answers nothing is closed with a close frame', async () => {
  const short = await startTestIntroducer(tempDir(), { SOCP_HEARTBEAT_MS: '100', SOCP_DEAD_AFTER_MS: '600' });
  try {
    const [quietId, pongId] = [randomUUID(), randomUUID()];
    // A peer that never sends a frame after its join (G43), once with its WebSocket library answering pings, once not.
    const pongs = track(await join(short.url, keyB, pongId, 7011));
    const { sock } = track(await join(short.url, keyA, quietId, 7010, { autoPong: false }));
    const hb = await sock.waitFrame<FrameOf<'HEARTBEAT'>>((f) => f.type === 'HEARTBEAT', 3_000);
    expect(hb.from).toBe(short.intro.id);
    expect(hb.to).toBe(quietId);
    expect(verifyFrame(hb, importPublicKey(short.intro.pubkey)).ok).toBe(true);
    // dead: closed with a close frame (1001), never cut (1006), then it counts as disconnected
    expect(await sock.waitClosed(5_000)).toBe(1001);
    await waitFor('server marked disconnected', () => short.intro.registry.get(quietId)?.connected === false, 3_000);
    // meanwhile the one that answers pings lived through more than a dead window of silence
    await waitFor('three dead windows of heartbeats', () => pongs.sock.frames().filter((f) => f.type === 'HEARTBEAT').length >= (3 * 600) / 100, 5_000);
    expect(pongs.sock.isOpen).toBe(true);
    expect(short.intro.registry.get(pongId)?.connected).toBe(true);
  } finally {
    await short.intro.stop();
    removeDir(short.dir);
  }
});

describe('hostile joins are rejected with the right code and change nothing', () => {
  const before = (): string[] => registered();

  async function expectRejected(send: (s: FrameSocket) => void, code: string, reason: string): Promise<void> {
    const snapshot = before();
    const rejectedBefore = metricValue((await httpGet(`${t.admin}/metrics`)).text, 'socp_introducer_frames_rejected_total', { reason });
    const sock = await FrameSocket.connect(t.url);
    sockets.push(sock);
    send(sock);
    const err = await sock.waitError(undefined, 5_000);
    expect((err.payload as { code: string }).code).toBe(code);
    expect(verifyFrame(err, importPublicKey(t.intro.pubkey)).ok).toBe(true);
    await sock.waitClosed(5_000);
    expect(before()).toEqual(snapshot);
    const rejectedAfter = metricValue((await httpGet(`${t.admin}/metrics`)).text, 'socp_introducer_frames_rejected_total', { reason });
    expect(rejectedAfter).toBe(rejectedBefore + 1);
  }

  test('bad signature → INVALID_SIG', async () => {
    const f = joinFrame(keyA, randomUUID(), 7100);
    await expectRejected((s) => s.send({ ...f, sig: joinFrame(keyB, f.from, 7100).sig }), 'INVALID_SIG', 'INVALID_SIG');
  });
  test('unsigned join → INVALID_SIG', async () => {
    await expectRejected((s) => s.send({ ...joinFrame(keyA, randomUUID(), 7101), sig: '' }), 'INVALID_SIG', 'INVALID_SIG');
  });
  test('payload tampered after signing → INVALID_SIG', async () => {
    const f = joinFrame(keyA, randomUUID(), 7102);
    await expectRejected((s) => s.send({ ...f, payload: { ...f.payload, port: 6666 } }), 'INVALID_SIG', 'INVALID_SIG');
  });
  test('1024-bit key → BAD_KEY', async () => {
    const weak = await rawRsaKey(1024, 65537);
    const payload = { host: '127.0.0.1', port: 7103, pubkey: weak.pubkey };
    await expectRejected((s) => s.sendRaw(JSON.stringify({ type: 'SERVER_HELLO_JOIN', from: randomUUID(), to: 'x:1', ts: Date.now(), payload, sig: weak.sign(payload) })), 'BAD_KEY', 'BAD_KEY');
  });
  test('e = 3 → BAD_KEY', async () => {
    const weak = await rawRsaKey(4096, 3);
    const payload = { host: '127.0.0.1', port: 7104, pubkey: weak.pubkey };
    await expectRejected((s) => s.sendRaw(JSON.stringify({ type: 'SERVER_HELLO_JOIN', from: randomUUID(), to: 'x:1', ts: Date.now(), payload, sig: weak.sign(payload) })), 'BAD_KEY', 'BAD_KEY');
  });
  test('garbage key → BAD_KEY', async () => {
    const f = joinFrame(keyA, randomUUID(), 7105);
    await expectRejected((s) => s.send({ ...f, payload: { ...f.payload, pubkey: 'AAAA' } }), 'BAD_KEY', 'BAD_KEY');
  });
  test('unknown type → UNKNOWN_TYPE', async () => {
    await expectRejected((s) => s.sendRaw(JSON.stringify({ type: 'SERVER_TAKEOVER', from: randomUUID(), to: '*', ts: Date.now(), payload: {}, sig: '' })), 'UNKNOWN_TYPE', 'UNKNOWN_TYPE');
  });
  test('malformed JSON → UNKNOWN_TYPE', async () => {
    await expectRejected((s) => s.sendRaw('{"type":"SERVER_HELLO_JOIN",'), 'UNKNOWN_TYPE', 'SOCP_ERR_MALFORMED_JSON');
  });
  test('schema violation (port not a number) → UNKNOWN_TYPE', async () => {
    const f = joinFrame(keyA, randomUUID(), 7106);
    await expectRejected((s) => s.sendRaw(JSON.stringify({ ...f, payload: { ...f.payload, port: 'http' } })), 'UNKNOWN_TYPE', 'SOCP_ERR_SCHEMA');
  });
  test('a first frame that is not a join → INVALID_SIG (not allowed)', async () => {
    await expectRejected((s) => s.sendRaw(JSON.stringify({ type: 'HEARTBEAT', from: randomUUID(), to: t.intro.id, ts: Date.now(), payload: {}, sig: '' })), 'INVALID_SIG', 'SOCP_ERR_NOT_ALLOWED');
  });
  test('a stale join (ts an hour old) → INVALID_SIG (replay window)', async () => {
    await expectRejected((s) => s.send(joinFrame(keyA, randomUUID(), 7107, Date.now() - 3600_000)), 'INVALID_SIG', 'SOCP_ERR_REPLAY');
  });
  test('a replayed join frame → INVALID_SIG', async () => {
    const f = joinFrame(keyB, randomUUID(), 7108);
    const first = await FrameSocket.connect(t.url);
    sockets.push(first);
    first.send(f);
    await first.waitFrame((x) => x.type === 'SERVER_WELCOME', 5_000);
    first.terminate();
    await expectRejected((s) => s.send(f), 'INVALID_SIG', 'SOCP_ERR_REPLAY');
  });

  test('a valid join sent right after a refused first frame is not acted on', async () => {
    const snapshot = before();
    const sock = await FrameSocket.connect(t.url);
    sockets.push(sock);
    sock.sendRaw('garbage');
    sock.send(joinFrame(keyA, randomUUID(), 7109));
    await sock.waitClosed(5_000);
    expect(sock.frames().map((f) => f.type)).toEqual(['ERROR']);
    expect(before()).toEqual(snapshot);
  });

  test('an oversize frame closes the socket with 1009 and changes nothing', async () => {
    const snapshot = before();
    const sock = await FrameSocket.connect(t.url);
    sockets.push(sock);
    const counted = metricValue((await httpGet(`${t.admin}/metrics`)).text, 'socp_introducer_frames_rejected_total', { reason: 'SOCP_ERR_FRAME_TOO_LARGE' });
    sock.sendRaw('x'.repeat(1024 * 1024 + 10));
    expect(await sock.waitClosed(5_000)).toBe(1009);
    expect(before()).toEqual(snapshot);
    await waitFor('oversize frame counted', async () => metricValue((await httpGet(`${t.admin}/metrics`)).text, 'socp_introducer_frames_rejected_total', { reason: 'SOCP_ERR_FRAME_TOO_LARGE' }) === counted + 1, 3_000);
  });

  test('bad frames after a join get ERROR without closing; a forged HEARTBEAT is INVALID_SIG', async () => {
    const id = randomUUID();
    const { sock } = track(await join(t.url, keyA, id, 7200));
    const n = sock.received.length;
    sock.sendRaw('not json');
    await sock.waitError('UNKNOWN_TYPE', 5_000, n);
    const forged = { type: 'HEARTBEAT', from: id, to: t.intro.id, ts: Date.now(), payload: {}, sig: joinFrame(keyB, id, 1).sig };
    const m = sock.received.length;
    sock.sendRaw(JSON.stringify(forged));
    await sock.waitError('INVALID_SIG', 5_000, m);
    expect(sock.isOpen).toBe(true);
    expect(t.intro.registry.get(id)?.connected).toBe(true);
  });
});

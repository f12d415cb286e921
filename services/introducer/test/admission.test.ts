/**
 * Operator consent at the introducer (docs/SECURITY.md "Admission"): only a join that proves the
 * mesh join secret, or whose key the operator allowlisted, is registered; a link signature
 * cannot be replayed as a join; one connection, one key, one entry; refusals cost no signature.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, sealFrame, withBind, type FrameOf, type RsaPrivateKey } from '@socp/protocol';
import { FrameSocket } from '../../../tests/harness/frame-socket';
import { httpGet, metricValue } from '../../../tests/harness/wait';
import { join, joinFrame, removeDir, startTestIntroducer, tempDir, useTestIntroducer, type TestIntroducer } from './helpers';

jest.setTimeout(180_000);

const fx = useTestIntroducer(2);
const sockets = fx.sockets;
let real: RsaPrivateKey, attacker: RsaPrivateKey, t: TestIntroducer;
beforeAll(() => void ([[real, attacker], t] = [fx.keys as [RsaPrivateKey, RsaPrivateKey], fx.t]));
const open = async (url = t.url): Promise<FrameSocket> => {
  const s = await FrameSocket.connect(url);
  sockets.push(s);
  return s;
};


const ids = (): string[] => t.intro.registry.others('').map((r) => r.server_id).sort();
const metric = async (name: string, labels: Record<string, string>): Promise<number> => metricValue((await httpGet(`${t.admin}/metrics`)).text, name, labels);

/** Send a frame on a fresh socket; resolve with the ERROR code it got (the socket is then closed). */
async function refusedWith(frame: object): Promise<string> {
  const s = await open();
  s.send(frame as FrameOf<'SERVER_HELLO_JOIN'>);
  const err = await s.waitError(undefined, 5_000);
  await s.waitClosed(5_000);
  return (err.payload as { code: string }).code;
}

test('an unknown server (no join proof, key not allowlisted) is refused and changes nothing', async () => {
  const before = ids();
  const n = await metric('socp_introducer_joins_total', { result: 'not_admitted' });
  expect(await refusedWith(joinFrame(attacker, randomUUID(), 7600, Date.now(), { secret: null }))).toBe('INVALID_SIG');
  expect(await refusedWith(joinFrame(attacker, randomUUID(), 7601, Date.now(), { secret: 'the-wrong-secret-of-32-characters-x' }))).toBe('INVALID_SIG');
  // a real server's proof, lifted onto the attacker's key, does not verify either
  const good = joinFrame(real, randomUUID(), 7602);
  const lifted = { ...good.payload, pubkey: attacker.publicKey.toBase64Url() };
  expect(await refusedWith(sealFrame(withBind({ type: 'SERVER_HELLO_JOIN', from: good.from, to: good.to, ts: good.ts, payload: lifted }), attacker))).toBe('INVALID_SIG');
  expect(ids()).toEqual(before);
  expect(await metric('socp_introducer_joins_total', { result: 'not_admitted' })).toBe(n + 3);
});

test('a SERVER_HELLO_LINK signature replayed as a SERVER_HELLO_JOIN is refused (its envelope is bound)', async () => {
  const id = randomUUID();
  const a = await join(t.url, real, id, 7610);
  sockets.push(a.sock);
  // what a server sends to its peers, captured on the wire…
  const link = sealFrame(withBind({ type: 'SERVER_HELLO_LINK', from: id, to: randomUUID(), ts: Date.now(), payload: { host: '127.0.0.1', port: 7610, pubkey: real.publicKey.toBase64Url(), caps: ['bind'] } }), real);
  // …re-typed as a join to take over that server's introducer slot
  expect(await refusedWith({ ...link, type: 'SERVER_HELLO_JOIN', to: '127.0.0.1:9100' })).toBe('INVALID_SIG');
  expect(t.intro.registry.get(id)?.connected).toBe(true);
  expect(a.sock.isOpen).toBe(true);
});

test('an unbound join (a peer that does not bind) cannot take the slot of a server connected elsewhere', async () => {
  const keyed = await startTestIntroducer(tempDir(), { SOCP_ADMIT: `key:${real.publicKey.fingerprint()}` });
  try {
    const id = randomUUID();
    const first = await join(keyed.url, real, id, 7620, { secret: null, bind: false });
    sockets.push(first.sock);
    const s = await open(keyed.url);
    s.send(joinFrame(real, id, 7620, Date.now() + 1, { secret: null, bind: false })); // its own signature: as a replay of its link hello would be
    const err = await s.waitError(undefined, 5_000);
    expect((err.payload as { code: string }).code).toBe('NAME_IN_USE');
    expect(first.sock.isOpen).toBe(true);
    expect(keyed.intro.registry.get(id)?.connected).toBe(true);
  } finally {
    await keyed.intro.stop();
    removeDir(keyed.dir);
  }
});

test('an allowlisted key joins without the secret; SOCP_ADMIT=* admits anyone (open federation)', async () => {
  const keyed = await startTestIntroducer(tempDir(), { SOCP_JOIN_SECRET: '', SOCP_ADMIT: `key:${real.publicKey.fingerprint()}` });
  const open_ = await startTestIntroducer(tempDir(), { SOCP_JOIN_SECRET: '', SOCP_ADMIT: '*' });
  try {
    const ok = await join(keyed.url, real, randomUUID(), 7630, { secret: null });
    sockets.push(ok.sock);
    expect(ok.welcome.type).toBe('SERVER_WELCOME');
    const s = await open(keyed.url);
    s.send(joinFrame(attacker, randomUUID(), 7631, Date.now(), { secret: null }));
    expect(((await s.waitError(undefined, 5_000)).payload as { code: string }).code).toBe('INVALID_SIG');
    const any = await join(open_.url, attacker, randomUUID(), 7632, { secret: null });
    sockets.push(any.sock);
    expect(any.welcome.type).toBe('SERVER_WELCOME');
  } finally {
    for (const x of [keyed, open_]) {
      await x.intro.stop();
      removeDir(x.dir);
    }
  }
});

test('one connection holds one entry: re-joining with new ids replaces it', async () => {
  const s = await open();
  const mine: string[] = [];
  for (let i = 0; i < 10; i++) {
    const id = randomUUID();
    mine.push(id);
    s.send(joinFrame(attacker, id, 7640 + i));
    await s.waitFrame((f) => f.type === 'SERVER_WELCOME' && f.to === id, 5_000);
  }
  expect(mine.filter((id) => t.intro.registry.get(id) !== undefined)).toEqual([mine[9]]);
});

test('1,000 joins from one attacker leave the registry serving real servers, for one signature', async () => {
  const realId = randomUUID();
  const r = await join(t.url, real, realId, 7700);
  sockets.push(r.sock);
  const before = ids();
  const errors = new Set<string>();
  const codes = new Set<string>();
  let welcomed = 0;
  // 1,000 joins in waves of 25 sockets (under the per-address cap): 500 without the secret, 500 with a stolen one
  for (let wave = 0; wave < 40; wave++) {
    await Promise.all(Array.from({ length: 25 }, async (_, i) => {
      const n = wave * 25 + i;
      const s = await open();
      s.send(joinFrame(attacker, randomUUID(), 8000 + n, Date.now(), { secret: n % 2 === 0 ? null : undefined }));
      const f = await s.waitFrame((x) => x.type === 'SERVER_WELCOME' || x.type === 'ERROR', 10_000);
      if (f.type === 'ERROR') {
        errors.add(f.sig);
        codes.add((f.payload as { detail: string }).detail.split(':')[0]!);
      } else welcomed++;
      s.terminate();
    }));
    for (const s of sockets.splice(1)) s.terminate();
  }
  const attackerEntries = ids().filter((id) => !before.includes(id));
  expect(attackerEntries.length).toBeLessThanOrEqual(1); // one key, one entry
  expect(welcomed).toBeGreaterThan(0); // the stolen secret did work…
  expect(codes.has('SOCP_ERR_NOT_ADMITTED')).toBe(true);
  expect(errors.size).toBe(codes.size); // …and every refusal was one cached signed ERROR per reason
  // the registry still serves real servers: a new one joins and is told about the first
  const later = await join(t.url, await generateKeyPair(), randomUUID(), 7701);
  sockets.push(later.sock);
  expect(later.welcome.payload.servers!.map((s) => s.server_id)).toContain(realId);
});

test('one address holds at most SOCP_MAX_CONNS_PER_IP sockets', async () => {
  const small = await startTestIntroducer(tempDir(), { SOCP_MAX_CONNS_PER_IP: '3' });
  try {
    const socks = await Promise.all([0, 1, 2].map(() => open(small.url)));
    const fourth = await open(small.url);
    expect(await fourth.waitClosed(5_000)).toBe(1013);
    for (const s of socks) expect(s.isOpen).toBe(true);
  } finally {
    await small.intro.stop();
    removeDir(small.dir);
  }
});

import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join as pathJoin } from 'node:path';
import { generateKeyPair, sealFrame, withBind, type RsaPrivateKey } from '@socp/protocol';
import { httpGet, metricValue, waitFor } from '../../../tests/harness/wait';
import { join, removeDir, startTestIntroducer, tempDir, type TestIntroducer } from './helpers';

jest.setTimeout(60_000);

let key: RsaPrivateKey;
let dir: string;
let t: TestIntroducer | undefined;

beforeAll(async () => {
  key = await generateKeyPair();
  dir = tempDir();
});
afterEach(async () => {
  await t?.intro.stop();
  t = undefined;
});
afterAll(() => removeDir(dir));

test('admin endpoints: /livez, /readyz with keys+registry checks, /metrics in Prometheus text', async () => {
  t = await startTestIntroducer(dir);
  expect((await httpGet(`${t.admin}/livez`)).body).toEqual({ status: 'ok' });
  expect(await httpGet(`${t.admin}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready', checks: { keys: true, registry: true } } });
  const m = await httpGet(`${t.admin}/metrics`);
  expect(m.text).toContain('# TYPE socp_introducer_joins_total counter');
  expect(m.text).toContain('process_cpu_seconds_total');
});

test('identity, key and registry survive a restart; the key file is 0600 encrypted PKCS#8', async () => {
  t = await startTestIntroducer(dir);
  const { id, pubkey } = t.intro;
  const serverId = randomUUID();
  const { sock } = await join(t.url, key, serverId, 7301);
  await t.intro.stop();
  t = undefined;
  sock.terminate();
  expect(statSync(pathJoin(dir, 'introducer.key.pem')).mode & 0o777).toBe(0o600);
  expect(readFileSync(pathJoin(dir, 'introducer.key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
  const file = JSON.parse(readFileSync(pathJoin(dir, 'registry.json'), 'utf8')) as { servers: Array<{ server_id: string }> };
  expect(file.servers.map((s) => s.server_id)).toContain(serverId);

  t = await startTestIntroducer(dir);
  expect(t.intro.id).toBe(id);
  expect(t.intro.pubkey).toBe(pubkey);
  expect(t.intro.registry.get(serverId)).toMatchObject({ port: 7301, connected: false });
  // a second server learns about the first from the restored registry
  const other = await join(t.url, await generateKeyPair(), randomUUID(), 7302);
  expect(other.welcome.payload.servers!.map((s) => s.server_id)).toContain(serverId);
  other.sock.terminate();
});

test('a wrong passphrase refuses to start', async () => {
  await expect(startTestIntroducer(dir, { SOCP_KEY_PASSPHRASE: 'wrong' })).rejects.toMatchObject({ code: 'SOCP_ERR_KEYSTORE' });
});

test('a CTRL_CLOSE signed by the server prunes it at once; an unsigned one only ends the socket; a plain disconnect is pruned after SOCP_PRUNE_AFTER_MS', async () => {
  t = await startTestIntroducer(tempDir(), { SOCP_PRUNE_AFTER_MS: '400' });
  const tt = t;
  const polite = randomUUID();
  const rude = randomUUID();
  const p = await join(tt.url, key, polite, 7401);
  const rudeKey = await generateKeyPair();
  const r = await join(tt.url, rudeKey, rude, 7402);
  p.sock.send(sealFrame(withBind({ type: 'CTRL_CLOSE', from: polite, to: tt.intro.id, ts: Date.now(), payload: {} }), key));
  await p.sock.waitClosed(3_000);
  expect(tt.intro.registry.get(polite)).toBeUndefined();
  // an attacker on the rude server's socket (or the server itself, unsigned) cannot delete its entry at once
  r.sock.sendRaw('{"type":"CTRL_CLOSE"}');
  await r.sock.waitClosed(3_000);
  await waitFor('rude server marked disconnected', () => tt.intro.registry.get(rude)?.connected === false, 3_000);
  expect(tt.intro.registry.get(rude)).toBeDefined();
  await waitFor('rude server pruned', () => tt.intro.registry.get(rude) === undefined, 5_000);
  const m = (await httpGet(`${tt.admin}/metrics`)).text;
  expect(metricValue(m, 'socp_introducer_prunes_total', { reason: 'ctrl_close' })).toBe(1);
  expect(metricValue(m, 'socp_introducer_prunes_total', { reason: 'expired' })).toBe(1);
  removeDir(tt.dir);
});

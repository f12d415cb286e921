/**
 * The real `socp` binary against a server that lies: garbage frames, forged and tampered
 * messages, a stranger's key, malicious file names, a changed server key, NAME_IN_USE.
 * The client must never crash, never show a forged message, never write outside its
 * downloads folder, and say clearly what went wrong.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  b64urlEncode, generateKeyPair, importPublicKey, signContent, verifyContent, verifyFrame, type Frame, type RsaPrivateKey,
} from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { ScriptedServer, type HelloAnswer } from './helpers/scripted-server';

jest.setTimeout(120_000);

const SERVER_ID = randomUUID();
const PASSWORD = randomSecret(); // a test user's password, new every run
let serverKey: RsaPrivateKey;
let otherServerKey: RsaPrivateKey;
let bobKey: RsaPrivateKey;
let malloryKey: RsaPrivateKey;
const BOB = randomUUID();
let dir: string;

const userPub = () => importPublicKey(fake.user!.pub);

/** A DM from `sender` (claimed id) to alice, content-signed by `signer`, carrying `senderPub`. */
function dm(text: string, signer = bobKey, senderPub = bobKey.publicKey.b64url, ts = Date.now()): Record<string, unknown> {
  const ciphertext = b64urlEncode(userPub().encrypt(Buffer.from(text)));
  const content_sig = signContent(signer, { ciphertext, from: BOB, to: fake.user!.id, ts });
  return { ciphertext, sender: BOB, sender_pub: senderPub, content_sig, orig_ts: ts };
}

/** FILE_START/CHUNK/END from bob as our server delivers them (from = bob, payload + sender). */
function pushFile(name: string, data: Buffer, sha = createHash('sha256').update(data).digest('hex')): string {
  const fileId = randomUUID();
  const alice = fake.user!.id;
  fake.push('FILE_START', { file_id: fileId, name, size: data.length, sha256: sha, mode: 'dm', sender: BOB }, { from: BOB });
  for (let i = 0; i * 446 < data.length; i++) {
    const ts = Date.now();
    const ciphertext = b64urlEncode(userPub().encrypt(data.subarray(i * 446, (i + 1) * 446)));
    const content_sig = signContent(bobKey, { ciphertext, from: BOB, to: alice, ts });
    fake.push('FILE_CHUNK', { file_id: fileId, index: i, ciphertext, sender: BOB, sender_pub: bobKey.publicKey.b64url, content_sig }, { from: BOB, ts });
  }
  fake.push('FILE_END', { file_id: fileId, sender: BOB }, { from: BOB });
  return fileId;
}

let fake: ScriptedServer;
const listen = (key: RsaPrivateKey, answer: HelloAnswer = 'ack', port = 0): Promise<ScriptedServer> => ScriptedServer.listen(key, { answer, port, serverId: SERVER_ID });
let cli: CliProcess | undefined;
const home = (): string => join(dir, 'home');

beforeAll(async () => {
  [serverKey, otherServerKey, bobKey, malloryKey] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  dir = mkdtempSync(join(tmpdir(), 'socp-e2e-hostile-'));
});
afterEach(async () => {
  cli?.kill();
  await fake?.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('garbage, forged and tampered frames become warnings; only genuine content is shown; files stay inside downloads', async () => {
  fake = await listen(serverKey);
  cli = CliProcess.start(['--server', fake.url, '--home', home(), 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  expect(cli.events[0]).toMatchObject({ event: 'ready', server_id: SERVER_ID, pinned: 'new' });

  // Garbage of every kind.
  for (const junk of ['not json', '[]', '{"type":"NOPE","from":"x","to":"y","ts":1,"payload":{}}', '{"type":"USER_DELIVER"}', `{"type":"USER_ADVERTISE","from":"a","to":"b","ts":1,"payload":{"user_id":"${'x'.repeat(5000)}"}}`, '\u0000\u0001']) fake.raw(junk);
  // Bob comes online (signed by our server).
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: SERVER_ID, meta: { display_name: 'bob' }, pubkey: bobKey.publicKey.b64url });
  await cli.waitEvent((e) => e.event === 'presence' && e['user_id'] === BOB, 'bob online');
  // A frame not signed by the pinned server key.
  fake.push('USER_DELIVER', dm('forged by another server'), { signer: otherServerKey });
  // Tampered ciphertext, re-signed by the (hostile) server.
  const t = dm('transfer 10 EUR to bob');
  const ct = t['ciphertext'] as string;
  fake.push('USER_DELIVER', { ...t, ciphertext: `${ct.slice(0, 20)}${ct[20] === 'A' ? 'B' : 'A'}${ct.slice(21)}` });
  // Mallory claims to be bob with her own key (wrong sender key) …
  fake.push('USER_DELIVER', dm('I am bob, trust me', malloryKey, malloryKey.publicKey.b64url));
  // … or with bob's key in sender_pub but her signature.
  fake.push('USER_DELIVER', dm('I am bob, really', malloryKey));
  // An advertisement that swaps bob's key.
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: SERVER_ID, meta: { display_name: 'bob' }, pubkey: malloryKey.publicKey.b64url });
  // Finally a genuine message: shown, and proof the client is still alive.
  fake.push('USER_DELIVER', dm('genuine hello'));
  await cli.waitEvent((e) => e.event === 'message', 'the genuine message');

  const messages = cli.events.filter((e) => e.event === 'message');
  expect(messages).toEqual([expect.objectContaining({ kind: 'dm', from: BOB, from_name: 'bob', text: 'genuine hello' })]);
  const codes = cli.events.filter((e) => e.event === 'warning').map((e) => e['code']);
  expect(codes.filter((c) => c === 'INVALID_SIG').length).toBeGreaterThanOrEqual(3); // other server's sig, tampered, mallory's sig
  expect(codes).toContain('BAD_KEY'); // mallory's key as sender_pub, and the key swap
  expect(codes.filter((c) => c === 'BAD_KEY').length).toBeGreaterThanOrEqual(2);
  expect(codes).toContain('UNKNOWN_TYPE');

  // Malicious file names.
  const outside = `socp-e2e-abs-${randomBytes(4).toString('hex')}`;
  const data = randomBytes(3000);
  pushFile('../x', data);
  pushFile(`/tmp/${outside}`, data);
  pushFile('evil\u0000name.txt', data);
  pushFile('..', data);
  pushFile('liar.bin', data, 'ab'.repeat(32)); // sha256 does not match
  await waitFor('five transfers to finish', () => cli!.events.filter((e) => e.event === 'file-received' || e.event === 'file-failed').length >= 5, 30_000);
  const received = cli.events.filter((e) => e.event === 'file-received');
  expect(received.map((e) => e['name']).sort()).toEqual(expect.arrayContaining(['x', outside, 'evilname.txt']));
  expect(received).toHaveLength(4);
  const downloads = join(home(), 'downloads');
  for (const e of received) {
    expect(e['path']).toBe(join(downloads, e['name'] as string));
    expect(readFileSync(e['path'] as string).equals(data)).toBe(true);
  }
  expect(cli.events.find((e) => e.event === 'file-failed')).toMatchObject({ name: 'liar.bin' });
  expect(readdirSync(downloads).sort()).toEqual(received.map((e) => e['name'] as string).sort());
  expect(existsSync(join(home(), 'x'))).toBe(false);
  expect(existsSync(join(dir, 'x'))).toBe(false);
  expect(existsSync(`/tmp/${outside}`)).toBe(false);
  expect(cli.alive).toBe(true);

  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
});

test('what the client sends: signed frames, E2E content bob can verify and decrypt, chat going on during a transfer', async () => {
  fake = await listen(serverKey);
  cli = CliProcess.start(['--server', fake.url, '--home', join(dir, 'home-send'), 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: SERVER_ID, meta: { display_name: 'bob' }, pubkey: bobKey.publicKey.b64url });
  await cli.waitEvent((e) => e.event === 'presence', 'bob online');
  const data = randomBytes(100_000);
  const path = join(dir, 'out.bin');
  writeFileSync(path, data);
  cli.send(`/file bob ${path}`);
  cli.send('/tell bob while the file goes');
  cli.send('/all to everyone');
  await cli.waitEvent((e) => e.event === 'file-sent', 'file sent', 60_000);
  const alicePub = importPublicKey(fake.user!.pub);
  const alice = fake.user!.id;
  // Every frame after the hello is signed with alice's key.
  for (const f of fake.received) expect(verifyFrame(f, alicePub).ok).toBe(true);
  const open = (f: Frame & { payload: { ciphertext: string; content_sig: string } }, to: string | undefined): string => {
    expect(verifyContent(alicePub, { ciphertext: f.payload.ciphertext, from: alice, to, ts: f.ts }, f.payload.content_sig)).toBe('C');
    return bobKey.decrypt(Buffer.from(f.payload.ciphertext, 'base64url')).toString('latin1');
  };
  const types = fake.received.map((f) => f.type);
  const dmAt = types.indexOf('MSG_DIRECT');
  expect(dmAt).toBeGreaterThan(0);
  expect(dmAt).toBeLessThan(types.indexOf('FILE_END')); // the chat did not wait for the file
  expect(open(fake.received[dmAt] as never, BOB)).toBe('while the file goes');
  const pub = fake.received.find((f) => f.type === 'MSG_PUBLIC_CHANNEL')!;
  expect(pub).toMatchObject({ to: BOB, payload: { group_id: 'public' } });
  expect(open(pub as never, undefined)).toBe('to everyone');
  const start = fake.received.find((f) => f.type === 'FILE_START')!;
  expect(start.payload).toMatchObject({ name: 'out.bin', size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mode: 'dm' });
  const chunks = fake.received.filter((f) => f.type === 'FILE_CHUNK') as Array<Frame & { payload: { index: number; ciphertext: string; content_sig: string; sender_pub: string } }>;
  expect(chunks.every((c) => c.payload.sender_pub === alicePub.b64url)).toBe(true);
  const bytes = Buffer.concat(chunks.sort((a, b) => a.payload.index - b.payload.index).map((c) => Buffer.from(open(c, BOB), 'latin1')));
  expect(bytes.equals(data)).toBe(true);
});

test('the pinned server key is enforced: the same URL with another key is refused', async () => {
  const h = join(dir, 'home-pin');
  fake = await listen(serverKey);
  const url = fake.url;
  cli = CliProcess.start(['--server', url, '--home', h, 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  expect(cli.events[0]).toMatchObject({ pinned: 'new' });
  expect(fake.hellos.map((h) => [h.to, (h.payload as unknown as { bind: unknown }).bind])).toEqual([['*', { type: 'USER_HELLO', from: fake.user!.id, to: '*', ts: fake.hellos[0]!.ts }]]);
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
  await fake.close();
  // The same URL again, same key: accepted as known.
  fake = await listen(serverKey, 'ack', Number(new URL(url).port));
  cli = CliProcess.start(['--server', url, '--home', h, 'login', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  expect(cli.events[0]).toMatchObject({ pinned: 'known' });
  // The first hello went to "*" (nothing pinned yet), this one to the pinned server id; each payload binds its envelope.
  expect(fake.hellos.map((h) => h.to)).toEqual([SERVER_ID]);
  const hello = fake.hellos[0]!;
  expect((hello.payload as unknown as { bind: unknown }).bind).toEqual({ type: 'USER_HELLO', from: hello.from, to: SERVER_ID, ts: hello.ts });
  expect(verifyFrame(hello, importPublicKey(hello.payload.pubkey)).ok).toBe(true);
  cli.send('/quit');
  await cli.waitExit();
  await fake.close();
  // The same URL, another key: refused before anything is shown.
  fake = await listen(otherServerKey, 'ack', Number(new URL(url).port));
  cli = CliProcess.start(['--server', url, '--home', h, 'login', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  expect(await cli.waitExit(60_000)).toBe(1);
  expect(cli.events).toEqual([expect.objectContaining({ event: 'fatal', code: 'BAD_KEY' })]);
  expect(cli.stderr).toMatch(/DIFFERENT key than the one pinned/);
});

test('NAME_IN_USE is a clear message and nothing is saved', async () => {
  fake = await listen(serverKey, 'name-in-use');
  const h = join(dir, 'home-taken');
  cli = CliProcess.start(['--server', fake.url, '--home', h, 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  expect(await cli.waitExit(60_000)).toBe(1);
  expect(cli.stderr).toMatch(/that name is already taken on this server/);
  expect(cli.events).toEqual([expect.objectContaining({ event: 'fatal', code: 'NAME_IN_USE' })]);
  expect(existsSync(join(h, 'accounts', 'alice.json'))).toBe(false);
});

test('a wrong password says so, and nothing else happens (no connection)', async () => {
  fake = await listen(serverKey);
  cli = CliProcess.start(['--server', fake.url, '--home', home(), 'login', '--name', 'alice'], { SOCP_PASSWORD: randomSecret() });
  expect(await cli.waitExit(60_000)).toBe(1);
  expect(cli.stderr.trim()).toBe('socp: wrong password');
  expect(fake.connections).toBe(0);
});


/**
 * Our CLI (the real `socp` binary) on other implementations' servers, with another
 * implementation's client (issue 14 items 2, 3, 6; the dialects in tests/interop/peers):
 *  - a server that closes on our account probe, wants hellos addressed to "*", and answers
 *    `USER_HELLO_OK` without server_id; a PEM-key, variant-A client on it: DMs both ways,
 *    /all both ways (theirs carries plaintext — refused visibly), files both ways (theirs in
 *    spec form, 190-byte chunks: received, marked "sender not verified");
 *  - a server that never sends a hello ACK: without --server-key the CLI stops and says why;
 *    with it, the handshake completes on the first frame that verifies.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess } from '../e2e/helpers/cli-process';
import { ForeignServer } from './peers/foreign-server';
import { PemClient } from './peers/pem-client';

jest.setTimeout(180_000);

const PASSWORD = randomSecret();
let dir: string;
let serverKey: RsaPrivateKey;
let server: ForeignServer | undefined;
let peer: PemClient | undefined;
let cli: CliProcess | undefined;

beforeAll(async () => {
  serverKey = await generateKeyPair();
  dir = mkdtempSync(join(tmpdir(), 'socp-interop-foreign-'));
});
afterEach(async () => {
  cli?.kill();
  peer?.close();
  await server?.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (args: string[], env: Record<string, string> = {}): CliProcess =>
  (cli = CliProcess.start(args, { SOCP_PASSWORD: PASSWORD, ...env }));

test('a server that closes on the account probe and answers USER_HELLO_OK; a PEM-key, variant-A client: DMs, /all and files both ways', async () => {
  server = await ForeignServer.listen(serverKey, { helloAck: 'ok-no-id' });
  peer = await PemClient.connect(server.url, 'pem');
  const home = join(dir, 'home-ok');
  // SOCP_KEY_FORMAT=pem: this client loads only PEM keys, so ours goes out as PEM too.
  start(['--server', server.url, '--home', home, '--downloads', join(dir, 'dl'), 'signup', '--name', 'alice'], { SOCP_KEY_FORMAT: 'pem' });
  const ready = await cli!.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  expect(ready).toMatchObject({ server_id: server.id, pinned: 'new', server_fingerprint: serverKey.publicKey.fingerprint() });
  expect(server.closedOnFirstFrame).toBe(1); // the account probe, then a new socket for the plain hello
  const ourHellos = (): string[] => server!.hellos.filter((h) => h.from !== peer!.id).map((h) => h.to);
  expect(ourHellos()).toEqual(['*']);
  const alice = String(ready['user_id']);
  await cli!.waitEvent((e) => e.event === 'presence' && e['name'] === 'pem', 'pem online');
  await peer.waitFor('alice');

  // DMs both ways: ours in variant A with a PEM sender_pub (all this client verifies).
  cli!.send('/tell pem hello from socp');
  await waitFor('pem got the DM', () => peer!.got.find((g) => g.text === 'hello from socp'), 20_000);
  peer.tell(alice, 'hello from pem');
  expect(await cli!.waitEvent((e) => e.event === 'message' && e['kind'] === 'dm', 'pem\'s DM')).toMatchObject({ text: 'hello from pem', from_name: 'pem' });

  // /all both ways: ours arrives; theirs carries plaintext as "ciphertext" — refused, visibly.
  cli!.send('/all hi everyone');
  await waitFor('pem got the public message', () => peer!.got.find((g) => g.kind === 'public' && g.text === 'hi everyone'), 20_000);
  peer.all('plain for all');
  await cli!.waitEvent((e) => e.event === 'warning' && e['code'] === 'DECRYPT', 'their /all refused (not decryptable)');

  // Files both ways.
  const ours = randomBytes(2_000);
  writeFileSync(join(dir, 'ours.bin'), ours);
  cli!.send(`/file pem ${join(dir, 'ours.bin')}`);
  await waitFor('pem got our file', () => peer!.files.find((f) => f.name === 'ours.bin'), 30_000);
  expect(peer.files[0]!.data.equals(ours)).toBe(true);
  const theirs = randomBytes(1_000);
  peer.sendFile(alice, 'theirs.bin', theirs);
  const got = await cli!.waitEvent((e) => e.event === 'file-received', 'their spec-form file', 30_000);
  expect(got).toMatchObject({ name: 'theirs.bin', sender_verified: false, sha256: createHash('sha256').update(theirs).digest('hex') });
  expect(readFileSync(String(got['path'])).equals(theirs)).toBe(true);

  expect(cli!.events.filter((e) => e.event === 'message')).toHaveLength(1);
  expect(peer.rejected).toEqual([]);
  cli!.send('/quit');
  expect(await cli!.waitExit()).toBe(0);

  // Log-in with the local keystore: the log-in probe is closed on too; a plain hello, now to the pinned id.
  start(['--server', server.url, '--home', home, 'login', '--name', 'alice'], { SOCP_KEY_FORMAT: 'pem' });
  expect(await cli!.waitEvent((e) => e.event === 'ready', 'ready again', 60_000)).toMatchObject({ user_id: alice, pinned: 'known' });
  expect(server.closedOnFirstFrame).toBe(2);
  expect(ourHellos()).toEqual(['*', server.id]);
  cli!.send('/quit');
  expect(await cli!.waitExit()).toBe(0);
});

test('without the dialect settings this client cannot follow us: our DER key ("no start line") and a forced variant C ("invalid content_sig")', async () => {
  server = await ForeignServer.listen(serverKey, { helloAck: 'ok-no-id' });
  peer = await PemClient.connect(server.url, 'pem');
  start(['--server', server.url, '--home', join(dir, 'home-c'), 'signup', '--name', 'carol'], { SOCP_CONTENT_SIG: 'C' });
  const carol = String((await cli!.waitEvent((e) => e.event === 'ready', 'ready', 60_000))['user_id']);
  await cli!.waitEvent((e) => e.event === 'presence' && e['name'] === 'pem', 'pem online');
  await waitFor('pem refused carol\'s DER key', () => peer!.rejected.find((r) => r.startsWith('USER_ADVERTISE') && r.includes('no start line')), 20_000);
  expect(peer.roster.has(carol)).toBe(false); // so it can never DM carol
  cli!.send('/tell pem forced variant C');
  // Forced C means a DER sender_pub too: refused on both counts, as the issue found.
  await waitFor('pem refused the DM', () => peer!.rejected.find((r) => /^USER_DELIVER .*(no start line|invalid content_sig)/.test(r)), 20_000);
  expect(peer.got).toEqual([]);
});

test('a server that never sends the hello ACK: without a pinned key the CLI stops and says why; with --server-key it completes on the first verified frame', async () => {
  server = await ForeignServer.listen(serverKey, { helloAck: 'none' });
  peer = await PemClient.connect(server.url, 'pem'); // so the server has presence to send us
  start(['--server', server.url, '--home', join(dir, 'home-none-1'), 'signup', '--name', 'dave']);
  expect(await cli!.waitExit(60_000)).toBe(1);
  expect(cli!.events).toEqual([expect.objectContaining({ event: 'fatal', code: 'TIMEOUT', detail: expect.stringContaining('--server-key') })]);

  start(['--server', server.url, '--home', join(dir, 'home-none-2'), '--server-key', server.pubkey, 'signup', '--name', 'dave'], { SOCP_KEY_FORMAT: 'pem' });
  const ready = await cli!.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  expect(ready).toMatchObject({ server_id: server.id, server_fingerprint: serverKey.publicKey.fingerprint() });
  // The frame that completed the handshake is not lost: pem's advertisement.
  await cli!.waitEvent((e) => e.event === 'presence' && e['name'] === 'pem', 'pem online');
  await peer.waitFor('dave');
  cli!.send('/tell pem over a server without ACKs');
  await waitFor('pem got the DM', () => peer!.got.find((g) => g.text === 'over a server without ACKs'), 20_000);
  peer.tell(String(ready['user_id']), 'and back');
  await cli!.waitEvent((e) => e.event === 'message' && e['text'] === 'and back', 'the DM back');
  cli!.send('/quit');
  expect(await cli!.waitExit()).toBe(0);
});

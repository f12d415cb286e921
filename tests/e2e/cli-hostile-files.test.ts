/**
 * The real `socp` binary writes only inside its downloads folder, whatever a hostile server or
 * peer puts in `file_id` and `name` (issue 13.5): FILE_START/FILE_CHUNK/FILE_END with path
 * traversal in both, symlinks planted in the folder. Checked while a transfer is open (the temp
 * file) and after it ends (the final name), on the folder's parents too.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { b64urlEncode, importPublicKey, signContent, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { ScriptedServer } from './helpers/scripted-server';
import { useScriptedFixture } from './helpers/scripted-fixture';

jest.setTimeout(120_000);

const BOB = randomUUID();
const CHUNK_BYTES = 446;
const fx = useScriptedFixture('hostile-files', 1);
const bobKey = (): RsaPrivateKey => fx.keys[0]!;

/** Every entry below `root` except the CLI's home, as relative paths. */
const tree = (root: string): string[] =>
  readdirSync(root, { recursive: true }).map(String).filter((p) => p !== 'home' && !p.startsWith('home/')).sort();

/** FILE_START and every FILE_CHUNK from bob as a server delivers them (from = bob, payload + sender); FILE_END apart. */
function offer(s: ScriptedServer, fileId: string, name: string, data: Buffer): void {
  const alice = s.user!.id;
  const alicePub = importPublicKey(s.user!.pub);
  s.push('FILE_START', { file_id: fileId, name, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mode: 'dm', sender: BOB }, { from: BOB });
  for (let i = 0; i * CHUNK_BYTES < data.length; i++) {
    const ts = Date.now();
    const ciphertext = b64urlEncode(alicePub.encrypt(data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
    const content_sig = signContent(bobKey(), { ciphertext, from: BOB, to: alice, ts });
    s.push('FILE_CHUNK', { file_id: fileId, index: i, ciphertext, sender: BOB, sender_pub: bobKey().publicKey.b64url, content_sig }, { from: BOB, ts });
  }
}
const end = (s: ScriptedServer, fileId: string): void => s.push('FILE_END', { file_id: fileId, sender: BOB }, { from: BOB });

/** A DM from bob: frames are handled in order, so once it shows, everything before it was written. */
async function barrier(s: ScriptedServer, c: CliProcess, text: string): Promise<void> {
  const ts = Date.now();
  const ciphertext = b64urlEncode(importPublicKey(s.user!.pub).encrypt(Buffer.from(text)));
  const content_sig = signContent(bobKey(), { ciphertext, from: BOB, to: s.user!.id, ts });
  s.push('USER_DELIVER', { ciphertext, sender: BOB, sender_pub: bobKey().publicKey.b64url, content_sig, orig_ts: ts });
  await c.waitEvent((e) => e.event === 'message' && e['text'] === text, text);
}

test('file_id and name with path traversal, and symlinks in the folder: nothing is written outside the downloads folder', async () => {
  const dir = fx.dir;
  const downloads = join(dir, 'a', 'b', 'downloads');
  mkdirSync(downloads, { recursive: true });
  writeFileSync(join(dir, 'precious.txt'), 'precious');
  symlinkSync(join(dir, 'precious.txt'), join(downloads, 'report.txt'));
  symlinkSync(join(dir, 'a', 'dangling.txt'), join(downloads, 'notes.txt'));
  const before = tree(dir);

  const fake = (fx.server = await ScriptedServer.listen(fx.serverKey));
  const cli = (fx.cli = CliProcess.start(['--server', fake.url, '--home', join(dir, 'home'), '--downloads', downloads, 'signup', '--name', 'alice'], { SOCP_PASSWORD: randomSecret() }));
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: fake.serverId, meta: { display_name: 'bob' }, pubkey: bobKey().publicKey.b64url });
  await cli.waitEvent((e) => e.event === 'presence' && e['user_id'] === BOB, 'bob online');

  // Open transfers (no FILE_END yet; at most MAX_CONCURRENT_TRANSFERS = 4 at once): their data is on disk now, in temp files.
  const data = Buffer.from('attacker-chosen bytes '.repeat(60));
  const rounds: Array<Array<[string, string]>> = [
    [['/../../pwned', 'safe.txt'], ['../../../pwned2', '../../pwned3'], ['/../../x', '..'], [randomUUID(), 'report.txt']],
    [[randomUUID(), 'notes.txt']],
  ];
  for (const [round, transfers] of rounds.entries()) {
    for (const [id, name] of transfers) offer(fake, id, name, data);
    await barrier(fake, cli, `round ${round}: chunks sent`);
    const open = tree(dir).filter((p) => !before.includes(p) && !/^a\/b\/downloads\/[^.]/.test(p));
    expect(open).toEqual(Array(transfers.length).fill(expect.stringMatching(/^a\/b\/downloads\/\.socp-[0-9a-f-]{36}\.part$/)));
    for (const [id] of transfers) end(fake, id);
  }
  await waitFor('five transfers to end', () => cli.events.filter((e) => e.event === 'file-received' || e.event === 'file-failed').length >= 5, 30_000);
  const received = cli.events.filter((e) => e.event === 'file-received');
  // `name` is the sanitized offered name; `path` where it was stored (the next free name beside a planted link).
  expect(received.map((e) => e['name'])).toEqual(['safe.txt', 'pwned3', expect.stringMatching(/^file-[0-9a-f]{12}$/), 'report.txt', 'notes.txt']);
  expect(received.map((e) => relative(downloads, e['path'] as string))).toEqual(['safe.txt', 'pwned3', received[2]!['name'], 'report (1).txt', 'notes (1).txt']);
  for (const e of received) expect(readFileSync(e['path'] as string).equals(data)).toBe(true);
  // The parents of the folder hold exactly what they held; the planted links still point where they did.
  expect(tree(dir)).toEqual([...before, ...received.map((e) => relative(dir, e['path'] as string))].sort());
  expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('precious');
  expect(lstatSync(join(downloads, 'report.txt')).isSymbolicLink()).toBe(true);
  expect(cli.alive).toBe(true);
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
});

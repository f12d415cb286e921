/**
 * The `socp` binary as a person uses it, in real terminals (tmux), on a real two-server mesh:
 * alice on server 0, bob on server 1, plus carol, a raw spec client on server 1.
 * Sign up → /list → /tell both ways → /all → /file (1 MB, sha256) → /quit.
 * Every assertion is on what the screens show (and, for the file, the bytes on disk).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MULTI_BLOCK_CHUNK_BYTES } from '@socp/protocol';
import { repoRoot } from '../harness/processes';
import { RawUser } from '../harness/raw-user';
import { randomSecret } from '../harness/secrets';
import { httpGet, metricValue } from '../harness/wait';
import { useE2eMesh } from './helpers/e2e-mesh';
import { Terminal } from './helpers/terminal';

jest.setTimeout(300_000);

const CLI = join(repoRoot(), 'services/client-cli/dist/main.js');
const SOCKET = `socp-e2e-chat-${process.pid}`;
const PASSWORD = randomSecret(); // a test user's password, new every run
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

let alice: Terminal;
let bob: Terminal;
let carol: RawUser | undefined;
const ids: Record<string, string> = {};
const fx = useE2eMesh('chat', { servers: 2 }, () => {
  carol?.close();
  Terminal.killServer(SOCKET);
});

function signup(name: string, server: number): Terminal {
  const home = join(fx.dir, `home-${name}`);
  return Terminal.start(SOCKET, name, fx.dir, [process.execPath, CLI, 'signup'], {
    SOCP_HOME: home, SOCP_SERVER_URL: fx.mesh.servers[server]!.wsUrl, TERM: 'xterm-256color', PATH: process.env['PATH'] ?? '',
  });
}

async function typeSignup(t: Terminal, name: string): Promise<void> {
  await t.waitFor(/user name: $/m);
  t.line(name);
  await t.waitFor(/^password: $/m);
  t.line(PASSWORD);
  await t.waitFor(/^password again: $/m);
  t.line(PASSWORD);
  const m = await t.waitFor(new RegExp(`connected as ${name} \\((${UUID})\\) to server ([0-9a-f]{8})`), 60_000);
  ids[name] = m[1]!;
}

test('alice (server 0) and bob (server 1) sign up and go straight into the session', async () => {
  alice = signup('alice', 0);
  bob = signup('bob', 1);
  await Promise.all([typeSignup(alice, 'alice'), typeSignup(bob, 'bob')]);
  expect(alice.screen()).toContain(`to server ${fx.mesh.servers[0]!.id.slice(0, 8)}`);
  expect(bob.screen()).toContain(`to server ${fx.mesh.servers[1]!.id.slice(0, 8)}`);
  expect(alice.screen()).toMatch(/server key pinned on first use/);
  expect(alice.screen()).not.toContain(PASSWORD);
  await alice.waitFor(/\* bob is online/);
  await bob.waitFor(/\* alice is online/);
});

test('a taken name is a clear message, and another name can be chosen right away', async () => {
  const eve = signup('eve', 0);
  await eve.waitFor(/user name: $/m);
  eve.line('alice');
  for (const prompt of [/^password: $/m, /^password again: $/m]) {
    await eve.waitFor(prompt);
    eve.line(PASSWORD);
  }
  await eve.waitFor(/the name "alice" is already taken on this server; choose another\nuser name: $/m, 60_000);
  eve.line('eve');
  await eve.waitFor(/connected as eve \(/, 30_000);
  eve.line('/quit');
  await eve.waitFor(/\[exit 0\]/);
  await alice.waitFor(/\* eve is offline/);
  await bob.waitFor(/\* eve is offline/);
});

test('/list shows both users, sorted, with their servers', async () => {
  alice.line('/list');
  const m = await alice.waitFor(/2 online:\n(.*)\n(.*)\n/);
  expect(m[1]).toMatch(new RegExp(`^\\s+alice\\s+server ${fx.mesh.servers[0]!.id.slice(0, 8)}\\s+${ids['alice']} \\(you\\)`));
  expect(m[2]).toMatch(new RegExp(`^\\s+bob\\s+server ${fx.mesh.servers[1]!.id.slice(0, 8)}\\s+${ids['bob']}`));
});

test('/tell works both ways across servers (with tab completion of the name)', async () => {
  alice.type('/tell b');
  alice.press('Tab');
  alice.line('hi bob, this is alice');
  await bob.waitFor(/\] alice → you: hi bob, this is alice$/m);
  bob.line('/tell alice hello alice — bob here ✓');
  await alice.waitFor(/\] bob → you: hello alice — bob here ✓$/m);
  await alice.waitFor(/\] you → bob: hi bob, this is alice$/m);
});

test('a message longer than one OAEP block arrives as one message', async () => {
  const long = `${'lorem ipsum dolor sit amet '.repeat(40)}THE END`;
  bob.line(`/tell alice ${long}`);
  await alice.waitFor(/bob → you: lorem ipsum.*THE END$/m);
  expect(alice.count(/bob → you: lorem ipsum/)).toBe(1);
});

test('/all reaches everyone online, including a spec client', async () => {
  carol = await RawUser.connect(fx.mesh.servers[1]!.wsUrl, { name: 'carol' });
  await alice.waitFor(/\* carol is online/);
  await carol.waitForUser(ids['alice']!);
  const since = carol.mark();
  alice.line('/all good morning, everyone');
  await bob.waitFor(/\] alice → all: good morning, everyone$/m);
  const got = await carol.waitMessage(ids['alice']!, 20_000, since, 'public');
  expect(got.text).toBe('good morning, everyone');
  await alice.waitFor(/you → all \(2 online\): good morning, everyone/);
});

test('/file sends a 1 MB file that arrives with a matching sha256, in 16-block chunks between our CLIs', async () => {
  const data = randomBytes(1024 * 1024);
  const sha = createHash('sha256').update(data).digest('hex');
  const path = join(fx.dir, 'photo.bin');
  writeFileSync(path, data);
  const chunksAtA = async (): Promise<number> => metricValue((await httpGet(`${fx.mesh.servers[0]!.adminUrl}/metrics`)).text, 'socp_frames_received_total', { type: 'FILE_CHUNK' });
  const before = await chunksAtA();
  alice.line(`/file bob ${path}`);
  // Progress bars on both sides while it travels (1 MB is > 2000 RSA blocks: seconds).
  await alice.waitFor(/^ → bob \[[█░]{30}\]\s+\d+% /m, 60_000);
  await bob.waitFor(/^ ← photo\.bin \[[█░]{30}\]\s+\d+% /m, 60_000);
  await alice.waitFor(/✓ sent "photo\.bin" to bob \(1048576 bytes/, 240_000);
  const m = await bob.waitFor(/✓ received "photo\.bin" from alice \(1048576 bytes, sha256 ok\) → (\S+)/, 240_000);
  expect(m[1]).toBe(join(fx.dir, 'home-bob', 'downloads', 'photo.bin'));
  expect(createHash('sha256').update(readFileSync(m[1]!)).digest('hex')).toBe(sha);
  // Both CLIs declare file-blocks: ceil(1 MiB / (16 × 446)) = 147 chunks reached server A, not 2,352 (docs/protocol.md "Multi-block file chunks").
  expect((await chunksAtA()) - before).toBe(Math.ceil(data.length / MAX_MULTI_BLOCK_CHUNK_BYTES));
});

test('/whois shows id, server and key fingerprint; /help lists the commands', async () => {
  bob.line('/whois alice');
  const m = await bob.waitFor(/fingerprint: ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})/);
  expect(bob.screen()).toContain(`user id:     ${ids['alice']}`);
  expect(m[1]!.replace(/ /g, '')).toHaveLength(64);
  bob.line('/help');
  await bob.waitFor(/\/file <user> <path>\s+send a file/);
});

test('/quit leaves cleanly and the others see it', async () => {
  alice.line('/quit');
  await alice.waitFor(/^bye$/m);
  await alice.waitFor(/\[exit 0\]/);
  await bob.waitFor(/\* alice is offline/);
  await carol!.waitForUserGone(ids['alice']!);
});

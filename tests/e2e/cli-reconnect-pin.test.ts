/**
 * Reconnecting never accepts a changed server key (docs/client.md "When the server goes away"):
 * the real `socp` binary (--json) loses its server; what answers at the same URL afterwards
 * presents another key; the CLI stops with BAD_KEY (exit 1) and the pin stays as it was.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { CliProcess } from './helpers/cli-process';
import { HelloServer } from './helpers/hello-server';

jest.setTimeout(120_000);

let dir: string;
let keys: RsaPrivateKey[];
let server: HelloServer | undefined;
let cli: CliProcess | undefined;

beforeAll(async () => {
  keys = await Promise.all([generateKeyPair(), generateKeyPair()]);
  dir = mkdtempSync(join(tmpdir(), 'socp-e2e-reconnect-pin-'));
});
afterAll(async () => {
  cli?.kill();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after the server went away, the same URL with another key ends the session with BAD_KEY', async () => {
  const serverId = randomUUID();
  server = await HelloServer.listen(keys[0]!, serverId);
  const url = server.url;
  const home = join(dir, 'home');
  cli = CliProcess.start(['--server', url, '--home', home, 'signup', '--name', 'alice'], { SOCP_PASSWORD: randomSecret() });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  const pins = readFileSync(join(home, 'known_servers.json'), 'utf8');

  await server.close();
  await cli.waitEvent((e) => e.event === 'reconnecting', 'reconnecting');
  server = await HelloServer.listen(keys[1]!, serverId, Number(new URL(url).port));

  expect(await cli.waitExit(60_000)).toBe(1);
  expect(server.hellos).toBe(1); // one try with the new key, no retry
  expect(cli.events.at(-1)).toMatchObject({ event: 'closed', reason: expect.stringMatching(/^gave up reconnecting: .*DIFFERENT key/) });
  expect(cli.events.some((e) => e.event === 'reconnected')).toBe(false);
  expect(readFileSync(join(home, 'known_servers.json'), 'utf8')).toBe(pins);
});

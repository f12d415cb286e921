/**
 * A queued DM whose ACK was lost is not shown twice, even by a new process (docs/accounts.md
 * "Known limits"): a stand-in server hands the real `socp` binary the same queued DM at every
 * log-in and ignores its ACKs. The first run shows it and acknowledges it; the second run
 * acknowledges it again without showing it, and still shows a new one.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directDrafts, generateKeyPair, importPublicKey, sealDraftsAsync, type Frame, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { HelloServer } from './helpers/hello-server';

jest.setTimeout(120_000);

const PASSWORD = randomSecret();
let dir: string;
let server: HelloServer | undefined;
let cli: CliProcess | undefined;
let alice: { userId: string; name: string; key: RsaPrivateKey };
let serverKey: RsaPrivateKey;

beforeAll(async () => {
  [serverKey, alice] = await Promise.all([generateKeyPair(), generateKeyPair().then((key) => ({ userId: randomUUID(), name: 'alice', key }))]);
  dir = mkdtempSync(join(tmpdir(), 'socp-e2e-queue-redelivery-'));
});
afterAll(async () => {
  cli?.kill();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** alice's DM to the hello's user, as a home server hands it over from the offline queue. */
const dmCache = new Map<string, Frame>();
async function queuedDm(hello: Extract<Frame, { type: 'USER_HELLO' }>, text: string, ref: string): Promise<Omit<Frame, 'from' | 'sig'>> {
  let dm = dmCache.get(text);
  if (!dm) {
    [dm] = await sealDraftsAsync(directDrafts(alice, { userId: hello.from, key: importPublicKey(hello.payload.pubkey) }, text, { clock: Date.now, random: randomBytes }), alice.key);
    dmCache.set(text, dm!);
  }
  const p = dm!.payload as Record<string, unknown>;
  return { type: 'USER_DELIVER', to: hello.from, ts: Date.now(), payload: { ...p, sender: alice.userId, orig_ts: dm!.ts, queued: true, queue_ref: ref } } as never;
}

const acked = (ref: string) => (): true | undefined =>
  server!.received.some((f) => f.type === 'ACK' && ((f.payload as { msg_refs?: string[] }).msg_refs ?? []).includes(ref)) || undefined;
const messages = (c: CliProcess) => c.events.filter((e) => e.event === 'message').map((e) => e['text']);

test('the second run acknowledges the redelivered DM without showing it, and shows a new one', async () => {
  server = await HelloServer.listen(serverKey, randomUUID(), 0, async (hello, n) =>
    n === 1
      ? [await queuedDm(hello, 'sent while you were away', 'q1')]
      : [await queuedDm(hello, 'sent while you were away', 'q2'), await queuedDm(hello, 'a new one', 'q3')]);
  const home = join(dir, 'home');
  const args = ['--server', server.url, '--home', home];

  cli = CliProcess.start([...args, 'signup', '--name', 'bob'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'message', 'the queued DM', 60_000);
  await waitFor('ACK of q1', acked('q1'), 10_000);
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
  expect(messages(cli)).toEqual(['sent while you were away']);

  cli = CliProcess.start([...args, 'login', '--name', 'bob'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'message', 'the new DM', 60_000);
  await waitFor('ACK of q2 and q3', () => acked('q2')() && acked('q3')(), 10_000);
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
  expect(messages(cli)).toEqual(['a new one']);
  expect(cli.events.filter((e) => e.event === 'warning')).toEqual([]);
});

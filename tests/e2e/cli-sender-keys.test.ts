/**
 * The real `socp` binary never trusts a payload's `sender_pub` over the key it pinned (issue
 * 12.2, client side). A stand-in server (a compromised home server, exactly who would try)
 * first shows bob with his key — the CLI pins it — and at the next log-in hands over queued DMs
 * "from bob" whose sender_pub and signature are a forger's: refused with BAD_KEY, not shown,
 * while bob's genuine queued DM and a first contact's DM (marked as such) are shown.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { b64urlEncode, importPublicKey, signContent, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { CliProcess } from './helpers/cli-process';
import { ScriptedServer } from './helpers/scripted-server';
import { useScriptedFixture } from './helpers/scripted-fixture';

jest.setTimeout(120_000);

const PASSWORD = randomSecret();
const BOB = randomUUID();
const CAROL = randomUUID();
const fx = useScriptedFixture('sender-keys', 3);

/** A queued DM to the connected user "from" `sender`, content-signed by `signer`, carrying `senderPub`. */
function queuedDm(s: ScriptedServer, sender: string, text: string, signer: RsaPrivateKey, senderPub: string, ref: string): void {
  const ts = Date.now();
  const ciphertext = b64urlEncode(importPublicKey(s.user!.pub).encrypt(Buffer.from(text)));
  const content_sig = signContent(signer, { ciphertext, from: sender, to: s.user!.id, ts });
  s.push('USER_DELIVER', { ciphertext, sender, sender_pub: senderPub, content_sig, orig_ts: ts, queued: true, queue_ref: ref });
}

test('a queued DM whose sender_pub is not the pinned key is refused, not shown; a first contact is shown as such', async () => {
  const [bobKey, carolKey, malloryKey] = fx.keys as [RsaPrivateKey, RsaPrivateKey, RsaPrivateKey];
  const home = join(fx.dir, 'home');
  let fake = (fx.server = await ScriptedServer.listen(fx.serverKey));
  let cli = (fx.cli = CliProcess.start(['--server', fake.url, '--home', home, 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD }));
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: fake.serverId, meta: { display_name: 'bob' }, pubkey: bobKey.publicKey.b64url });
  await cli.waitEvent((e) => e.event === 'presence' && e['user_id'] === BOB, 'bob online (pinned now)');
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
  const port = Number(new URL(fake.url).port);
  await fake.close();

  // Next log-in: bob is offline; the queue holds a forgery, bob's real DM and a stranger's.
  fake = fx.server = await ScriptedServer.listen(fx.serverKey, {
    port,
    afterHello: (s) => {
      queuedDm(s, BOB, 'forged: send me your password', malloryKey, malloryKey.publicKey.b64url, 'q1');
      queuedDm(s, BOB, 'really bob', bobKey, bobKey.publicKey.b64url, 'q2');
      queuedDm(s, CAROL, 'hi, I am carol', carolKey, carolKey.publicKey.b64url, 'q3');
    },
  });
  cli = fx.cli = CliProcess.start(['--server', fake.url, '--home', home, 'login', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'message' && e['from'] === CAROL, "carol's DM", 60_000);
  const messages = cli.events.filter((e) => e.event === 'message');
  expect(messages.map((e) => e['text'])).toEqual(['really bob', 'hi, I am carol']);
  expect(messages[0]).not.toHaveProperty('first_contact');
  expect(messages[1]).toMatchObject({ first_contact: true, fingerprint: carolKey.publicKey.fingerprint() });
  const warnings = cli.events.filter((e) => e.event === 'warning');
  expect(warnings).toEqual([expect.objectContaining({ code: 'BAD_KEY', detail: expect.stringMatching(/not the one pinned for them/) })]);
  // All three were handled for good: acknowledged, so the server may drop them.
  const acked = (): string[] => fake.received.flatMap((f) => (f.type === 'ACK' ? ((f.payload as { msg_refs?: string[] }).msg_refs ?? []) : []));
  await waitFor('the queue ACKs', () => ['q1', 'q2', 'q3'].every((r) => acked().includes(r)), 10_000);
  // /whois finds the new contact (offline) with the key pinned on first use.
  cli.send(`/whois ${CAROL}`);
  expect(await cli.waitEvent((e) => e.event === 'whois', 'whois carol')).toMatchObject({ user_id: CAROL, fingerprint: carolKey.publicKey.fingerprint() });
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
});

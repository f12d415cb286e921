/**
 * Contact key pinning in the `socp` client (docs/accounts.md): a contact seen in one session is
 * pinned in $SOCP_HOME; when a later session sees them with ANOTHER key, the client warns loudly
 * and holds DMs to them until `/trust <user>`. Driven by a scripted server (a hostile or
 * compromised server is exactly who would swap a key); it also ignores the account extension,
 * so the client's fall-back to a spec-only hello is exercised.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, generateKeyPair, sealFrame, type Frame, type FrameType, type RsaPrivateKey } from '@socp/protocol';
import { randomSecret } from '../harness/secrets';
import { CliProcess } from './helpers/cli-process';

jest.setTimeout(180_000);

const PASSWORD = randomSecret();
const SERVER_ID = randomUUID();
const BOB = randomUUID();
let serverKey: RsaPrivateKey;
let bobKey1: RsaPrivateKey;
let bobKey2: RsaPrivateKey;
let dir: string;
let wss: WebSocketServer;
let sock: WebSocket | undefined;
let alice: string | undefined;
const received: Frame[] = [];
let cli: CliProcess | undefined;

function push(type: FrameType, payload: Record<string, unknown>): void {
  sock!.send(encodeFrame(sealFrame({ type, from: SERVER_ID, to: alice ?? '*', ts: Date.now(), payload: payload as never }, serverKey) as Frame));
}
const advertiseBob = (key: RsaPrivateKey): void => push('USER_ADVERTISE', { user_id: BOB, server_id: SERVER_ID, meta: { display_name: 'bob' }, pubkey: key.publicKey.b64url });

beforeAll(async () => {
  [serverKey, bobKey1, bobKey2] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  dir = mkdtempSync(join(tmpdir(), 'socp-e2e-pinning-'));
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    sock = ws;
    ws.on('message', (d) => {
      const r = decodeFrame(d as Buffer);
      if (!r.ok) return;
      received.push(r.value);
      if (r.value.type !== 'USER_HELLO') return; // account frames are ignored, like a spec-only server
      alice = r.value.from;
      push('ACK', { msg_ref: 'USER_HELLO', server_id: SERVER_ID, server_pub: serverKey.publicKey.b64url });
    });
  });
});
afterEach(() => cli?.kill());
afterAll(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise((r) => wss?.close(() => r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

const url = (): string => `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
const dms = (): Frame[] => received.filter((f) => f.type === 'MSG_DIRECT' && f.to === BOB);

test('a changed key for a known contact is a loud warning, DMs are held until /trust', async () => {
  cli = CliProcess.start(['--server', url(), '--home', join(dir, 'home'), 'signup', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  advertiseBob(bobKey1);
  await cli.waitEvent((e) => e.event === 'presence' && e['user_id'] === BOB, 'bob online');
  cli.send('/tell bob first contact');
  await cli.waitEvent((e) => e.event === 'sent', 'sent');
  expect(dms()).toHaveLength(1);
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);

  // Next session: the server presents bob with another key.
  cli = CliProcess.start(['--server', url(), '--home', join(dir, 'home'), 'login', '--name', 'alice'], { SOCP_PASSWORD: PASSWORD });
  await cli.waitEvent((e) => e.event === 'ready', 'ready again', 60_000);
  advertiseBob(bobKey2);
  const warning = await cli.waitEvent((e) => e.event === 'warning' && e['code'] === 'KEY_CHANGED', 'key change warning');
  expect(warning['detail']).toMatch(/HAS CHANGED/);
  expect(warning['detail']).toContain(bobKey1.publicKey.fingerprint().slice(0, 32));
  expect(warning['detail']).toContain(bobKey2.publicKey.fingerprint().slice(0, 32));
  cli.send('/tell bob are you really bob?');
  await cli.waitEvent((e) => e.event === 'warning' && e['code'] === 'HELD', 'held');
  cli.send('/whois bob');
  const who = await cli.waitEvent((e) => e.event === 'whois', 'whois');
  expect(who['fingerprint']).toBe(bobKey2.publicKey.fingerprint());
  expect(dms()).toHaveLength(1); // nothing went out to the new key

  cli.send('/trust bob');
  await cli.waitEvent((e) => e.event === 'sent', 'held message sent after /trust');
  expect(dms()).toHaveLength(2);
  const sent = dms()[1]!;
  expect(bobKey2.decrypt(Buffer.from((sent.payload as { ciphertext: string }).ciphertext, 'base64url')).toString('utf8')).toBe('are you really bob?');
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import pino from 'pino';
import { generateKeyPair, joinProof, sealFrame, withBind, type FrameOf, type RsaPrivateKey, type ServerAddrPayload } from '@socp/protocol';
import { randomSecret } from '../../../tests/harness/secrets';
import { startIntroducer, type RunningIntroducer } from '../src/app';
import { loadConfig, type IntroducerConfig } from '../src/config';
import { FrameSocket } from '../../../tests/harness/frame-socket';

export interface TestIntroducer { intro: RunningIntroducer; cfg: IntroducerConfig; dir: string; url: string; admin: string }

export function tempDir(): string {
  return mkdtempSync(pathJoin(tmpdir(), 'socp-intro-test-'));
}

/** The mesh join secret of the test introducers (random per run). */
export const JOIN_SECRET = randomSecret(32);

export async function startTestIntroducer(dir: string, env: Record<string, string> = {}): Promise<TestIntroducer> {
  const cfg = loadConfig({
    SOCP_HOST: '127.0.0.1', SOCP_PORT: '0', SOCP_ADMIN_HOST: '127.0.0.1', SOCP_ADMIN_PORT: '0',
    SOCP_DATA_DIR: dir, SOCP_KEY_PASSPHRASE: 'test-passphrase', SOCP_JOIN_SECRET: JOIN_SECRET, ...env,
  });
  const intro = await startIntroducer(cfg, pino({ level: 'silent' }));
  return { intro, cfg, dir, url: `ws://127.0.0.1:${intro.wsPort}`, admin: `http://127.0.0.1:${intro.adminPort}` };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface JoinOptions {
  /** The join secret to prove (default JOIN_SECRET); null = no join_proof. */
  secret?: string | null;
  /** Bind the envelope (default true), as our servers do. */
  bind?: boolean;
  /** Answer the introducer's WebSocket pings (default true, as every WebSocket library does). */
  autoPong?: boolean;
}

/** A signed SERVER_HELLO_JOIN as our servers send it: join_proof of the secret, caps, envelope bound. */
export function joinFrame(key: RsaPrivateKey, id: string, port: number, ts = Date.now(), o: JoinOptions = {}): FrameOf<'SERVER_HELLO_JOIN'> {
  const pubkey = key.publicKey.toBase64Url();
  const secret = o.secret === undefined ? JOIN_SECRET : o.secret;
  const payload: ServerAddrPayload = { host: '127.0.0.1', port, pubkey, caps: ['bind'] };
  if (secret !== null) payload.join_proof = joinProof(secret, { from: id, ts, host: '127.0.0.1', port, pubkey });
  const f = { type: 'SERVER_HELLO_JOIN' as const, from: id, to: '127.0.0.1:9100', ts, payload };
  return sealFrame(o.bind === false ? f : withBind(f), key);
}

/** Open a socket, send a signed JOIN, and wait for the WELCOME. */
export async function join(url: string, key: RsaPrivateKey, id: string, port: number, o: JoinOptions = {}): Promise<{ sock: FrameSocket; welcome: FrameOf<'SERVER_WELCOME'> }> {
  const sock = await FrameSocket.connect(url, 5_000, undefined, o.autoPong);
  sock.send(joinFrame(key, id, port, Date.now(), o));
  const welcome = await sock.waitFrame<FrameOf<'SERVER_WELCOME'>>((f) => f.type === 'SERVER_WELCOME', 5_000);
  return { sock, welcome };
}

/**
 * One introducer (SOCP_PRUNE_AFTER_MS 60 s) and `keyCount` RSA-4096 keys for a test file, made
 * before all tests; sockets passed to `track` are cut after each test, the introducer stopped
 * and its folder removed after all. Fields are set once `beforeAll` has run.
 */
export function useTestIntroducer(keyCount: number) {
  const fx = {
    t: undefined as unknown as TestIntroducer,
    keys: [] as RsaPrivateKey[],
    sockets: [] as FrameSocket[],
  };
  beforeAll(async () => {
    [fx.keys, fx.t] = await Promise.all([
      Promise.all(Array.from({ length: keyCount }, () => generateKeyPair())),
      startTestIntroducer(tempDir(), { SOCP_PRUNE_AFTER_MS: '60000' }),
    ]);
  });
  afterEach(() => {
    for (const s of fx.sockets.splice(0)) s.terminate();
  });
  afterAll(async () => {
    await fx.t?.intro.stop();
    if (fx.t) removeDir(fx.t.dir);
  });
  return fx;
}

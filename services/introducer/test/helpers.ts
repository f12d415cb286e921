import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import pino from 'pino';
import { sealFrame, type FrameOf, type RsaPrivateKey } from '@socp/protocol';
import { startIntroducer, type RunningIntroducer } from '../src/app';
import { loadConfig, type IntroducerConfig } from '../src/config';
import { FrameSocket } from '../../../tests/harness/frame-socket';

export interface TestIntroducer { intro: RunningIntroducer; cfg: IntroducerConfig; dir: string; url: string; admin: string }

export function tempDir(): string {
  return mkdtempSync(pathJoin(tmpdir(), 'socp-intro-test-'));
}

export async function startTestIntroducer(dir: string, env: Record<string, string> = {}): Promise<TestIntroducer> {
  const cfg = loadConfig({
    SOCP_HOST: '127.0.0.1', SOCP_PORT: '0', SOCP_ADMIN_HOST: '127.0.0.1', SOCP_ADMIN_PORT: '0',
    SOCP_DATA_DIR: dir, SOCP_KEY_PASSPHRASE: 'test-passphrase', ...env,
  });
  const intro = await startIntroducer(cfg, pino({ level: 'silent' }));
  return { intro, cfg, dir, url: `ws://127.0.0.1:${intro.wsPort}`, admin: `http://127.0.0.1:${intro.adminPort}` };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function joinFrame(key: RsaPrivateKey, id: string, port: number, ts = Date.now()): FrameOf<'SERVER_HELLO_JOIN'> {
  return sealFrame({ type: 'SERVER_HELLO_JOIN', from: id, to: '127.0.0.1:9100', ts, payload: { host: '127.0.0.1', port, pubkey: key.publicKey.toBase64Url() } }, key);
}

/** Open a socket, send a signed JOIN, and wait for the WELCOME. */
export async function join(url: string, key: RsaPrivateKey, id: string, port: number): Promise<{ sock: FrameSocket; welcome: FrameOf<'SERVER_WELCOME'> }> {
  const sock = await FrameSocket.connect(url);
  sock.send(joinFrame(key, id, port));
  const welcome = await sock.waitFrame<FrameOf<'SERVER_WELCOME'>>((f) => f.type === 'SERVER_WELCOME', 5_000);
  return { sock, welcome };
}

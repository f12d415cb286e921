/** The set-up of a test file that drives the real CLI against a stand-in server (scripted-server.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import type { CliProcess } from './cli-process';
import type { ScriptedServer } from './scripted-server';

export interface ScriptedFixture {
  /** A fresh directory `<tmp>/socp-e2e-<label>-XXXXXX`, removed after the file's tests. */
  dir: string;
  serverKey: RsaPrivateKey;
  /** `peers` more RSA-4096 keys, for the users the server shows. */
  keys: RsaPrivateKey[];
  /** Set by the tests: the current server and CLI, ended after the file's tests. */
  server?: ScriptedServer;
  cli?: CliProcess;
}

/** Before all tests: the keys and the directory; after them: the CLI killed, the server closed, the directory gone. */
export function useScriptedFixture(label: string, peers: number): ScriptedFixture {
  const fx = { keys: [] } as unknown as ScriptedFixture;
  beforeAll(async () => {
    const keys = await Promise.all(Array.from({ length: peers + 1 }, () => generateKeyPair()));
    fx.serverKey = keys[0]!;
    fx.keys = keys.slice(1);
    fx.dir = mkdtempSync(join(tmpdir(), `socp-e2e-${label}-`));
  });
  afterAll(async () => {
    fx.cli?.kill();
    await fx.server?.close();
    if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}

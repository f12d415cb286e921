/** The set-up every e2e test file shares: a scratch directory and a mesh of real processes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMesh, type Mesh, type MeshOptions } from '../../harness/mesh';

export interface E2eMesh {
  /** The running mesh (ready: every process answered /readyz). */
  readonly mesh: Mesh;
  /** A fresh directory for this file's keystores, terminals and files; removed afterwards. */
  readonly dir: string;
}

/**
 * For one test file: before all tests, a directory `<tmp>/socp-e2e-<label>-XXXXXX` and a mesh
 * started with `options` and ready; after them, `cleanup` (the file's own CLIs, raw users,
 * terminals: ended while their server still runs), then the mesh stops and the directory goes.
 * Read `mesh` and `dir` from tests and hooks, not at load time (they exist once `beforeAll` ran).
 */
export function useE2eMesh(label: string, options: MeshOptions, cleanup?: () => void | Promise<void>): E2eMesh {
  let mesh: Mesh | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `socp-e2e-${label}-`));
    mesh = await startMesh(options);
    await mesh.waitReady();
  });
  afterAll(async () => {
    await cleanup?.();
    await mesh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const set = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new Error(`useE2eMesh('${label}'): ${name} is read before beforeAll ran`);
    return v;
  };
  return {
    get mesh() { return set(mesh, 'mesh'); },
    get dir() { return set(dir, 'dir'); },
  };
}

/**
 * Files under $SOCP_HOME: directories 0700, files 0600, written atomically (temp file, fsync,
 * rename) so a crash never leaves half a keystore.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A small JSON state file read at start-up; missing or damaged → `fallback` (the caller validates the shape). */
export function readJsonOr(path: string, fallback: unknown): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return fallback;
  }
}

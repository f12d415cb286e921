/**
 * Disk side of received files: each transfer streams into a hidden temp file
 * (`.<file_id>.part`, mode 0600) in the downloads folder; only a transfer whose size and
 * SHA-256 matched (decided by incoming-files) is renamed to its sanitized name, never over an
 * existing file (`name (1).ext`, …; link() refuses to replace). Everything else is deleted.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Transfer } from './incoming-files';
import { uniqueName } from './file-names';

export class Downloads {
  private readonly fds = new Map<string, { fd: number; tmp: string }>();
  constructor(readonly dir: string) {}

  /** Open the temp file for a new transfer; false if the disk refuses. */
  begin(t: Transfer): boolean {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = join(this.dir, `.${t.fileId}.part`);
      this.fds.set(t.key, { fd: openSync(tmp, 'wx', 0o600), tmp });
      return true;
    } catch {
      return false;
    }
  }

  append(t: Transfer, data: readonly Buffer[]): boolean {
    const f = this.fds.get(t.key);
    if (!f) return false;
    try {
      for (const b of data) writeSync(f.fd, b);
      return true;
    } catch {
      this.discard(t);
      return false;
    }
  }

  /** Move a verified transfer to its final name; returns the path, or undefined if that failed. */
  commit(t: Transfer): string | undefined {
    const f = this.fds.get(t.key);
    if (!f) return undefined;
    this.fds.delete(t.key);
    try {
      closeSync(f.fd);
      for (let attempt = 0; attempt < 3; attempt++) {
        const name = uniqueName(t.name, (c) => existsSync(join(this.dir, c))) ?? `${t.fileId}-${Date.now()}`;
        const dest = join(this.dir, name);
        try {
          linkSync(f.tmp, dest); // fails with EEXIST instead of overwriting
          rmSync(f.tmp, { force: true });
          return dest;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
    } catch {
      // fall through: the temp file is removed below
    }
    rmSync(f.tmp, { force: true });
    return undefined;
  }

  discard(t: Transfer): void {
    const f = this.fds.get(t.key);
    if (!f) return;
    this.fds.delete(t.key);
    try {
      closeSync(f.fd);
    } catch {
      // already closed
    }
    rmSync(f.tmp, { force: true });
  }

  discardAll(): void {
    for (const key of [...this.fds.keys()]) this.discard({ key } as Transfer);
  }
}

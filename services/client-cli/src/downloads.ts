/**
 * Disk side of received files. Nothing a peer sends names a path: each transfer streams into a
 * hidden temp file named by a fresh local id (`.socp-<uuid>.part`, mode 0600, O_EXCL|O_NOFOLLOW)
 * in the downloads folder; only a transfer whose size and SHA-256 matched (decided by
 * the core, @socp/protocol user/incoming-files.ts) is linked to its sanitized base name, never over an existing entry
 * (`name (1).ext`, …; link() refuses to replace, and a symlink planted in the folder counts as
 * taken). Every path is checked to be a direct child of the folder's real path. Everything
 * else is deleted. `storeFileEvent` is how the session applies the core's file events here.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, realpathSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dropTransfer, type Transfer, type UserEvent, type UserState } from '@socp/protocol';
import type { ClientEvent } from './events';

const TEMP_OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** `dir/name` when `name` is one plain entry directly inside `dir` (a resolved real path), else undefined. */
export function pathInside(dir: string, name: string): string | undefined {
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000]/.test(name)) return undefined;
  const p = resolve(dir, name);
  return dirname(p) === dir ? p : undefined;
}

/** `name`, else `name (1).ext`, `name (2).ext`, … — the first that `taken` says is free. */
export function uniqueName(name: string, taken: (candidate: string) => boolean, maxTries = 1000): string | undefined {
  if (!taken(name)) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 1; i <= maxTries; i++) {
    const c = `${stem} (${i})${ext}`;
    if (!taken(c)) return c;
  }
  return undefined;
}

export class Downloads {
  private readonly fds = new Map<string, { fd: number; tmp: string; dir: string }>();
  constructor(readonly dir: string) {}

  /** Open the temp file for a new transfer; false if the disk refuses. */
  begin(t: Transfer): boolean {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const dir = realpathSync(this.dir);
      const tmp = pathInside(dir, `.socp-${randomUUID()}.part`)!;
      this.fds.set(t.key, { fd: openSync(tmp, TEMP_OPEN_FLAGS, 0o600), tmp, dir });
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
    // lstat, not exists: a dangling symlink planted under the name is taken too.
    const taken = (c: string): boolean => {
      const p = pathInside(f.dir, c);
      return p === undefined || lstatSync(p, { throwIfNoEntry: false }) !== undefined;
    };
    try {
      closeSync(f.fd);
      for (let attempt = 0; attempt < 3; attempt++) {
        const dest = pathInside(f.dir, uniqueName(t.name, taken) ?? `file-${randomUUID()}`);
        if (dest === undefined) break;
        try {
          linkSync(f.tmp, dest); // fails with EEXIST instead of overwriting (or following a symlink)
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

/**
 * The disk side of one of the user core's events (file events; others pass through), and what
 * to show for it: a transfer whose bytes the folder refuses ends, reported as failed (`disk`).
 */
export function storeFileEvent(e: UserEvent, downloads: Downloads, state: UserState): ClientEvent {
  const disk = (t: Transfer, detail: string): ClientEvent => ({ event: 'file-failed', transfer: t, reason: 'disk', detail });
  switch (e.event) {
    case 'file-offered':
      if (downloads.begin(e.transfer)) return e;
      dropTransfer(state, e.transfer);
      return disk(e.transfer, `cannot write to ${downloads.dir}`);
    case 'file-data':
      if (downloads.append(e.transfer, e.append)) return e;
      dropTransfer(state, e.transfer);
      return disk(e.transfer, `cannot write to ${downloads.dir}`);
    case 'file-received': {
      const path = downloads.commit(e.transfer);
      return path ? { ...e, path } : disk(e.transfer, `cannot store in ${downloads.dir}`);
    }
    case 'file-failed':
      downloads.discard(e.transfer);
      return e;
    default:
      return e;
  }
}

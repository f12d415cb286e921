import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Downloads } from '../src/downloads';
import { IncomingFiles } from '@socp/protocol';

describe('Downloads', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'socp-dl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function receive(name: string, data: Buffer, sha = createHash('sha256').update(data).digest('hex'), fileId: string = randomUUID(), downloads = join(dir, 'downloads'), during?: () => void) {
    const files = new IncomingFiles();
    const dl = new Downloads(downloads);
    const r = files.start('bob', { file_id: fileId, name, size: data.length, sha256: sha, mode: 'dm' }, 0);
    if (!r.ok) throw new Error(r.reason);
    expect(dl.begin(r.transfer)).toBe(true);
    const c = files.chunk('bob', r.transfer.fileId, 0, data, 0);
    if (c.ok) dl.append(c.transfer, c.append);
    during?.(); // the transfer is open: its temp file holds the data
    const end = files.end('bob', r.transfer.fileId);
    if (end.ok) return dl.commit(end.transfer);
    if (end.transfer) dl.discard(end.transfer);
    return undefined;
  }

  it('keeps a verified file under its sanitized name inside the folder, mode 0600', () => {
    const path = receive('../../escape.txt', Buffer.from('hello'))!;
    expect(path).toBe(join(dir, 'downloads', 'escape.txt'));
    expect(readFileSync(path, 'utf8')).toBe('hello');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
  });

  it('never overwrites: a second file of the same name becomes "name (1).ext"', () => {
    receive('a.txt', Buffer.from('first'));
    const second = receive('a.txt', Buffer.from('second'))!;
    expect(second).toBe(join(dir, 'downloads', 'a (1).txt'));
    expect(readFileSync(join(dir, 'downloads', 'a.txt'), 'utf8')).toBe('first');
  });

  it('does not replace a file an attacker pre-planted under the target name', () => {
    const d = join(dir, 'downloads');
    receive('seed.txt', Buffer.from('x'));
    writeFileSync(join(d, 'target.txt'), 'precious');
    expect(receive('target.txt', Buffer.from('evil'))).toBe(join(d, 'target (1).txt'));
    expect(readFileSync(join(d, 'target.txt'), 'utf8')).toBe('precious');
  });

  it('deletes the temp file of a transfer whose sha256 does not match, and keeps nothing', () => {
    expect(receive('bad.bin', Buffer.from('data'), 'ab'.repeat(32))).toBeUndefined();
    expect(readdirSync(join(dir, 'downloads'))).toEqual([]);
  });

  /** Every entry below `root`, as relative paths. */
  const tree = (root: string): string[] => readdirSync(root, { recursive: true }).map(String).sort();

  it.each([
    ['/../../pwned', 'a.txt'],
    ['../../pwned', '..'],
    ['/../../pwned', ''],
    ['..', '.'],
    ['x/../../../pwned', '../../../pwned2'],
  ])('file_id %j with name %j: the temp file and the result stay inside the folder', (fileId, name) => {
    const deep = join(dir, 'a', 'b', 'downloads');
    mkdirSync(deep, { recursive: true });
    const data = Buffer.from('attacker bytes');
    let open: string[] = [];
    const path = receive(name, data, undefined, fileId, deep, () => (open = tree(dir)))!;
    // While the transfer is open, the only file is the temp file inside the folder.
    expect(open).toEqual(['a', 'a/b', 'a/b/downloads', expect.stringMatching(/^a\/b\/downloads\/\.socp-[0-9a-f-]{36}\.part$/)]);
    expect(path).toBeDefined();
    expect(join(path, '..')).toBe(deep);
    expect(readFileSync(path).equals(data)).toBe(true);
    // Nothing anywhere else under the scratch dir: only the folder chain and the one file.
    expect(tree(dir)).toEqual(['a', 'a/b', 'a/b/downloads', `a/b/downloads/${path.slice(deep.length + 1)}`].sort());
    expect(path.slice(deep.length + 1)).not.toContain('pwned/');
  });

  it('a name that leaves nothing usable gets a name derived from the file id, never the id itself', () => {
    const path = receive('..', Buffer.from('x'), undefined, '/../../etc/pwned')!;
    expect(path).toMatch(/\/downloads\/file-[0-9a-f]{12}$/);
  });

  it('a symlink planted in the folder is never followed: the file takes the next free name', () => {
    const d = join(dir, 'downloads');
    mkdirSync(d);
    writeFileSync(join(dir, 'precious.txt'), 'precious');
    symlinkSync(join(dir, 'precious.txt'), join(d, 'report.txt'));
    symlinkSync(join(dir, 'dangling-target.txt'), join(d, 'notes.txt'));
    expect(receive('report.txt', Buffer.from('evil'))).toBe(join(d, 'report (1).txt'));
    expect(receive('notes.txt', Buffer.from('evil'))).toBe(join(d, 'notes (1).txt'));
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'dangling-target.txt'))).toBe(false);
  });

  it('names the temp file by a fresh local id, not by anything the sender chose', () => {
    const files = new IncomingFiles();
    const dl = new Downloads(join(dir, 'downloads'));
    const r = files.start('bob', { file_id: 'chosen-by-peer', name: 'chosen.txt', size: 1, sha256: 'ab'.repeat(32), mode: 'dm' }, 0);
    if (!r.ok) throw new Error(r.reason);
    expect(dl.begin(r.transfer)).toBe(true);
    const [tmp] = readdirSync(join(dir, 'downloads'));
    expect(tmp).toMatch(/^\.socp-[0-9a-f-]{36}\.part$/);
    expect(statSync(join(dir, 'downloads', tmp!)).mode & 0o777).toBe(0o600);
    dl.discard(r.transfer);
    expect(readdirSync(join(dir, 'downloads'))).toEqual([]);
  });
});

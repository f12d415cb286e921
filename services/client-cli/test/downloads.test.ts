import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Downloads } from '../src/downloads';
import { IncomingFiles } from '../src/incoming-files';

describe('Downloads', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'socp-dl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function receive(name: string, data: Buffer, sha = createHash('sha256').update(data).digest('hex')) {
    const files = new IncomingFiles();
    const dl = new Downloads(join(dir, 'downloads'));
    const r = files.start('bob', { file_id: randomUUID(), name, size: data.length, sha256: sha, mode: 'dm' }, 0);
    if (!r.ok) throw new Error(r.reason);
    expect(dl.begin(r.transfer)).toBe(true);
    const c = files.chunk('bob', r.transfer.fileId, 0, data, 0);
    if (c.ok) dl.append(c.transfer, c.append);
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
});

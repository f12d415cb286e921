import { createHash, randomUUID } from 'node:crypto';
import { IncomingFiles, MAX_OUT_OF_ORDER_BYTES, MAX_OUT_OF_ORDER_CHUNKS, OAEP_MAX_PLAINTEXT_BYTES } from '@socp/protocol';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const S = 'sender';

function manifest(data: Buffer, name = 'a.bin') {
  return { file_id: randomUUID(), name, size: data.byteLength, sha256: sha(data), mode: 'dm' as const };
}
const chunks = (data: Buffer, n = 446): Buffer[] => Array.from({ length: Math.ceil(data.byteLength / n) }, (_, i) => data.subarray(i * n, (i + 1) * n));

describe('IncomingFiles', () => {
  const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => i % 251));

  it('emits bytes in order whatever the arrival order, and accepts a matching size and sha256', () => {
    const f = new IncomingFiles();
    const m = manifest(data);
    expect(f.start(S, m, 0).ok).toBe(true);
    const cs = chunks(data);
    const out: Buffer[] = [];
    for (const i of [2, 0, 1, 4, 3, 0]) {
      const r = f.chunk(S, m.file_id, i, cs[i]!, 1);
      expect(r.ok).toBe(true);
      if (r.ok) out.push(...r.append);
    }
    expect(Buffer.concat(out).equals(data)).toBe(true);
    expect(f.end(S, m.file_id)).toMatchObject({ ok: true, transfer: { size: 2000, received: 2000 } });
  });

  it('refuses a file whose bytes do not match the manifest sha256', () => {
    const f = new IncomingFiles();
    const m = { ...manifest(data), sha256: sha(Buffer.from('other')) };
    f.start(S, m, 0);
    chunks(data).forEach((c, i) => f.chunk(S, m.file_id, i, c, 1));
    expect(f.end(S, m.file_id)).toMatchObject({ ok: false, reason: 'sha256-mismatch' });
  });

  it('refuses a short file and one that grows past its declared size', () => {
    const f = new IncomingFiles();
    const m = manifest(data);
    f.start(S, m, 0);
    f.chunk(S, m.file_id, 0, chunks(data)[0]!, 1);
    expect(f.end(S, m.file_id)).toMatchObject({ ok: false, reason: 'size-mismatch' });
    const m2 = manifest(Buffer.alloc(10));
    f.start(S, m2, 0);
    expect(f.chunk(S, m2.file_id, 0, Buffer.alloc(11), 1)).toMatchObject({ ok: false, reason: 'size-exceeded' });
    expect(f.get(S, m2.file_id)).toBeUndefined();
  });

  it('limits file size, concurrent transfers, buffered out-of-order chunks and idle time', () => {
    const f = new IncomingFiles({ maxBytes: 1000, maxConcurrent: 2, idleMs: 100, maxOutOfOrder: 2 });
    expect(f.start(S, manifest(Buffer.alloc(1001)), 0)).toEqual({ ok: false, reason: 'too-large' });
    const a = manifest(Buffer.alloc(900));
    expect(f.start(S, a, 0).ok).toBe(true);
    expect(f.start(S, a, 0)).toEqual({ ok: false, reason: 'duplicate-transfer' });
    const b = manifest(Buffer.alloc(10));
    expect(f.start(S, b, 50).ok).toBe(true);
    expect(f.start(S, manifest(Buffer.alloc(10)), 0)).toEqual({ ok: false, reason: 'too-many-transfers' });
    f.chunk(S, a.file_id, 5, Buffer.alloc(1), 1);
    f.chunk(S, a.file_id, 6, Buffer.alloc(1), 1);
    expect(f.chunk(S, a.file_id, 7, Buffer.alloc(1), 1)).toMatchObject({ ok: false, reason: 'too-many-out-of-order' });
    expect(f.sweep(149).map((t) => t.fileId)).toEqual([]);
    expect(f.sweep(150).map((t) => t.fileId)).toEqual([b.file_id]);
  });

  it('bounds out-of-order bytes too: multi-block chunks do not multiply what a sender can make us hold', () => {
    const big = 16 * 446;
    const f = new IncomingFiles({ maxOutOfOrderBytes: 3 * big });
    const m = manifest(Buffer.alloc(100 * big));
    f.start(S, m, 0);
    for (const i of [1, 2, 3]) expect(f.chunk(S, m.file_id, i, Buffer.alloc(big), 1, true, 16).ok).toBe(true);
    expect(f.chunk(S, m.file_id, 4, Buffer.alloc(big), 1, true, 16)).toMatchObject({ ok: false, reason: 'too-many-out-of-order' });
    // the default bound is what 1,024 single-block chunks held
    expect(MAX_OUT_OF_ORDER_BYTES).toBe(MAX_OUT_OF_ORDER_CHUNKS * OAEP_MAX_PLAINTEXT_BYTES);
    const g = new IncomingFiles();
    const n = manifest(Buffer.alloc(100 * big));
    g.start(S, n, 0);
    const fit = Math.floor(MAX_OUT_OF_ORDER_BYTES / big);
    for (let i = 1; i <= fit; i++) expect(g.chunk(S, n.file_id, i, Buffer.alloc(big), 1, true, 16).ok).toBe(true);
    expect(g.chunk(S, n.file_id, fit + 1, Buffer.alloc(big), 1, true, 16)).toMatchObject({ ok: false, reason: 'too-many-out-of-order' });
  });

  it('keeps senders apart: the same file_id from another sender is another transfer', () => {
    const f = new IncomingFiles();
    const m = manifest(data);
    f.start(S, m, 0);
    expect(f.chunk('mallory', m.file_id, 0, Buffer.alloc(10), 0)).toEqual({ ok: false, reason: 'unknown-transfer' });
    expect(f.start('mallory', m, 0).ok).toBe(true);
  });

  it('stores only a sanitized name', () => {
    const f = new IncomingFiles();
    const r = f.start(S, manifest(data, '../../etc/passwd'), 0);
    expect(r.ok && r.transfer.name).toBe('passwd');
  });
});

import { ProgressLines } from '../src/progress-lines';
import type { Transfer } from '@socp/protocol';

const t = (received: number): Transfer => ({ key: 'bob|f1', fileId: 'f1', sender: 'bob', name: 'a\u001b[2J.bin', offeredName: 'x', size: 2048, sha256: '', received, unsignedChunks: 0, multiBlock: false, acked: 0, nextIndex: 0, pending: new Map(), pendingBytes: 0, hash: undefined as never, lastAt: 0 });

describe('ProgressLines', () => {
  it('one bar per transfer in each direction, removed when the transfer ends', () => {
    const p = new ProgressLines();
    expect(p.apply({ event: 'file-offered', transfer: t(0), from: { userId: 'bob', name: 'bob', serverId: 's' } })).toBe(true);
    expect(p.apply({ event: 'file-send-progress', fileId: 'g', to: 'carol', sent: 446, size: 892 })).toBe(true);
    p.apply({ event: 'file-data', transfer: t(1024), append: [] });
    const [incoming, outgoing] = p.lines();
    expect(incoming).toMatch(/^ ← a\\x1b\[2J\.bin \[█{15}░{15}\]  50% 1\.0 KiB \/ 2\.0 KiB$/);
    expect(outgoing).toMatch(/^ → carol \[█{15}░{15}\]  50% 446 B \/ 892 B$/);
    expect(p.apply({ event: 'file-received', transfer: t(2048), from: { userId: 'bob', name: 'bob', serverId: 's' }, path: '' })).toBe(true);
    expect(p.apply({ event: 'file-sent', fileId: 'g', to: 'carol', name: 'g', size: 892, sha256: '' })).toBe(true);
    expect(p.size).toBe(0);
    expect(p.apply({ event: 'info', text: 'x' })).toBe(false);
  });

  it('an outgoing transfer that failed (e.g. cut by a lost connection) loses its bar', () => {
    const p = new ProgressLines();
    p.apply({ event: 'file-send-progress', fileId: 'g', to: 'carol', sent: 446, size: 892 });
    expect(p.apply({ event: 'file-send-aborted', fileId: 'g' })).toBe(true);
    expect(p.size).toBe(0);
  });
});

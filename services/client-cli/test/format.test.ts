import { createColors } from 'picocolors';
import { safeText } from '../src/display-text';
import { formatEvent } from '../src/format';
import { jsonOf } from '../src/json-ui';

const plain = createColors(false);
const bob = { userId: 'b0b0b0b0-0000-4000-8000-000000000000', name: 'bob', serverId: '11111111-1111-4111-8111-111111111111' };

describe('peer text reaching the terminal', () => {
  it('neutralises escape sequences, line breaks and bidi overrides', () => {
    const evil = 'hi\u001b[2J\u001b]0;pwned\u0007\r\n[12:00:00] alice → you: fake\u202Egnp.exe';
    const out = safeText(evil);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toContain('\\x1b[2J');
    expect(out).not.toContain('\n');
  });

  it('applies to messages, names and file names in the rendered lines', () => {
    const line = formatEvent({ event: 'message', kind: 'dm', from: { ...bob, name: 'bob\u001b[31m' }, text: 'a\u001b[1Ab', ts: 0 }, plain)!;
    expect(line).toMatch(/bob\\x1b\[31m → you: a\\x1b\[1Ab$/);
    expect(line).not.toContain('\u001b');
  });

  it('uses no colour codes when colours are off (not a TTY)', () => {
    expect(formatEvent({ event: 'warning', code: 'INVALID_SIG', detail: 'x' }, plain)).toBe('! x [INVALID_SIG]');
    expect(formatEvent({ event: 'warning', code: 'INVALID_SIG', detail: 'x' }, createColors(true))).toContain('\u001b[');
  });

  it('JSON mode escapes control characters by construction', () => {
    const o = jsonOf({ event: 'message', kind: 'public', from: bob, text: 'x\u001b[2Jy', ts: 5 })!;
    const line = JSON.stringify(o);
    expect(line).not.toContain('\u001b');
    expect(JSON.parse(line)).toMatchObject({ event: 'message', kind: 'public', from: bob.userId, from_name: 'bob', text: 'x\u001b[2Jy', ts: 5 });
  });
});

describe('reconnect events', () => {
  const fp = 'ab'.repeat(32);
  it('are one dim terminal line each, with a server-supplied reason made safe', () => {
    expect(formatEvent({ event: 'reconnecting', attempt: 3, delayMs: 4_800, reason: 'server closed the connection (1001\u001b[2J)' }, plain))
      .toBe('… connection lost (server closed the connection (1001\\x1b[2J)); reconnecting in 5 s (attempt 3)');
    expect(formatEvent({ event: 'reconnected', attempt: 3, serverId: bob.serverId, serverFingerprint: fp, url: 'ws://s2:9101' }, plain))
      .toBe('reconnected to server 11111111 at ws://s2:9101 (key matches the one pinned for it, abab abab abab abab…)');
  });

  it('have their JSON form (docs/client.md)', () => {
    expect(jsonOf({ event: 'reconnecting', attempt: 1, delayMs: 1_100, reason: 'x' })).toEqual({ event: 'reconnecting', attempt: 1, delay_ms: 1_100, reason: 'x' });
    expect(jsonOf({ event: 'reconnected', attempt: 2, serverId: bob.serverId, serverFingerprint: fp, url: 'ws://s2:9101' })).toEqual({ event: 'reconnected', attempt: 2, server_id: bob.serverId, server_fingerprint: fp, url: 'ws://s2:9101' });
  });
});

describe('received files', () => {
  // A transfer as the user core reports it (libs/socp/test/user/spec-files.test.ts: spec-form chunks count as unsigned).
  const transfer = (unsignedChunks: number) => ({
    key: 'k', fileId: 'f1', sender: bob.userId, name: 'spec.bin', offeredName: 'spec.bin', size: 1000, sha256: 'ab'.repeat(32),
    received: 1000, unsignedChunks, multiBlock: false, acked: 0, nextIndex: 6, pending: new Map(), pendingBytes: 0, hash: { update: () => undefined, hex: () => '' }, lastAt: 0,
  });
  it('say in JSON whether the sender signed every chunk (sender_verified)', () => {
    expect(jsonOf({ event: 'file-received', transfer: transfer(6), from: bob, path: '/x' })).toMatchObject({ event: 'file-received', path: '/x', sender_verified: false });
    expect(jsonOf({ event: 'file-received', transfer: transfer(0), from: bob, path: '/x' })).toMatchObject({ event: 'file-received', sender_verified: true });
  });
});

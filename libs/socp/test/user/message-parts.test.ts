import { MAX_MESSAGE_PARTS, OAEP_MAX_PLAINTEXT_BYTES, PartAssembler, parsePart, splitMessage } from '@socp/protocol';

/** The caller's randomness (the CLI passes 4 random bytes in hex); a fixed id where the test does not care. */
const ID = '0badc0de';

describe('splitMessage', () => {
  it('sends a message that fits one OAEP block as plain UTF-8, exactly as a spec client would', () => {
    const text = 'x'.repeat(OAEP_MAX_PLAINTEXT_BYTES);
    expect(splitMessage(text, ID)).toEqual([Buffer.from(text)]);
    expect(parsePart(text)).toBeUndefined();
  });

  it('splits longer text into ≤446-byte parts at code-point boundaries, each valid UTF-8 on its own', () => {
    const text = 'é😀a'.repeat(300); // 2+4+1 bytes per unit, 2100 bytes
    const parts = splitMessage(text, 'deadbeef');
    expect(parts.length).toBeGreaterThan(1);
    let joined = '';
    parts.forEach((p, i) => {
      expect(p.byteLength).toBeLessThanOrEqual(OAEP_MAX_PLAINTEXT_BYTES);
      const s = p.toString('utf8');
      expect(Buffer.from(s, 'utf8').equals(p)).toBe(true); // no broken code point
      const h = parsePart(s)!;
      expect(h).toMatchObject({ msgId: 'deadbeef', index: i + 1, total: parts.length });
      joined += h.body;
    });
    expect(joined).toBe(text);
  });

  it('refuses text that would need more than MAX_MESSAGE_PARTS parts', () => {
    expect(() => splitMessage('a'.repeat(446 * (MAX_MESSAGE_PARTS + 1)), ID)).toThrow(RangeError);
  });

  it('strips a leading record separator so a short message can never pose as a part', () => {
    const [p] = splitMessage('\u001edeadbeef:1/2\u001fhi', ID);
    expect(parsePart(p!.toString())).toBeUndefined();
  });
});

describe('parsePart', () => {
  it.each(['\u001edeadbeef:0/2\u001fx', '\u001edeadbeef:3/2\u001fx', '\u001edeadbeef:1/1\u001fx', '\u001eDEADBEEF:1/2\u001fx', 'deadbeef:1/2 x'])(
    'treats %j as an ordinary message', (s) => expect(parsePart(s)).toBeUndefined(),
  );
});

describe('PartAssembler', () => {
  const parts = (text: string, id = 'cafebabe') => splitMessage(text, id).map((b) => parsePart(b.toString())!);

  it('shows a message once every part arrived, in any order and with duplicates', () => {
    const text = 'long '.repeat(250);
    const ps = parts(text);
    const a = new PartAssembler();
    const order = [...ps].reverse();
    const results = [order[0]!, order[0]!, ...order.slice(1)].map((p, i) => a.add('bob|dm', p, 1000 + i, 0));
    expect(results.slice(0, -1).every((r) => r.kind === 'partial')).toBe(true);
    expect(results.at(-1)).toEqual({ kind: 'complete', text, ts: 1000 });
    expect(a.size).toBe(0);
  });

  it('keeps senders and channels apart', () => {
    const [p1, p2] = parts('y'.repeat(600));
    const a = new PartAssembler();
    expect(a.add('alice|dm', p1!, 1, 0).kind).toBe('partial');
    expect(a.add('mallory|dm', p2!, 1, 0).kind).toBe('partial');
    expect(a.add('alice|public', p2!, 1, 0).kind).toBe('partial');
    expect(a.add('alice|dm', p2!, 1, 0).kind).toBe('complete');
  });

  it('rejects parts that disagree on the total', () => {
    const a = new PartAssembler();
    expect(a.add('s', { msgId: 'aaaaaaaa', index: 1, total: 2, body: 'a' }, 1, 0).kind).toBe('partial');
    expect(a.add('s', { msgId: 'aaaaaaaa', index: 2, total: 3, body: 'b' }, 1, 0).kind).toBe('inconsistent');
  });

  it('drops incomplete messages after the timeout and bounds how many wait', () => {
    const a = new PartAssembler(1000, 2);
    for (const id of ['00000001', '00000002', '00000003']) a.add('s', { msgId: id, index: 1, total: 2, body: 'a' }, 1, 0);
    expect(a.size).toBe(2);
    expect(a.sweep(999)).toEqual([]);
    expect(a.sweep(1000)).toEqual(['s', 's']);
    expect(a.size).toBe(0);
  });
});

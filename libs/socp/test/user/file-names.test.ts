import { safeFileName } from '@socp/protocol';

const ID = '5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f';

describe('safeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../x', 'x'],
    ['../../../../etc/passwd', 'passwd'],
    ['/etc/passwd', 'passwd'],
    ['/abs/dir/', ID],
    ['C:\\Windows\\system32\\evil.dll', 'evil.dll'],
    ['..\\..\\x.txt', 'x.txt'],
    ['a\u0000b.txt', 'ab.txt'],
    ['x.txt\u0000.exe', 'x.txt.exe'],
    ['\u0000', ID],
    ['..', ID],
    ['.', ID],
    ['', ID],
    ['   ', ID],
    ['.bashrc', '_bashrc'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['a<b>:c|d?e*.txt', 'a_b__c_d_e_.txt'],
    ['evil\u001b[2J.txt', 'evil[2J.txt'],
    ['name\u202Etxt.exe', 'nametxt.exe'],
    ['trailing. . .', 'trailing'],
  ])('%j → %j', (input, out) => expect(safeFileName(input, ID)).toBe(out));

  it('bounds the length and keeps the extension', () => {
    const n = safeFileName(`${'é'.repeat(300)}.tar`, ID);
    expect(Buffer.byteLength(n)).toBeLessThanOrEqual(200);
    expect(n.endsWith('.tar')).toBe(true);
  });

  it('never yields a path separator or a dot-dot name', () => {
    for (const s of ['a/../b', '/..', '\\..\\', 'x/./', './.', '../.hidden']) {
      const n = safeFileName(s, ID);
      expect(n).not.toMatch(/[/\\\u0000]/);
      expect(n).not.toMatch(/^\.\.?$/);
    }
  });
});

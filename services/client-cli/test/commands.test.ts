import { complete, parseCommand } from '../src/commands';

describe('parseCommand', () => {
  it.each([
    ['/list', { kind: 'list' }],
    ['  /LIST  ', { kind: 'list' }],
    ['/tell bob hello  there', { kind: 'tell', user: 'bob', text: 'hello  there' }],
    ['/all hi everyone', { kind: 'all', text: 'hi everyone' }],
    ['/file bob /tmp/a b.txt', { kind: 'file', user: 'bob', path: '/tmp/a b.txt' }],
    ['/file bob "/tmp/a b.txt"', { kind: 'file', user: 'bob', path: '/tmp/a b.txt' }],
    ['/whois bob@1a2b', { kind: 'whois', user: 'bob@1a2b' }],
    ['/help', { kind: 'help' }],
    ['/quit', { kind: 'quit' }],
    ['', { kind: 'empty' }],
  ])('%j', (line, cmd) => expect(parseCommand(line)).toEqual(cmd));

  it.each(['/tell', '/tell bob', '/all', '/file bob', '/whois', 'hello', '/frobnicate'])('%j is invalid with a helpful message', (line) => {
    const c = parseCommand(line);
    expect(c.kind).toBe('invalid');
    expect(c.kind === 'invalid' && c.message.length).toBeGreaterThan(5);
  });

  it('suggests a near command', () => {
    expect(parseCommand('/tel bob x')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('/tell') });
  });
});

describe('complete', () => {
  const handles = ['alice', 'bob@1a2b3c4d', 'bob@9f8e7d6c', 'carol'];
  it('completes commands at the start of the line', () => {
    expect(complete('/t', handles)).toEqual([['/tell ', '/trust '], '/t']);
    expect(complete('/', handles)[0]).toHaveLength(8);
  });
  it('completes user handles after /tell, /file and /whois', () => {
    expect(complete('/tell b', handles)).toEqual([['bob@1a2b3c4d ', 'bob@9f8e7d6c '], 'b']);
    expect(complete('/whois C', handles)).toEqual([['carol '], 'C']);
    expect(complete('/file a', handles)).toEqual([['alice '], 'a']);
  });
  it('offers nothing inside message text', () => {
    expect(complete('/tell bob hel', handles)).toEqual([[], '/tell bob hel']);
  });
});

import { uniqueName } from '../src/downloads';

describe('uniqueName', () => {
  it('returns the name, then name (1).ext, name (2).ext …', () => {
    const taken = new Set(['a.txt', 'a (1).txt']);
    expect(uniqueName('b.txt', (c) => taken.has(c))).toBe('b.txt');
    expect(uniqueName('a.txt', (c) => taken.has(c))).toBe('a (2).txt');
    expect(uniqueName('noext', (c) => c === 'noext')).toBe('noext (1)');
    expect(uniqueName('x', () => true, 3)).toBeUndefined();
  });
});

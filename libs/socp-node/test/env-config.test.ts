import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepFreeze, envCustom, envInt, envIntList, envOneOf, envOptStr, envSecret, envStr, finishConfig, readEnv } from '@socp/node';

const TABLE = {
  host: envStr('T_HOST', '0.0.0.0'),
  port: envInt('T_PORT', 9101, 0, 65535),
  primes: envInt('T_PRIMES', 4, 2, 4, '2, 3 or 4'),
  steps: envIntList('T_STEPS', [1, 2], 1, 10, 'a list of integers from 1 to 10'),
  level: envOneOf('T_LEVEL', ['info', 'debug', 'silent'] as const, 'info'),
  format: envOneOf('T_FORMAT', ['der', 'pem'] as const, 'der'),
  note: envOptStr('T_NOTE'),
  words: envCustom('T_WORDS', (raw) => (raw ?? '').split(' ').filter(Boolean)),
};

test('defaults when unset; values coerced when set', () => {
  const problems: string[] = [];
  expect(readEnv({}, TABLE, problems)).toEqual({ host: '0.0.0.0', port: 9101, primes: 4, steps: [1, 2], level: 'info', format: 'der', note: undefined, words: [] });
  expect(readEnv({ T_HOST: 'h', T_PORT: '7', T_PRIMES: '2', T_STEPS: '3, 4,5', T_LEVEL: 'debug', T_FORMAT: 'pem', T_NOTE: 'n', T_WORDS: 'a b' }, TABLE, problems))
    .toEqual({ host: 'h', port: 7, primes: 2, steps: [3, 4, 5], level: 'debug', format: 'pem', note: 'n', words: ['a', 'b'] });
  expect(problems).toEqual([]);
});

test('every problem is listed, each value falling back to its default', () => {
  const problems: string[] = [];
  const v = readEnv({ T_PORT: 'abc', T_PRIMES: '5', T_STEPS: '1,x', T_LEVEL: 'loud', T_FORMAT: 'jwk' }, TABLE, problems);
  expect(v).toMatchObject({ port: 9101, primes: 4, steps: [1, 2], level: 'info', format: 'der' });
  expect(problems).toEqual([
    'T_PORT must be an integer in [0, 65535] (got "abc")',
    'T_PRIMES must be 2, 3 or 4 (got "5")',
    'T_STEPS must be a list of integers from 1 to 10 (got "1,x")',
    'T_LEVEL must be one of info, debug, silent (got "loud")',
    'T_FORMAT must be der or pem (got "jwk")',
  ]);
});

test('"" is unset by default, a value to check when the caller says so', () => {
  const problems: string[] = [];
  expect(readEnv({ T_PORT: '', T_NOTE: '' }, TABLE, problems)).toMatchObject({ port: 9101, note: undefined });
  expect(problems).toEqual([]);
  expect(readEnv({ T_PORT: '', T_NOTE: '' }, TABLE, problems, { emptyIsUnset: false })).toMatchObject({ port: 9101, note: '' });
  expect(problems).toEqual(['T_PORT must be an integer in [0, 65535] (got "")']);
});

describe('envSecret: NAME, else the file NAME_FILE', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'socp-env-'));
    writeFileSync(join(dir, 'pass'), ' pass phrase \n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the variable wins; a file is trimmed, or loses only its line break', () => {
    const problems: string[] = [];
    const spec = { trimmed: envSecret('S'), line: envSecret('S', 'line') };
    expect(readEnv({ S: 'direct', S_FILE: join(dir, 'pass') }, spec, problems)).toEqual({ trimmed: 'direct', line: 'direct' });
    expect(readEnv({ S: '', S_FILE: join(dir, 'pass') }, spec, problems)).toEqual({ trimmed: 'pass phrase', line: ' pass phrase ' });
    expect(readEnv({}, spec, problems)).toEqual({ trimmed: undefined, line: undefined });
    expect(problems).toEqual([]);
  });
  test('an unreadable file is a problem', () => {
    const problems: string[] = [];
    expect(readEnv({ S_FILE: join(dir, 'missing') }, { s: envSecret('S') }, problems)).toEqual({ s: undefined });
    expect(problems).toEqual([`S_FILE ${JSON.stringify(join(dir, 'missing'))} cannot be read (ENOENT)`]);
  });
});

test('finishConfig: one SOCP_ERR_CONFIG with every problem, or the config deep-frozen (class instances left alone)', () => {
  expect(() => finishConfig({}, ['a', 'b'], 'invalid x configuration')).toThrow(expect.objectContaining({ code: 'SOCP_ERR_CONFIG', message: 'invalid x configuration:\n  - a\n  - b' }));
  expect(() => finishConfig({}, ['a', 'b'])).toThrow(expect.objectContaining({ code: 'SOCP_ERR_CONFIG', message: 'a; b' }));
  class Key {
    cache: string | undefined;
  }
  const c = finishConfig({ list: [{ x: 1 }], key: new Key(), set: new Set([1]) }, []);
  expect([Object.isFrozen(c), Object.isFrozen(c.list), Object.isFrozen(c.list[0]), Object.isFrozen(c.key)]).toEqual([true, true, true, false]);
  c.key.cache = 'lazily filled'; // e.g. RsaPublicKey's fingerprint cache
  c.set.add(2);
  expect(deepFreeze(3)).toBe(3);
});

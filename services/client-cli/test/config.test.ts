import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('defaults: local server, ~/.socp, downloads inside it', () => {
    expect(loadConfig({}, {})).toEqual({
      serverUrl: 'ws://127.0.0.1:9101', home: join(homedir(), '.socp'), downloads: join(homedir(), '.socp', 'downloads'),
      json: false, passwordStdin: false, password: undefined, name: undefined, deadAfterMs: 45_000, rsaPrimes: 4,
    });
  });
  it('options win over the environment', () => {
    const c = loadConfig({ server: 'ws://127.0.0.1:1', home: '/tmp/a', json: true }, { SOCP_SERVER_URL: 'ws://127.0.0.1:2', SOCP_HOME: '/tmp/b', SOCP_DOWNLOADS: '/tmp/d', SOCP_PASSWORD: 'pw' });
    expect(c).toMatchObject({ serverUrl: 'ws://127.0.0.1:1', home: '/tmp/a', downloads: '/tmp/d', json: true, password: 'pw' });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('lists every problem at once', () => {
    expect(() => loadConfig({ server: 'http://x' }, { SOCP_PASSWORD: '' })).toThrow(/ws:\/\/ or wss:\/\/.*SOCP_PASSWORD is set but empty/);
    expect(() => loadConfig({ server: 'not a url' }, {})).toThrow(/is not a URL/);
  });
  it('SOCP_RSA_PRIMES: 2, 3 or 4 primes for a new key', () => {
    for (const n of [2, 3, 4]) expect(loadConfig({}, { SOCP_RSA_PRIMES: String(n) }).rsaPrimes).toBe(n);
    for (const bad of ['', '1', '5', '4.0x', 'four']) expect(() => loadConfig({}, { SOCP_RSA_PRIMES: bad })).toThrow(/SOCP_RSA_PRIMES must be 2, 3 or 4/);
  });
  it('SOCP_DEAD_AFTER_MS: a whole number of ms within bounds', () => {
    expect(loadConfig({}, { SOCP_DEAD_AFTER_MS: '3000' }).deadAfterMs).toBe(3_000);
    for (const bad of ['', 'soon', '1.5', '999', '600001']) expect(() => loadConfig({}, { SOCP_DEAD_AFTER_MS: bad })).toThrow(/SOCP_DEAD_AFTER_MS must be an integer from 1000 to 600000/);
  });
});

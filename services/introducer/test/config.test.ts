import { loadConfig, loadRsaPrimes } from '../src/config';

test('defaults follow docs/contracts.md and the object is frozen', () => {
  const c = loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_DATA_DIR: '/d', SOCP_JOIN_SECRET: 's'.repeat(43) });
  expect(c).toMatchObject({ host: '0.0.0.0', port: 9100, adminPort: 9180, dataDir: '/d', keyFile: '/d/introducer.key.pem', pruneAfterMs: 45_000, heartbeatMs: 15_000, deadAfterMs: 45_000, ticketTtlMs: 86_400_000, maxConnsPerIp: 32, rsaPrimes: 4 });
  expect(Object.isFrozen(c)).toBe(true);
});

test('every problem is listed in one SOCP_ERR_CONFIG error', () => {
  let err: { code?: string; message?: string } = {};
  try {
    loadConfig({ SOCP_PORT: 'abc', SOCP_PRUNE_AFTER_MS: '-1', SOCP_LOG_LEVEL: 'loud', SOCP_RSA_PRIMES: '5' });
  } catch (e) {
    err = e as typeof err;
  }
  expect(err.code).toBe('SOCP_ERR_CONFIG');
  for (const v of ['SOCP_PORT', 'SOCP_PRUNE_AFTER_MS', 'SOCP_LOG_LEVEL', 'SOCP_KEY_PASSPHRASE', 'SOCP_RSA_PRIMES']) expect(err.message).toContain(v);
});

test('SOCP_RSA_PRIMES (also read alone by the key tool): 2, 3 or 4, default 4', () => {
  expect(loadRsaPrimes({})).toBe(4);
  for (const n of [2, 3, 4]) expect(loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_ADMIT: '*', SOCP_RSA_PRIMES: String(n) }).rsaPrimes).toBe(n);
  for (const bad of ['1', '5', '2.5', 'four']) expect(() => loadRsaPrimes({ SOCP_RSA_PRIMES: bad })).toThrow(/SOCP_RSA_PRIMES must be an integer in \[2, 4\]/);
});

test('admission is never implicit: no join secret and no SOCP_ADMIT rule is a configuration error; a short secret too', () => {
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p' })).toThrow(/admission: set SOCP_JOIN_SECRET_FILE/);
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_JOIN_SECRET: 'short' })).toThrow(/at least 22 characters/);
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_ADMIT: 'everyone' })).toThrow(/SOCP_ADMIT entry/);
  expect(loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_ADMIT: '*' }).admit.any).toBe(true);
});

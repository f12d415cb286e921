import { loadConfig } from '../src/config';

test('defaults follow docs/contracts.md and the object is frozen', () => {
  const c = loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_DATA_DIR: '/d', SOCP_JOIN_SECRET: 's'.repeat(43) });
  expect(c).toMatchObject({ host: '0.0.0.0', port: 9100, adminPort: 9180, dataDir: '/d', keyFile: '/d/introducer.key.pem', pruneAfterMs: 45_000, heartbeatMs: 15_000, deadAfterMs: 45_000, ticketTtlMs: 86_400_000, maxConnsPerIp: 32 });
  expect(Object.isFrozen(c)).toBe(true);
});

test('every problem is listed in one SOCP_ERR_CONFIG error', () => {
  let err: { code?: string; message?: string } = {};
  try {
    loadConfig({ SOCP_PORT: 'abc', SOCP_PRUNE_AFTER_MS: '-1', SOCP_LOG_LEVEL: 'loud' });
  } catch (e) {
    err = e as typeof err;
  }
  expect(err.code).toBe('SOCP_ERR_CONFIG');
  for (const v of ['SOCP_PORT', 'SOCP_PRUNE_AFTER_MS', 'SOCP_LOG_LEVEL', 'SOCP_KEY_PASSPHRASE']) expect(err.message).toContain(v);
});

test('admission is never implicit: no join secret and no SOCP_ADMIT rule is a configuration error; a short secret too', () => {
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p' })).toThrow(/admission: set SOCP_JOIN_SECRET_FILE/);
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_JOIN_SECRET: 'short' })).toThrow(/at least 22 characters/);
  expect(() => loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_ADMIT: 'everyone' })).toThrow(/SOCP_ADMIT entry/);
  expect(loadConfig({ SOCP_KEY_PASSPHRASE: 'p', SOCP_ADMIT: '*' }).admit.any).toBe(true);
});

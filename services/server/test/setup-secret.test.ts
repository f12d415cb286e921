/**
 * The OPAQUE server setup as Redis keeps it (`socp:identity` field `opaque_setup`): a value the
 * old code sealed (tests/vectors/at-rest.json) still opens under SOCP_KEY_PASSPHRASE; a fresh
 * seal opens; another passphrase does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSetup, sealSetup } from '../src/accounts/setup-secret';

const fx = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'tests', 'vectors', 'at-rest.json'), 'utf8')) as { opaque_setup: { passphrase: string; setup: string; sealed: string } }).opaque_setup;

test('a setup sealed by the old code opens', () => {
  expect(openSetup(fx.sealed, fx.passphrase)).toBe(fx.setup);
});

test('a fresh seal has the v1 form and opens; another passphrase or a cut value does not', () => {
  const sealed = sealSetup(fx.setup, fx.passphrase);
  expect(sealed.split('.').map((part, i) => (i === 0 ? part : /^[A-Za-z0-9_-]+$/.test(part)))).toEqual(['v1', true, true, true, true]);
  expect(openSetup(sealed, fx.passphrase)).toBe(fx.setup);
  expect(() => openSetup(sealed, 'another passphrase')).toThrow(/wrong SOCP_KEY_PASSPHRASE/);
  expect(() => openSetup(sealed.split('.').slice(0, 4).join('.'), fx.passphrase)).toThrow(expect.objectContaining({ code: 'SOCP_ERR_KEYSTORE' }));
});

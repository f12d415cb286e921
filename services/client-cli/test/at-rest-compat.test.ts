/**
 * Values the client sealed at rest before the one sealer (libs/socp/src/crypto/at-rest.ts)
 * still open: a keystore file (scrypt → AES-256-GCM) and a privkey_store (HKDF of the OPAQUE
 * export key → AES-256-GCM), both from tests/vectors/at-rest.json, which the old code wrote.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAccount } from '../src/keystore';
import { openPrivkeyStore } from '../src/privkey-store';

interface Fixture {
  keystore: { password: string; file: { user_id: string; pubkey: string } & Record<string, unknown> };
  privkey_store: { user_id: string; pubkey: string; export_key: string; sealed: string };
}
const fx = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'tests', 'vectors', 'at-rest.json'), 'utf8')) as Fixture;

describe('a keystore file written by the old code', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'socp-at-rest-'));
    mkdirSync(join(home, 'accounts'), { mode: 0o700 });
    writeFileSync(join(home, 'accounts', 'alice.json'), JSON.stringify(fx.keystore.file), { mode: 0o600 });
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('opens with its password and yields its identity', async () => {
    const a = await openAccount(home, 'alice', fx.keystore.password);
    expect(a.userId).toBe(fx.keystore.file.user_id);
    expect(a.key.publicKey.b64url).toBe(fx.keystore.file.pubkey);
  });
  it('still says "wrong password" for another password', async () => {
    await expect(openAccount(home, 'alice', 'not the fixture password')).rejects.toMatchObject({ code: 'SOCP_ERR_KEYSTORE', message: 'wrong password' });
  });
});

describe('a privkey_store sealed by the old code', () => {
  const p = fx.privkey_store;
  it('opens under its export key', () => {
    expect(openPrivkeyStore(p.sealed, p.user_id, p.pubkey, p.export_key).publicKey.b64url).toBe(p.pubkey);
  });
  it('does not open under another user id (the HKDF salt and the additional data)', () => {
    expect(() => openPrivkeyStore(p.sealed, '00000000-0000-4000-8000-000000000000', p.pubkey, p.export_key)).toThrow(expect.objectContaining({ code: 'SOCP_ERR_KEYSTORE' }));
  });
});

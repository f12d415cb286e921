import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { accountExists, newAccount, openAccount, saveAccount, type Account } from '../src/keystore';

/** Passwords of throw-away test keystores: random per run, never in the repository. */
const PASSWORD = randomBytes(12).toString('base64url');
const OTHER = randomBytes(12).toString('base64url');

describe('keystore', () => {
  let home: string;
  let account: Account;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'socp-ks-'));
    account = await newAccount('alice', 4);
    await saveAccount(join(home, 'h'), account, PASSWORD);
  }, 60_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const h = () => join(home, 'h');
  const file = () => join(h(), 'accounts', 'alice.json');

  it('stores the key encrypted (scrypt + AES-256-GCM), file 0600 in a 0700 directory', () => {
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(statSync(h()).mode & 0o777).toBe(0o700);
    expect(statSync(join(h(), 'accounts')).mode & 0o777).toBe(0o700);
    const f = JSON.parse(readFileSync(file(), 'utf8'));
    expect(f).toMatchObject({ format: 'socp-keystore/1', name: 'alice', user_id: account.userId, kdf: { alg: 'scrypt', N: 32768, r: 8, p: 1 }, cipher: { alg: 'aes-256-gcm' } });
    const der = account.key.toPkcs8Der();
    const raw = readFileSync(file());
    expect(raw.includes(der.subarray(100, 140))).toBe(false);
    expect(raw.includes(Buffer.from(der.subarray(100, 140).toString('base64url')))).toBe(false);
    expect(raw.toString()).not.toContain('PRIVATE KEY');
  });

  it('opens with the right password and yields the same identity', async () => {
    const a = await openAccount(h(), 'alice', PASSWORD);
    expect(a.userId).toBe(account.userId);
    expect(a.key.publicKey.equals(account.key.publicKey)).toBe(true);
  });

  it('says "wrong password" for a wrong password', async () => {
    await expect(openAccount(h(), 'alice', 'wrong horse')).rejects.toMatchObject({ code: 'SOCP_ERR_KEYSTORE', message: 'wrong password' });
  });

  it('detects an edited header (user id swapped) as a failure, not a different identity', async () => {
    const copy = join(home, 'edited');
    await saveAccount(copy, account, OTHER);
    const p = join(copy, 'accounts', 'alice.json');
    const f = JSON.parse(readFileSync(p, 'utf8'));
    f.user_id = '00000000-0000-4000-8000-000000000000';
    writeFileSync(p, JSON.stringify(f));
    await expect(openAccount(copy, 'alice', OTHER)).rejects.toMatchObject({ code: 'SOCP_ERR_KEYSTORE' });
  });

  it('refuses weak KDF parameters, unknown accounts, bad names and overwriting', async () => {
    const copy = join(home, 'weak');
    await saveAccount(copy, account, OTHER);
    const p = join(copy, 'accounts', 'alice.json');
    const f = JSON.parse(readFileSync(p, 'utf8'));
    f.kdf.N = 2;
    writeFileSync(p, JSON.stringify(f));
    await expect(openAccount(copy, 'alice', OTHER)).rejects.toMatchObject({ message: expect.stringContaining('KDF') });
    await expect(openAccount(h(), 'bob', 'x')).rejects.toMatchObject({ message: expect.stringContaining('no account') });
    await expect(openAccount(h(), '../alice', 'x')).rejects.toMatchObject({ code: 'SOCP_ERR_KEYSTORE' });
    await expect(saveAccount(h(), account, 'other')).rejects.toMatchObject({ message: expect.stringContaining('already exists') });
    expect(await accountExists(h(), 'alice')).toBe(true);
  });
});

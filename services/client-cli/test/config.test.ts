import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@socp/protocol';
import { loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('defaults: local server, ~/.socp, downloads inside it', () => {
    expect(loadConfig({}, {})).toEqual({
      serverUrls: ['ws://127.0.0.1:9101'], home: join(homedir(), '.socp'), downloads: join(homedir(), '.socp', 'downloads'),
      sendDir: process.cwd(), json: false, passwordStdin: false, password: undefined, name: undefined, deadAfterMs: 45_000,
      serverKey: undefined, contentSig: 'auto', keyFormat: 'der', rsaPrimes: 4,
    });
  });
  it('options win over the environment', () => {
    const c = loadConfig({ server: ['ws://127.0.0.1:1'], home: '/tmp/a', json: true }, { SOCP_SERVER_URL: 'ws://127.0.0.1:2', SOCP_HOME: '/tmp/b', SOCP_DOWNLOADS: '/tmp/d', SOCP_PASSWORD: 'pw' });
    expect(c).toMatchObject({ serverUrls: ['ws://127.0.0.1:1'], home: '/tmp/a', downloads: '/tmp/d', json: true, password: 'pw' });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('lists every problem at once', () => {
    expect(() => loadConfig({ server: ['http://x'] }, { SOCP_PASSWORD: '' })).toThrow(/ws:\/\/ or wss:\/\/.*SOCP_PASSWORD is set but empty/);
    expect(() => loadConfig({ server: ['ws://ok:1', 'not a url'] }, {})).toThrow(/is not a URL/);
  });
  it('SOCP_RSA_PRIMES: 2, 3 or 4 primes for a new key', () => {
    for (const n of [2, 3, 4]) expect(loadConfig({}, { SOCP_RSA_PRIMES: String(n) }).rsaPrimes).toBe(n);
    for (const bad of ['', '1', '5', '4.0x', 'four']) expect(() => loadConfig({}, { SOCP_RSA_PRIMES: bad })).toThrow(/SOCP_RSA_PRIMES must be 2, 3 or 4/);
  });
  it('SOCP_DEAD_AFTER_MS: a whole number of ms within bounds', () => {
    expect(loadConfig({}, { SOCP_DEAD_AFTER_MS: '3000' }).deadAfterMs).toBe(3_000);
    for (const bad of ['', 'soon', '1.5', '999', '600001']) expect(() => loadConfig({}, { SOCP_DEAD_AFTER_MS: bad })).toThrow(/SOCP_DEAD_AFTER_MS must be an integer from 1000 to 600000/);
  });
  it('--server-key / SOCP_SERVER_KEY: a usable RSA-4096 key, b64url DER or PEM-b64url', async () => {
    const key = (await generateKeyPair()).publicKey;
    expect(loadConfig({ serverKey: key.b64url }, {}).serverKey?.equals(key)).toBe(true);
    expect(loadConfig({}, { SOCP_SERVER_KEY: key.toPemBase64Url() }).serverKey?.equals(key)).toBe(true);
    expect(() => loadConfig({ serverKey: 'MIIBIjAN' }, {})).toThrow(/--server-key \/ SOCP_SERVER_KEY is not a usable RSA-4096 public key/);
  }, 60_000);
  it('SOCP_CONTENT_SIG and SOCP_KEY_FORMAT take only their listed values', () => {
    expect(loadConfig({}, { SOCP_CONTENT_SIG: 'A', SOCP_KEY_FORMAT: 'pem' })).toMatchObject({ contentSig: 'A', keyFormat: 'pem' });
    expect(() => loadConfig({}, { SOCP_CONTENT_SIG: 'B', SOCP_KEY_FORMAT: 'xml' })).toThrow(/SOCP_CONTENT_SIG must be one of auto, A, C.*SOCP_KEY_FORMAT must be der or pem/);
  });
  it('SOCP_SEND_DIR: relative /file paths resolve against it (default: the current directory)', () => {
    expect(loadConfig({}, { SOCP_SEND_DIR: '/transfer' }).sendDir).toBe('/transfer');
    expect(loadConfig({}, { SOCP_SEND_DIR: 'out' }).sendDir).toBe(join(process.cwd(), 'out'));
  });
  it('several servers: --server repeated, else SOCP_SERVER_URLS (comma-separated), else SOCP_SERVER_URL; in order, once each', () => {
    const env = { SOCP_SERVER_URLS: ' ws://a:1, ws://b:2 ,,ws://a:1', SOCP_SERVER_URL: 'ws://c:3' };
    expect(loadConfig({}, env).serverUrls).toEqual(['ws://a:1', 'ws://b:2']);
    expect(loadConfig({ server: ['ws://d:4', 'ws://e:5'] }, env).serverUrls).toEqual(['ws://d:4', 'ws://e:5']);
    expect(loadConfig({}, { SOCP_SERVER_URL: 'ws://c:3' }).serverUrls).toEqual(['ws://c:3']);
    expect(() => loadConfig({}, { SOCP_SERVER_URLS: Array.from({ length: 33 }, (_, i) => `ws://h${i}:1`).join(',') })).toThrow(/at most 32 server URLs/);
  });
  it('--server-key pins one server, so it goes with a single URL', () => {
    expect(() => loadConfig({ server: ['ws://a:1', 'ws://b:2'] }, { SOCP_SERVER_KEY: 'x' })).toThrow(/give a single server URL with it/);
  });
});

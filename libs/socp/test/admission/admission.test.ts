/** The admission building blocks: envelope binding, tickets, join proofs, SOCP_ADMIT rules. */
import {
  bindMatches, checkJoinProof, checkTicket, decodeFrame, encodeFrame, issueTicket, joinProof, matchAdmitRule, parseAdmitRules, sealFrame, verifyFrame, withBind,
  type Frame,
} from '@socp/protocol';
import { testKeys } from '../helpers/fixtures';

const NOW = 1_760_000_000_000;
const SID = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER = 'b1b2c3d4-0000-4000-8000-000000000002';
const { alice: intro, bob: server } = testKeys();
const issuers = new Map([[intro.publicKey.fingerprint(), intro.publicKey]]);

describe('envelope binding', () => {
  const hello = withBind({ type: 'SERVER_HELLO_LINK' as const, from: SID, to: OTHER, ts: NOW, payload: { host: 'h', port: 1, pubkey: server.publicKey.toBase64Url() } });
  test('a bound frame verifies; the same signed payload under another type, time, sender or recipient does not', () => {
    const f = sealFrame(hello, server) as Frame;
    expect(bindMatches(f)).toBe(true);
    expect(verifyFrame(f, server.publicKey).ok).toBe(true);
    for (const change of [{ type: 'SERVER_HELLO_JOIN' }, { ts: NOW + 60_000 }, { from: OTHER }, { to: '*' }]) {
      const replayed = { ...f, ...change } as Frame;
      const r = verifyFrame(replayed, server.publicKey);
      expect(r.ok || r.error.code).toBe('INVALID_SIG');
    }
  });
  test('an unbound frame is left alone; a malformed bind never verifies', () => {
    const plain = sealFrame({ ...hello, payload: { host: 'h', port: 1, pubkey: server.publicKey.toBase64Url() } }, server) as Frame;
    expect(bindMatches(plain)).toBeUndefined();
    expect(verifyFrame(plain, server.publicKey).ok).toBe(true);
    const odd = sealFrame({ ...hello, payload: { ...hello.payload, bind: { ...hello.payload.bind, extra: 1 } } } as typeof hello, server) as Frame;
    expect(bindMatches(odd)).toBe(false);
    expect(verifyFrame(odd, server.publicKey).ok).toBe(false);
  });
  test('binding survives the wire (encode → decode → verify)', () => {
    const d = decodeFrame(encodeFrame(sealFrame(hello, server) as Frame));
    expect(d.ok && verifyFrame(d.value, server.publicKey).ok).toBe(true);
  });
});

describe('admission tickets', () => {
  const t = issueTicket(intro, { server_id: SID, key: server.publicKey, host: 'server-2', port: 9101, caps: ['bind'], issued: NOW, expires: NOW + 60_000 });
  const expect_ = { serverId: SID, key: server.publicKey, host: 'server-2', port: 9101 };
  test('a ticket of a pinned introducer admits its server, key and address until it expires', () => {
    const r = checkTicket({ ...t }, expect_, issuers, NOW + 1);
    expect(r.ok && r.value.caps).toEqual(['bind']);
  });
  const cases: Array<[string, () => [unknown, typeof expect_, number, Map<string, typeof intro.publicKey>?]]> = [
    ['expired', () => [t, expect_, NOW + 60_000]],
    ['for another server id', () => [t, { ...expect_, serverId: OTHER }, NOW]],
    ['for another key', () => [t, { ...expect_, key: intro.publicKey }, NOW]],
    ['for another address', () => [t, { ...expect_, port: 9102 }, NOW]],
    ['a field changed after signing', () => [{ ...t, expires: NOW + 10 ** 9 }, expect_, NOW]],
    ['signed by a key nobody pinned', () => [issueTicket(server, { server_id: SID, key: server.publicKey, host: 'server-2', port: 9101, caps: [], issued: NOW, expires: NOW + 60_000 }), expect_, NOW]],
    ['malformed', () => [{ v: 1, server_id: SID }, expect_, NOW]],
    ['not an object', () => ['ticket', expect_, NOW]],
  ];
  test.each(cases)('refused: %s', (_n, make) => {
    const [ticket, e, now] = make();
    const r = checkTicket(ticket, e, issuers, now);
    expect(r.ok || r.error.code).toBe('SOCP_ERR_NOT_ADMITTED');
  });
});

describe('join proofs', () => {
  const secret = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXgxMjM0NTY3ODkw';
  const claim = { from: SID, ts: NOW, host: 'server-2', port: 9101, pubkey: server.publicKey.toBase64Url() };
  test('a proof of the secret verifies for exactly its claim, in constant time', () => {
    const p = joinProof(secret, claim);
    expect(p).not.toContain(secret);
    expect(checkJoinProof(secret, claim, p)).toBe(true);
    for (const change of [{ ts: NOW + 1 }, { from: OTHER }, { host: 'evil' }, { port: 1 }, { pubkey: intro.publicKey.toBase64Url() }]) {
      expect(checkJoinProof(secret, { ...claim, ...change }, p)).toBe(false);
    }
    expect(checkJoinProof(`${secret}x`, claim, p)).toBe(false);
    expect(checkJoinProof(secret, claim, undefined)).toBe(false);
    expect(checkJoinProof(secret, claim, 12)).toBe(false);
    expect(checkJoinProof(secret, claim, 'x'.repeat(500))).toBe(false);
  });
});

describe('SOCP_ADMIT rules', () => {
  const fp = server.publicKey.fingerprint();
  test('keys, addresses and * parse; junk is reported', () => {
    const problems: string[] = [];
    const r = parseAdmitRules(`key:${fp.toUpperCase()}, addr:peer.example:9001  sha256:${'0'.repeat(64)}`, problems);
    expect(problems).toEqual([]);
    expect(matchAdmitRule(r, fp)).toBe('key');
    expect(matchAdmitRule(r, 'f'.repeat(64), 'peer.example', 9001)).toBe('addr');
    expect(matchAdmitRule(r, 'f'.repeat(64), 'peer.example', 9002)).toBeUndefined();
    expect(matchAdmitRule(parseAdmitRules('*', problems), 'f'.repeat(64))).toBe('any');
    parseAdmitRules('key:abc,addr:x,everyone', problems);
    expect(problems).toHaveLength(3);
    expect(matchAdmitRule(parseAdmitRules(undefined, []), fp)).toBeUndefined();
  });
});

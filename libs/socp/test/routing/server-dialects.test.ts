/**
 * Server dialects of other implementations (issue 14 item 5; docs/protocol.md "Dialects"):
 * an introducer that is itself a server and describes only itself in its WELCOME
 * `{server_id, server_pub, snapshot, assigned_id: null}`, and the bare SERVER_ANNOUNCE
 * `{server_id, user_locations}`. Both link instead of failing with SOCP_ERR_SCHEMA, and
 * admission still applies: the operator's pin or an SOCP_ADMIT rule.
 */
import { authenticateServerFrame, classifyFirstFrame, decodeFrame, handleServerFrame, handleWelcome, parseAdmitRules, type Frame, type Verified } from '@socp/protocol';
import { NOW, S2, SELF, ctx, errorCodes, keys, meshState, signedBy, snapshot } from './routing-fixture';

const PEER = 'c0ffee00-0000-4000-8000-00000000beef';
const JOINED = { host: '10.0.0.7', port: 18765 };
const peerPub = (): string => keys().bob.publicKey.toBase64Url();
const looseWelcome = (pub = peerPub()) => ({ server_id: PEER, server_pub: pub, snapshot: { user_locations: { u: PEER } }, assigned_id: null });
const decode = (f: unknown): Frame => {
  const r = decodeFrame(JSON.stringify(f));
  if (!r.ok) throw r.error;
  return r.value;
};

describe('a WELCOME whose introducer describes only itself', () => {
  test('decodes, and a pinned introducer is admitted, pinned and dialled at the address we joined', () => {
    const f = decode({ type: 'SERVER_WELCOME', from: PEER, to: SELF, ts: NOW, payload: looseWelcome(), sig: '' });
    const s = meshState();
    const r = handleWelcome(s, f.payload as ReturnType<typeof looseWelcome>, ctx(), true, { ...JOINED, pubkey: peerPub() });
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([{ kind: 'dial', serverId: PEER, ...JOINED }]);
    expect(s.serverPubkeys.get(PEER)!.equals(keys().bob.publicKey)).toBe(true);
    expect(s.admitted.get(PEER)?.basis).toBe('welcome');
  });

  test('a key other than the one pinned for that introducer is not linked', () => {
    const s = meshState();
    const before = snapshot(s);
    const r = handleWelcome(s, looseWelcome(), ctx(), true, { ...JOINED, pubkey: keys().alice.publicKey.toBase64Url() });
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([]);
    expect(snapshot(s)).toEqual(before);
  });

  test('an unpinned introducer is linked only when an SOCP_ADMIT rule names it', () => {
    const s = meshState();
    expect(handleWelcome(s, looseWelcome(), ctx(), false, JOINED).effects.filter((e) => e.kind === 'dial')).toEqual([]);
    expect(s.serverPubkeys.has(PEER)).toBe(false);
    s.trust = { ...s.trust, rules: parseAdmitRules(`addr:${JOINED.host}:${JOINED.port}`, []) };
    expect(handleWelcome(s, looseWelcome(), ctx(), false, JOINED).effects.filter((e) => e.kind === 'dial')).toEqual([{ kind: 'dial', serverId: PEER, ...JOINED }]);
    expect(s.admitted.get(PEER)?.basis).toBe('rule');
  });
});

describe('the bare SERVER_ANNOUNCE {server_id, user_locations}', () => {
  const bare = (serverId = S2) => ({ type: 'SERVER_ANNOUNCE' as const, from: S2, to: SELF, ts: NOW, payload: { server_id: serverId, user_locations: { u: S2 } } });

  test('decodes (an announce with an address but no key still does not)', () => {
    expect(decode({ ...bare(), sig: '' }).payload).toEqual(bare().payload);
    expect(decodeFrame(JSON.stringify({ ...bare(), payload: { host: 'h', port: 1 }, sig: '' }))).toMatchObject({ ok: false, error: { code: 'SOCP_ERR_SCHEMA' } });
  });

  test('from a pinned, admitted server: verified under its pin, accepted, and our link to its known address kept', () => {
    const s = meshState();
    const f = decode(signedBy(bare(), keys().bob));
    expect(classifyFirstFrame(s, f, NOW)).toBe('server');
    const a = authenticateServerFrame(s, f, ctx());
    if (!a.ok) throw a.error;
    const before = snapshot(s);
    const r = handleServerFrame(s, a.value, S2, 'c2', ctx());
    expect(errorCodes(r.effects)).toEqual([]);
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([{ kind: 'dial', serverId: S2, host: '127.0.0.1', port: 9000 }]);
    expect(snapshot(s)).toEqual(before);
  });

  test('signed by another key → INVALID_SIG; from a server nobody pinned → SOCP_ERR_UNKNOWN_SENDER', () => {
    const s = meshState();
    const forged = authenticateServerFrame(s, decode(signedBy(bare(), keys().alice)), ctx());
    expect(forged.ok ? 'ok' : forged.error.code).toBe('INVALID_SIG');
    const stranger = authenticateServerFrame(s, decode(signedBy({ ...bare(PEER), from: PEER }, keys().bob)), ctx());
    expect(stranger.ok ? 'ok' : stranger.error.code).toBe('SOCP_ERR_UNKNOWN_SENDER');
  });

  test('naming another server is refused (SOCP_ERR_NOT_ALLOWED, INVALID_SIG on the wire) and changes nothing', () => {
    const s = meshState();
    const before = snapshot(s);
    const r = handleServerFrame(s, signedBy(bare(PEER), keys().bob) as Verified<Frame>, S2, 'c2', ctx());
    expect(r.effects.some((e) => e.kind === 'reject' && e.reason === 'SOCP_ERR_NOT_ALLOWED')).toBe(true);
    expect(errorCodes(r.effects)).toEqual(['INVALID_SIG']);
    expect(r.effects.filter((e) => e.kind === 'dial')).toEqual([]);
    expect(snapshot(s)).toEqual(before);
  });
});

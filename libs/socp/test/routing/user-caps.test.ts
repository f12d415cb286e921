/**
 * User capabilities (docs/protocol.md "User capabilities"): a USER_HELLO's meta.caps is kept with
 * the user and goes out in every USER_ADVERTISE of it (to servers, to local users, in snapshots);
 * a gossiped advertisement's caps are relayed too. Both are bounded: at most MAX_USER_CAPS
 * well-formed tokens per user, whatever a hello or a peer server sends.
 */
import {
  CAP_FILE_BLOCKS, MAX_USER_CAP_CHARS, MAX_USER_CAPS, decodeFrame, encodeFrame, handleServerFrame, handleUserHello, sealFrame, userCaps, withBind,
  type Frame, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { BOB, CAROL, NOW, S2, SELF, ctx, keys, meshState, sealedOf, signedBy, withAlice } from './routing-fixture';

type Hello = Verified<Extract<Frame, { type: 'USER_HELLO' }>>;
const hello = (meta: Record<string, unknown>): Hello =>
  sealFrame(withBind({ type: 'USER_HELLO', from: CAROL, to: SELF, ts: NOW, payload: { pubkey: keys().alice.publicKey.toBase64Url(), meta } }), keys().alice) as Hello;
const advertFromS2 = (meta: Record<string, unknown>): Verified<Frame> =>
  signedBy({ type: 'USER_ADVERTISE', from: S2, to: '*', ts: NOW, payload: { user_id: BOB, server_id: S2, meta, pubkey: keys().bob.publicKey.toBase64Url() } } as UnsignedFrame, keys().bob);
const capsIn = (f: { payload: unknown }): unknown => (f.payload as { meta: Record<string, unknown> }).meta['caps'];

describe('a local user\'s caps', () => {
  test('are kept with the user and sent in its USER_ADVERTISE to every server and every local user', () => {
    const s = withAlice(meshState());
    const r = handleUserHello(s, hello({ display_name: 'carol', caps: [CAP_FILE_BLOCKS] }), 'c3', ctx());
    expect(r.accepted).toBe(true);
    expect(s.directory.get(CAROL)!.meta['caps']).toEqual([CAP_FILE_BLOCKS]);
    expect(sealedOf(r.effects, 'broadcastServers', 'USER_ADVERTISE').map((x) => capsIn(x.frame))).toEqual([[CAP_FILE_BLOCKS]]);
    expect(sealedOf(r.effects, 'broadcastUsers', 'USER_ADVERTISE').map((x) => capsIn(x.frame))).toEqual([[CAP_FILE_BLOCKS]]);
  });

  test('a hello without caps advertises none (a spec client)', () => {
    const s = meshState();
    const r = handleUserHello(s, hello({ display_name: 'carol' }), 'c3', ctx());
    expect(sealedOf(r.effects, 'broadcastServers', 'USER_ADVERTISE').map((x) => capsIn(x.frame))).toEqual([undefined]);
  });

  test('the hello schema bounds them: at most MAX_USER_CAPS tokens of at most MAX_USER_CAP_CHARS', () => {
    const decoded = (caps: unknown) => decodeFrame(encodeFrame({ type: 'USER_HELLO', from: CAROL, to: SELF, ts: NOW, payload: { pubkey: keys().alice.publicKey.toBase64Url(), meta: { caps } }, sig: '' } as Frame));
    expect(decoded(Array.from({ length: MAX_USER_CAPS }, (_, i) => `cap-${i}`)).ok).toBe(true);
    for (const bad of [Array.from({ length: MAX_USER_CAPS + 1 }, (_, i) => `cap-${i}`), ['x'.repeat(MAX_USER_CAP_CHARS + 1)], ['Has Space'], [7], 'file-blocks']) {
      const r = decoded(bad);
      expect(r.ok ? 'accepted' : r.error.code).toBe('SOCP_ERR_SCHEMA');
    }
  });
});

describe('a remote user\'s caps (gossip)', () => {
  test('are kept and pushed to our users in meta.caps; the frame is relayed to other servers unchanged', () => {
    const s = withAlice(meshState());
    const f = advertFromS2({ username: 'bob', caps: [CAP_FILE_BLOCKS] });
    const r = handleServerFrame(s, f, S2, 'c2', ctx());
    expect(s.directory.get(BOB)!.meta['caps']).toEqual([CAP_FILE_BLOCKS]);
    expect(sealedOf(r.effects, 'broadcastUsers', 'USER_ADVERTISE').map((x) => capsIn(x.frame))).toEqual([[CAP_FILE_BLOCKS]]);
    expect(r.effects.some((e) => e.kind === 'broadcastServers' && 'relay' in e.out && e.out.relay === f)).toBe(true);
  });

  test('are bounded: a peer cannot grow what we store per user with them', () => {
    const s = withAlice(meshState());
    const junk = [...Array.from({ length: 50 }, (_, i) => `cap-${i}`), 'x'.repeat(2_000), { nested: true }, 42, 'UPPER', 'cap-0'];
    handleServerFrame(s, advertFromS2({ username: 'bob', caps: ['cap-0', ...junk] }), S2, 'c2', ctx());
    const kept = s.directory.get(BOB)!.meta['caps'] as string[];
    expect(kept).toEqual(Array.from({ length: MAX_USER_CAPS }, (_, i) => `cap-${i}`));
    expect(JSON.stringify(s.directory.get(BOB)!.meta).length).toBeLessThan(100 + MAX_USER_CAPS * (MAX_USER_CAP_CHARS + 3));
  });

  test('caps that are not a list of tokens are dropped, the advertisement still taken', () => {
    const s = withAlice(meshState());
    handleServerFrame(s, advertFromS2({ username: 'bob', caps: 'file-blocks' }), S2, 'c2', ctx());
    expect(s.directory.get(BOB)!.meta).toEqual({ username: 'bob' });
  });
});

test('userCaps: well-formed tokens, in order, without repeats, at most MAX_USER_CAPS', () => {
  expect(userCaps(undefined)).toEqual([]);
  expect(userCaps({ caps: ['b', 'a', 'b', '', 'A', 'ok/2', 'x'.repeat(MAX_USER_CAP_CHARS)] })).toEqual(['b', 'a', 'ok/2', 'x'.repeat(MAX_USER_CAP_CHARS)]);
  expect(userCaps({ caps: { 0: 'a' } })).toEqual([]);
});

/**
 * decodeFrame, the one entry point for untrusted text: every message type's valid forms
 * (SPEC.md examples + G43's forms) decode; invalid input gets the right coded error.
 */
import { decodeFrame, FRAME_TYPES, innerTypeOf, MAX_FRAME_BYTES, MAX_JSON_DEPTH, originalTs, welcomeServers, advertisedPubkey, advertisedName } from '@socp/protocol';
import type { FrameOf } from '@socp/protocol';
import { BLOCK, FILE_ID, PUB, S1, S2, U1, U2, UNCOVERED_TYPES, VALID } from '../helpers/frames';

const code = (text: string | Buffer): string => {
  const r = decodeFrame(text);
  return r.ok ? 'ok' : r.error.code;
};
const text = (o: unknown): string => JSON.stringify(o);
const withPayload = (type: string, payload: unknown, extra: Record<string, unknown> = {}): string =>
  text({ type, from: S1, to: S2, ts: 1, payload, sig: '', ...extra });

test('the example table covers all 31 frame types (23 of SOCP + 7 account extensions + SERVER_DELIVER_BATCH)', () => {
  expect(FRAME_TYPES).toHaveLength(31);
  expect(UNCOVERED_TYPES).toEqual([]);
});

describe('valid frames decode', () => {
  test.each(VALID.map((e) => [e.name, e] as const))('%s', (_n, e) => {
    const r = decodeFrame(text(e.frame) + (e.name.includes('trailing newline') ? '\n' : ''));
    if (!r.ok) throw r.error;
    expect(r.value.type).toBe(e.frame['type']);
    expect(r.value.payload).toEqual(e.frame['payload'] ?? {});
    expect(r.value.sig).toBe(e.frame['sig'] ?? '');
  });
  test('Buffer input, CRLF and trailing whitespace are accepted', () => {
    const t = text(VALID[0]!.frame);
    expect(code(Buffer.from(t))).toBe('ok');
    expect(code(t + '\r\n')).toBe('ok');
    expect(code(t + ' \n\n')).toBe('ok');
  });
  test('a frame of exactly MAX_FRAME_BYTES is accepted; one byte more is SOCP_ERR_FRAME_TOO_LARGE', () => {
    const base = withPayload('ERROR', { code: 'X', pad: '' });
    const exact = withPayload('ERROR', { code: 'X', pad: 'p'.repeat(MAX_FRAME_BYTES - Buffer.byteLength(base)) });
    expect(Buffer.byteLength(exact)).toBe(MAX_FRAME_BYTES);
    expect(code(exact)).toBe('ok');
    expect(code(exact + ' ')).toBe('SOCP_ERR_FRAME_TOO_LARGE');
    expect(code(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20))).toBe('SOCP_ERR_FRAME_TOO_LARGE');
  });
});

describe('invalid input gets the right code', () => {
  test.each([
    ['G43 custom USER_REGISTER', withPayload('USER_REGISTER', {}), 'UNKNOWN_TYPE'],
    ['G43 custom AUTH_HELLO', withPayload('AUTH_HELLO', { username: 'a' }), 'UNKNOWN_TYPE'],
    ['old MSG_PRIVATE', withPayload('MSG_PRIVATE', {}), 'UNKNOWN_TYPE'],
    ['lower-case type (types are case-sensitive)', withPayload('heartbeat', {}), 'UNKNOWN_TYPE'],
    ['prototype key as type', withPayload('__proto__', {}), 'UNKNOWN_TYPE'],
    ['toString as type', withPayload('toString', {}), 'UNKNOWN_TYPE'],
    ['type missing', text({ from: S1, to: S2, ts: 1, payload: {} }), 'SOCP_ERR_SCHEMA'],
    ['type not a string', text({ type: 7, from: S1, to: S2, ts: 1, payload: {} }), 'SOCP_ERR_SCHEMA'],
    ['type empty', withPayload('', {}), 'SOCP_ERR_SCHEMA'],
    ['not JSON', '{"type":"HEARTBEAT",', 'SOCP_ERR_MALFORMED_JSON'],
    ['empty text', '', 'SOCP_ERR_MALFORMED_JSON'],
    ['JSON array', '[1,2]', 'SOCP_ERR_MALFORMED_JSON'],
    ['JSON string', '"HEARTBEAT"', 'SOCP_ERR_MALFORMED_JSON'],
    ['JSON null', 'null', 'SOCP_ERR_MALFORMED_JSON'],
    ['two objects (newline framing)', `${withPayload('HEARTBEAT', {})}\n${withPayload('HEARTBEAT', {})}`, 'SOCP_ERR_MALFORMED_JSON'],
    ['ts as string', withPayload('HEARTBEAT', {}, { ts: '1' }), 'SOCP_ERR_SCHEMA'],
    ['ts negative', withPayload('HEARTBEAT', {}, { ts: -1 }), 'SOCP_ERR_SCHEMA'],
    ['ts float', withPayload('HEARTBEAT', {}, { ts: 1.5 }), 'SOCP_ERR_SCHEMA'],
    ['ts beyond 2^53', withPayload('HEARTBEAT', {}, { ts: 2 ** 60 }), 'SOCP_ERR_SCHEMA'],
    ['from missing', text({ type: 'HEARTBEAT', to: S2, ts: 1, payload: {} }), 'SOCP_ERR_SCHEMA'],
    ['from too long', withPayload('HEARTBEAT', {}, { from: 'x'.repeat(129) }), 'SOCP_ERR_SCHEMA'],
    ['to not a string', withPayload('HEARTBEAT', {}, { to: 5 }), 'SOCP_ERR_SCHEMA'],
    ['payload missing', text({ type: 'HEARTBEAT', from: S1, to: S2, ts: 1 }), 'SOCP_ERR_SCHEMA'],
    ['payload an array', withPayload('HEARTBEAT', []), 'SOCP_ERR_SCHEMA'],
    ['payload null', withPayload('HEARTBEAT', null), 'SOCP_ERR_SCHEMA'],
    ['sig a number', withPayload('HEARTBEAT', {}, { sig: 1 }), 'SOCP_ERR_SCHEMA'],
    ['sig too long', withPayload('HEARTBEAT', {}, { sig: 'A'.repeat(1025) }), 'SOCP_ERR_SCHEMA'],
    ['nesting deeper than MAX_JSON_DEPTH', withPayload('ERROR', { code: 'X', x: JSON.parse('['.repeat(MAX_JSON_DEPTH + 2) + ']'.repeat(MAX_JSON_DEPTH + 2)) }), 'SOCP_ERR_SCHEMA'],
    ['very deep nesting (parser stack)', '{"type":"ERROR","payload":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}', 'SOCP_ERR_SCHEMA'],
    ['HELLO_JOIN port as string', withPayload('SERVER_HELLO_JOIN', { host: 'h', port: '9101', pubkey: PUB }), 'SOCP_ERR_SCHEMA'],
    ['HELLO_JOIN port 0', withPayload('SERVER_HELLO_JOIN', { host: 'h', port: 0, pubkey: PUB }), 'SOCP_ERR_SCHEMA'],
    ['HELLO_LINK port 70000', withPayload('SERVER_HELLO_LINK', { host: 'h', port: 70000, pubkey: PUB }), 'SOCP_ERR_SCHEMA'],
    ['ANNOUNCE host with a slash', withPayload('SERVER_ANNOUNCE', { host: 'h/../x', port: 1, pubkey: PUB }), 'SOCP_ERR_SCHEMA'],
    ['ANNOUNCE pubkey missing', withPayload('SERVER_ANNOUNCE', { host: 'h', port: 1 }), 'SOCP_ERR_SCHEMA'],
    ['ANNOUNCE pubkey with quotes', withPayload('SERVER_ANNOUNCE', { host: 'h', port: 1, pubkey: 'MII"' }), 'SOCP_ERR_SCHEMA'],
    ['WELCOME entry without an id', withPayload('SERVER_WELCOME', { assigned_id: S2, servers: [{ host: 'h', port: 1, pubkey: PUB }] }), 'SOCP_ERR_SCHEMA'],
    ['WELCOME assigned_id missing', withPayload('SERVER_WELCOME', { servers: [] }), 'SOCP_ERR_SCHEMA'],
    ['WELCOME servers not a list', withPayload('SERVER_WELCOME', { assigned_id: S2, servers: {} }), 'SOCP_ERR_SCHEMA'],
    ['ADVERTISE meta missing', withPayload('USER_ADVERTISE', { user_id: U1, server_id: S1 }), 'SOCP_ERR_SCHEMA'],
    ['ADVERTISE user_id with a space', withPayload('USER_ADVERTISE', { user_id: 'a b', server_id: S1, meta: {} }), 'SOCP_ERR_SCHEMA'],
    ['REMOVE server_id missing', withPayload('USER_REMOVE', { user_id: U1 }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER inner_type USER_HELLO', withPayload('SERVER_DELIVER', { inner_type: 'USER_HELLO', user_id: U2, pubkey: PUB }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER user_id missing', withPayload('SERVER_DELIVER', { ciphertext: BLOCK, sender: U1, sender_pub: PUB, content_sig: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER FILE_CHUNK without index', withPayload('SERVER_DELIVER', { inner_type: 'FILE_CHUNK', user_id: U2, file_id: FILE_ID, ciphertext: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER_BATCH item without user_id', withPayload('SERVER_DELIVER_BATCH', { deliveries: [{ ts: 1, payload: { ciphertext: BLOCK, sender: U1, sender_pub: PUB, content_sig: BLOCK } }] }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER_BATCH item without ts', withPayload('SERVER_DELIVER_BATCH', { deliveries: [{ payload: { user_id: U2, inner_type: 'FILE_END', file_id: FILE_ID } }] }), 'SOCP_ERR_SCHEMA'],
    ['DELIVER_BATCH of 65 items', withPayload('SERVER_DELIVER_BATCH', { deliveries: Array.from({ length: 65 }, (_, i) => ({ ts: i, payload: { user_id: U2, inner_type: 'FILE_END', file_id: FILE_ID } })) }), 'SOCP_ERR_SCHEMA'],
    ['HEARTBEAT now a string', withPayload('HEARTBEAT', { now: 'x' }), 'SOCP_ERR_SCHEMA'],
    ['USER_HELLO pubkey missing', withPayload('USER_HELLO', { client: 'cli' }), 'SOCP_ERR_SCHEMA'],
    ['USER_HELLO display_name too long', withPayload('USER_HELLO', { pubkey: PUB, meta: { display_name: 'x'.repeat(65) } }), 'SOCP_ERR_SCHEMA'],
    ['MSG_DIRECT ciphertext with + (std alphabet)', withPayload('MSG_DIRECT', { ciphertext: 'ab+c', sender_pub: PUB, content_sig: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['MSG_DIRECT ciphertext too long (hybrid blob)', withPayload('MSG_DIRECT', { ciphertext: 'A'.repeat(5000), sender_pub: PUB, content_sig: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['MSG_DIRECT content_sig missing', withPayload('MSG_DIRECT', { ciphertext: BLOCK, sender_pub: PUB }), 'SOCP_ERR_SCHEMA'],
    ['MSG_DIRECT public not boolean', withPayload('MSG_DIRECT', { ciphertext: BLOCK, sender_pub: PUB, content_sig: BLOCK, public: 'yes' }), 'SOCP_ERR_SCHEMA'],
    ['USER_DELIVER sender missing', withPayload('USER_DELIVER', { ciphertext: BLOCK, sender_pub: PUB, content_sig: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['USER_DELIVER orig_ts negative', withPayload('USER_DELIVER', { ciphertext: BLOCK, sender: U1, sender_pub: PUB, content_sig: BLOCK, orig_ts: -5 }), 'SOCP_ERR_SCHEMA'],
    ['PUBLIC_CHANNEL_ADD add not a list', withPayload('PUBLIC_CHANNEL_ADD', { add: U1, if_version: 1 }), 'SOCP_ERR_SCHEMA'],
    ['PUBLIC_CHANNEL_UPDATED version missing', withPayload('PUBLIC_CHANNEL_UPDATED', { wraps: [] }), 'SOCP_ERR_SCHEMA'],
    ['KEY_SHARE share without member', withPayload('PUBLIC_CHANNEL_KEY_SHARE', { shares: [{ wrapped_public_channel_key: BLOCK }], creator_pub: PUB, content_sig: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['FILE_START mode "group"', withPayload('FILE_START', { file_id: FILE_ID, name: 'a', size: 1, sha256: 'a'.repeat(64), mode: 'group' }), 'SOCP_ERR_SCHEMA'],
    ['FILE_START sha256 not hex', withPayload('FILE_START', { file_id: FILE_ID, name: 'a', size: 1, sha256: 'z'.repeat(64), mode: 'dm' }), 'SOCP_ERR_SCHEMA'],
    ['FILE_START size negative', withPayload('FILE_START', { file_id: FILE_ID, name: 'a', size: -1, sha256: 'a'.repeat(64), mode: 'dm' }), 'SOCP_ERR_SCHEMA'],
    ['FILE_CHUNK index -1', withPayload('FILE_CHUNK', { file_id: FILE_ID, index: -1, ciphertext: BLOCK }), 'SOCP_ERR_SCHEMA'],
    ['FILE_END file_id missing', withPayload('FILE_END', {}), 'SOCP_ERR_SCHEMA'],
    ['ACK msg_ref missing', withPayload('ACK', {}), 'SOCP_ERR_SCHEMA'],
    ['ERROR code missing', withPayload('ERROR', { detail: 'x' }), 'SOCP_ERR_SCHEMA'],
    ['ERROR code not a string', withPayload('ERROR', { code: 404 }), 'SOCP_ERR_SCHEMA'],
    ['LIST_RESPONSE online_users not a list', withPayload('LIST_RESPONSE', { online_users: 'x', users: [] }), 'SOCP_ERR_SCHEMA'],
    ['LOGIN_START name with a space', withPayload('LOGIN_START', { username: 'a b', start_login_request: 'AAAA' }), 'SOCP_ERR_SCHEMA'],
    ['LOGIN_FINISH OPAQUE message too long', withPayload('LOGIN_FINISH', { finish_login_request: 'A'.repeat(1025) }), 'SOCP_ERR_SCHEMA'],
    ['LOGIN_START OPAQUE message not base64url', withPayload('LOGIN_START', { username: 'alice', start_login_request: 'a+b/' }), 'SOCP_ERR_SCHEMA'],
    ['LIST_RESPONSE user without server_id', withPayload('LIST_RESPONSE', { online_users: [], users: [{ user_id: U1 }] }), 'SOCP_ERR_SCHEMA'],
  ].map(([n, t, c]) => [n, c, t] as [string, string, string]))('%s → %s', (_n, expected, t) => {
    expect(code(t)).toBe(expected);
  });
});

describe('payload helpers', () => {
  const decode = (o: Record<string, unknown>): FrameOf<'SERVER_DELIVER'> => {
    const r = decodeFrame(text(o));
    if (!r.ok) throw r.error;
    if (r.value.type !== 'SERVER_DELIVER') throw new Error('expected SERVER_DELIVER');
    return r.value;
  };
  test('welcomeServers reads servers, else clients, and server_id, else user_id', () => {
    expect(welcomeServers({ assigned_id: S2, clients: [{ user_id: S1, host: 'h', port: 1, pubkey: PUB }] })).toEqual([{ server_id: S1, host: 'h', port: 1, pubkey: PUB }]);
    expect(welcomeServers({ assigned_id: S2, servers: [{ server_id: S1, host: 'a', port: 1, pubkey: PUB }], clients: [{ server_id: S2, host: 'b', port: 2, pubkey: PUB }] }).map((e) => e.server_id)).toEqual([S1]);
    expect(welcomeServers({ assigned_id: null })).toEqual([]);
  });
  test('advertisedPubkey reads top-level first, then meta.pubkey; advertisedName falls back display_name → username → name', () => {
    expect(advertisedPubkey({ user_id: U1, server_id: S1, pubkey: 'TOP', meta: { pubkey: 'META' } })).toBe('TOP');
    expect(advertisedPubkey({ user_id: U1, server_id: S1, meta: { pubkey: 'META' } })).toBe('META');
    expect(advertisedPubkey({ user_id: U1, server_id: S1, meta: { pubkey: 5 } })).toBeUndefined();
    expect(advertisedName({ display_name: 'D', username: 'u' })).toBe('D');
    expect(advertisedName({ username: 'u', name: 'n' })).toBe('u');
    expect(advertisedName({ name: 'n' })).toBe('n');
    expect(advertisedName({ display_name: '' })).toBeUndefined();
    expect(advertisedName({ display_name: 'x'.repeat(65) })).toBeUndefined();
  });
  test('originalTs prefers payload orig_ts, then payload ts, then the envelope ts', () => {
    expect(originalTs({ orig_ts: 1, ts: 2 }, 3)).toBe(1);
    expect(originalTs({ ts: 2 }, 3)).toBe(2);
    expect(originalTs({}, 3)).toBe(3);
  });
  test('innerTypeOf defaults to MSG_DIRECT (spec form has no inner_type)', () => {
    const spec = decode({ type: 'SERVER_DELIVER', from: S1, to: S2, ts: 1, sig: '', payload: { user_id: U2, ciphertext: BLOCK, sender: U1, sender_pub: PUB, content_sig: BLOCK } });
    expect(innerTypeOf(spec.payload)).toBe('MSG_DIRECT');
    const file = decode({ type: 'SERVER_DELIVER', from: S1, to: S2, ts: 1, sig: '', payload: { inner_type: 'FILE_END', user_id: U2, file_id: FILE_ID } });
    expect(innerTypeOf(file.payload)).toBe('FILE_END');
  });
});

test('a 1,067-char PEM-b64url key where a wrapped channel key goes is accepted (a peer does this); 2,049 chars is not', () => {
  const pem = Buffer.from(`${'-----BEGIN PUBLIC KEY-----\n'}${'A'.repeat(770)}\n-----END PUBLIC KEY-----\n`).toString('base64url').slice(0, 1067);
  const frame = (w: string) => JSON.stringify({ type: 'PUBLIC_CHANNEL_UPDATED', from: 'a1b2c3d4-0000-4000-8000-000000000001', to: '*', ts: 1, payload: { version: 1, wraps: [{ member_id: 'm', wrapped_key: w }] }, sig: '' });
  expect(decodeFrame(frame(pem)).ok).toBe(true);
  expect(decodeFrame(frame('A'.repeat(2049))).ok).toBe(false);
});

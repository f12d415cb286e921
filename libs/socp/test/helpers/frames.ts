/**
 * Realistic field values and a table of valid frames of every type: the SPEC.md examples
 * (placeholders filled with real-shaped values) and G43's on-the-wire forms (G43-WIRE.md).
 */
import { FRAME_TYPES, type FrameType } from '@socp/protocol';

export const U1 = '2e4f6a8c-1b3d-4e5f-9a7b-6c8d0e2f4a6b';
export const U2 = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
export const S1 = '6b0f3c1e-8d52-4a7e-9f3a-2c4d5e6f7a81';
export const S2 = 'a1b2c3d4-0000-4000-8000-000000000001';
export const FILE_ID = '5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f';
/** 683 chars: the base64url length of one RSA-4096 block. */
export const BLOCK = 'A'.repeat(682) + 'Q';
/** A real-shaped b64url DER SPKI (734 chars); strength is checked by importPublicKey, not the schema. */
export const PUB = 'MIICIjANBgkq' + 'A'.repeat(722);
const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

export interface Example { name: string; frame: Record<string, unknown> }
const f = (type: FrameType, payload: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ type, from: S1, to: S2, ts: 1760000000000, payload, sig: BLOCK, ...extra });
const addr = { host: '10.0.0.21', port: 9101, pubkey: PUB };
const entry = { server_id: S2, host: '10.0.0.22', port: 9102, pubkey: PUB };
const dmPayload = { ciphertext: BLOCK, sender_pub: PUB, content_sig: BLOCK };
const deliver = { ciphertext: BLOCK, sender: U1, sender_pub: PUB, content_sig: BLOCK };
const chunk = { file_id: FILE_ID, index: 0, ciphertext: BLOCK };

export const VALID: Example[] = [
  { name: 'SERVER_HELLO_JOIN to host:port (spec)', frame: f('SERVER_HELLO_JOIN', addr, { to: '10.0.0.11:9100' }) },
  { name: 'SERVER_HELLO_JOIN unsigned (sig omitted)', frame: (({ sig: _s, ...r }) => r)(f('SERVER_HELLO_JOIN', addr)) },
  { name: 'SERVER_WELCOME ours (servers + clients)', frame: f('SERVER_WELCOME', { assigned_id: S2, servers: [entry], clients: [entry] }) },
  { name: 'SERVER_WELCOME spec (clients keyed user_id)', frame: f('SERVER_WELCOME', { assigned_id: S2, clients: [{ user_id: S2, host: 'h', port: 1, pubkey: PUB }] }) },
  { name: 'SERVER_WELCOME G43 (introducer-0000-0000, unsigned)', frame: f('SERVER_WELCOME', { assigned_id: S2, clients: [entry] }, { from: 'introducer-0000-0000', sig: '' }) },
  { name: 'SERVER_WELCOME assigned_id null', frame: f('SERVER_WELCOME', { assigned_id: null, servers: [] }) },
  { name: 'SERVER_HELLO_LINK', frame: f('SERVER_HELLO_LINK', addr) },
  { name: 'SERVER_ANNOUNCE to *', frame: f('SERVER_ANNOUNCE', addr, { to: '*' }) },
  { name: 'USER_ADVERTISE ours', frame: f('USER_ADVERTISE', { user_id: U2, server_id: S1, pubkey: PUB, meta: { display_name: 'Alice', username: 'alice', pubkey: PUB } }, { to: '*' }) },
  { name: 'USER_ADVERTISE G43 backfill', frame: f('USER_ADVERTISE', { user_id: U2, server_id: S1, meta: { username: 'alice', pubkey: PUB }, origin: 'backfill' }, { to: U1 }) },
  { name: 'USER_REMOVE', frame: f('USER_REMOVE', { user_id: U2, server_id: S1 }, { to: '*' }) },
  { name: 'SERVER_DELIVER spec', frame: f('SERVER_DELIVER', { user_id: U2, ...deliver }) },
  { name: 'SERVER_DELIVER ours (orig_ts)', frame: f('SERVER_DELIVER', { user_id: U2, ...deliver, orig_ts: 1760000300000 }) },
  { name: 'SERVER_DELIVER G43 MSG_DIRECT with public flag', frame: f('SERVER_DELIVER', { inner_type: 'MSG_DIRECT', user_id: U2, public: true, ...deliver }) },
  { name: 'SERVER_DELIVER inner MSG_PUBLIC_CHANNEL', frame: f('SERVER_DELIVER', { inner_type: 'MSG_PUBLIC_CHANNEL', user_id: U2, group_id: 'public', ...deliver }) },
  { name: 'SERVER_DELIVER inner FILE_START', frame: f('SERVER_DELIVER', { inner_type: 'FILE_START', user_id: U2, file_id: FILE_ID, name: 'a.txt', size: 3, sha256: SHA, mode: 'dm' }) },
  { name: 'SERVER_DELIVER inner FILE_CHUNK (G43)', frame: f('SERVER_DELIVER', { inner_type: 'FILE_CHUNK', user_id: U2, ...chunk, sender: U1, sender_pub: PUB, content_sig: BLOCK }) },
  { name: 'SERVER_DELIVER inner FILE_END', frame: f('SERVER_DELIVER', { inner_type: 'FILE_END', user_id: U2, file_id: FILE_ID }) },
  { name: 'SERVER_DELIVER_BATCH (ours) of a DM and a file end', frame: f('SERVER_DELIVER_BATCH', { deliveries: [{ ts: 1760000300000, payload: { user_id: U2, ...deliver, orig_ts: 1760000300000 } }, { ts: 1760000300001, payload: { inner_type: 'FILE_END', user_id: U2, file_id: FILE_ID } }] }) },
  { name: 'HEARTBEAT {}', frame: f('HEARTBEAT', {}) },
  { name: 'HEARTBEAT {now: int}', frame: f('HEARTBEAT', { now: 1760000002 }) },
  { name: 'HEARTBEAT {now: float}', frame: f('HEARTBEAT', { now: 1760000002.25 }) },
  { name: 'USER_HELLO spec (sig "")', frame: f('USER_HELLO', { client: 'cli-v1', pubkey: PUB, enc_pubkey: PUB }, { from: U1, to: S1, sig: '' }) },
  { name: 'USER_HELLO with meta (our extension)', frame: f('USER_HELLO', { client: 'cli-v1', pubkey: PUB, enc_pubkey: PUB, meta: { display_name: 'Zoë', username: 'zoe' } }, { from: U1 }) },
  { name: 'USER_HELLO minimal (pubkey only)', frame: f('USER_HELLO', { pubkey: PUB }, { from: U1 }) },
  { name: 'MSG_DIRECT spec', frame: f('MSG_DIRECT', dmPayload, { from: U1, to: U2, sig: '' }) },
  { name: 'MSG_DIRECT G43 (public, sender)', frame: f('MSG_DIRECT', { public: false, sender: U1, ...dmPayload }, { from: U1, to: U2, sig: '' }) },
  { name: 'MSG_DIRECT with trailing newline', frame: f('MSG_DIRECT', dmPayload, { from: U1, to: U2 }) },
  { name: 'USER_DELIVER spec', frame: f('USER_DELIVER', deliver, { to: U2 }) },
  { name: 'USER_DELIVER ours (orig_ts)', frame: f('USER_DELIVER', { ...deliver, orig_ts: 1760000400000 }, { to: U2 }) },
  { name: 'USER_DELIVER G43 (inner_type, user_id, public)', frame: f('USER_DELIVER', { ...deliver, inner_type: 'MSG_DIRECT', user_id: U2, public: true }, { to: U2 }) },
  { name: 'MSG_PUBLIC_CHANNEL to "public" (spec)', frame: f('MSG_PUBLIC_CHANNEL', dmPayload, { from: U1, to: 'public', sig: '' }) },
  { name: 'MSG_PUBLIC_CHANNEL per recipient (ours)', frame: f('MSG_PUBLIC_CHANNEL', { ...dmPayload, group_id: 'public' }, { from: U1, to: U2 }) },
  { name: 'PUBLIC_CHANNEL_ADD', frame: f('PUBLIC_CHANNEL_ADD', { add: [U2], if_version: 1 }, { to: '*' }) },
  { name: 'PUBLIC_CHANNEL_UPDATED', frame: f('PUBLIC_CHANNEL_UPDATED', { version: 2, wraps: [{ member_id: U2, wrapped_key: BLOCK }] }, { to: '*' }) },
  { name: 'PUBLIC_CHANNEL_UPDATED G43 fake key', frame: f('PUBLIC_CHANNEL_UPDATED', { version: 2, wraps: [{ member_id: U2, wrapped_key: 'fake_key_for_demo' }] }, { to: '*' }) },
  { name: 'PUBLIC_CHANNEL_KEY_SHARE', frame: f('PUBLIC_CHANNEL_KEY_SHARE', { shares: [{ member: U2, wrapped_public_channel_key: BLOCK }], creator_pub: PUB, content_sig: BLOCK }, { to: '*', sig: '' }) },
  { name: 'FILE_START', frame: f('FILE_START', { file_id: FILE_ID, name: 'report.pdf', size: 1234567, sha256: SHA, mode: 'dm' }, { from: U1, to: U2, sig: '' }) },
  { name: 'FILE_CHUNK spec (no content_sig)', frame: f('FILE_CHUNK', chunk, { from: U1, to: U2, sig: '' }) },
  { name: 'FILE_CHUNK G43 / ours', frame: f('FILE_CHUNK', { ...chunk, sender: U1, sender_pub: PUB, content_sig: BLOCK }, { from: U1, to: U2 }) },
  { name: 'FILE_END', frame: f('FILE_END', { file_id: FILE_ID }, { from: U1, to: U2, sig: '' }) },
  { name: 'ACK spec', frame: f('ACK', { msg_ref: `1760000300000|${U1}|${S1}|${SHA}` }) },
  { name: 'ACK to USER_HELLO (our extension)', frame: f('ACK', { msg_ref: 'USER_HELLO', server_id: S1, server_pub: PUB }, { to: U1 }) },
  { name: 'ERROR spec', frame: f('ERROR', { code: 'USER_NOT_FOUND', detail: 'recipient 9d8c... not registered' }, { to: U1 }) },
  { name: 'ERROR G43 (from "server", to "*", custom code)', frame: f('ERROR', { code: 'BAD_PASSWORD' }, { from: 'server', to: '*', sig: '' }) },
  { name: 'CTRL_CLOSE bare {"type":"CTRL_CLOSE"}', frame: { type: 'CTRL_CLOSE' } },
  { name: 'CTRL_CLOSE full envelope', frame: f('CTRL_CLOSE', {}) },
  { name: 'LIST_REQUEST', frame: f('LIST_REQUEST', {}, { from: U1, to: S1 }) },
  { name: 'LIST_RESPONSE', frame: f('LIST_RESPONSE', { online_users: [U1, U2], users: [{ user_id: U1, server_id: S1, display_name: 'Alice' }, { user_id: U2, server_id: S2 }] }, { to: U1 }) },
  // Account extension (docs/accounts.md); OPAQUE messages are base64url.
  { name: 'ACCOUNT_REGISTER_START', frame: f('ACCOUNT_REGISTER_START', { username: 'alice', pubkey: PUB, registration_request: 'AAAA' }, { from: U1 }) },
  { name: 'ACCOUNT_REGISTER_RESPONSE', frame: f('ACCOUNT_REGISTER_RESPONSE', { registration_response: 'AAAA' }, { to: U1 }) },
  { name: 'ACCOUNT_REGISTER_FINISH', frame: f('ACCOUNT_REGISTER_FINISH', { registration_record: 'AAAA', privkey_store: 'v1.a.b.c' }, { from: U1 }) },
  { name: 'LOGIN_START', frame: f('LOGIN_START', { username: 'alice', start_login_request: 'AAAA' }, { from: U1, sig: '' }) },
  { name: 'LOGIN_CHALLENGE', frame: f('LOGIN_CHALLENGE', { login_response: 'AAAA' }, { to: U1 }) },
  { name: 'LOGIN_FINISH', frame: f('LOGIN_FINISH', { finish_login_request: 'AAAA' }, { from: U1, sig: '' }) },
  { name: 'LOGIN_RESULT', frame: f('LOGIN_RESULT', { user_id: U1, username: 'alice', pubkey: PUB, privkey_store: 'v1.a.b.c', nonce: 'bm9uY2U', server_id: S1, server_pub: PUB }, { to: U1 }) },
];

/** Every frame type of the union has at least one valid example. */
export const UNCOVERED_TYPES = FRAME_TYPES.filter((t) => !VALID.some((e) => e.frame['type'] === t));

/**
 * What a peer's PUBLIC_CHANNEL_ADD / _UPDATED may make a server keep (routing/public-channel.ts):
 * wraps only for users bound here, members only for users known here, within MAX_CHANNEL_MEMBERS.
 * Before, every wrap of an UPDATED was persisted whatever its member_id: a hostile server could
 * grow group_members without bound.
 */
import { MAX_CHANNEL_MEMBERS, handleServerFrame, type Effect, type UnsignedFrame } from '@socp/protocol';
import { ALICE, BOB, NOW, S2, ctx, keys, meshState, rejects, signedBy, withAlice, withRemoteBob } from './routing-fixture';

const STRANGER = 'deadbeef-0000-4000-8000-000000000bad';
const BLOCK = Buffer.alloc(512, 9).toString('base64url');
const wrap = (member_id: string): { member_id: string; wrapped_key: string } => ({ member_id, wrapped_key: BLOCK });
const updated = (version: number, members: string[]): UnsignedFrame => ({ type: 'PUBLIC_CHANNEL_UPDATED', from: S2, to: '*', ts: NOW + version, payload: { version, wraps: members.map(wrap) } });
const persistedMembers = (effects: Effect[]): string[] =>
  effects.flatMap((e) => (e.kind === 'persist' && e.op.op === 'channelMember' ? [e.op.memberId] : []));

test('UPDATED from a peer: wraps of users bound here are kept, wraps naming anyone else are dropped and counted', () => {
  const s = withRemoteBob(withAlice(meshState()));
  const r = handleServerFrame(s, signedBy(updated(7, [ALICE, BOB, STRANGER]), keys().bob), S2, 'c2', ctx());
  expect(persistedMembers(r.effects)).toEqual([ALICE, BOB]);
  expect(rejects(r.effects)).toEqual(['SOCP_ERR_NOT_ALLOWED']);
  expect(s.channel.members.has(STRANGER)).toBe(false);
  expect(s.channel.version).toBe(7);
});

test('a peer listing thousands of made-up members stores none of them', () => {
  const s = withAlice(meshState());
  const fake = Array.from({ length: 5_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const before = s.channel.members.size;
  const add = handleServerFrame(s, signedBy({ type: 'PUBLIC_CHANNEL_ADD', from: S2, to: '*', ts: NOW, payload: { add: fake, if_version: 3 } }, keys().bob), S2, 'c2', ctx());
  const upd = handleServerFrame(s, signedBy(updated(9, fake), keys().bob), S2, 'c2', ctx());
  expect(persistedMembers([...add.effects, ...upd.effects])).toEqual([]);
  expect(s.channel.members.size).toBe(before);
});

test('members are capped at MAX_CHANNEL_MEMBERS even for known users', () => {
  const s = withRemoteBob(meshState());
  for (let i = 0; s.channel.members.size < MAX_CHANNEL_MEMBERS; i++) s.channel.members.add(`filler-${i}`);
  const r = handleServerFrame(s, signedBy(updated(4, [BOB]), keys().bob), S2, 'c2', ctx());
  expect(persistedMembers(r.effects)).toEqual([]);
  expect(s.channel.members.has(BOB)).toBe(false);
});

test('a wrap for a user online but unproven is a member, not stored, and not a refusal', () => {
  const s = withAlice(meshState());
  const CAROL = 'c0c0c0c0-0000-4000-8000-000000000001';
  s.directory.set(CAROL, { userId: CAROL, serverId: S2, pubkey: keys().bob.publicKey.toBase64Url(), meta: {}, ts: NOW, proven: false });
  const r = handleServerFrame(s, signedBy(updated(5, [CAROL]), keys().bob), S2, 'c2', ctx());
  expect(persistedMembers(r.effects)).toEqual([]);
  expect(rejects(r.effects)).toEqual([]);
  expect(s.channel.members.has(CAROL)).toBe(true);
});

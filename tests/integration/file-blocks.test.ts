/**
 * Multi-block file chunks across two real servers (docs/protocol.md "Multi-block file chunks"):
 * users driven by the user core declare `file-blocks` in their hello, both servers keep it and
 * relay it in USER_ADVERTISE meta.caps, and a file between two such users goes in chunks of 16
 * OAEP blocks (one content_sig and one signature per server per chunk), paced by the receiver's
 * acks, and arrives byte-identical. A spec-only user (no caps) still gets one block per chunk.
 */
import { randomBytes } from 'node:crypto';
import { MAX_FILE_CHUNK_BLOCKS, MAX_MULTI_BLOCK_CHUNK_BYTES, OAEP_MAX_PLAINTEXT_BYTES, RSA_BLOCK_BYTES, type FrameOf } from '@socp/protocol';
import { CoreUser } from '../harness/core-user';
import { useMesh } from './mesh-helpers';

jest.setTimeout(180_000);

const fx = useMesh({ servers: 2, introducers: 1 }, 3);
const CAPS = ['file-blocks'];
let alice: CoreUser;
let bob: CoreUser;

beforeAll(async () => {
  alice = await CoreUser.connect(fx.mesh.servers[0]!.wsUrl, { key: fx.keys[0]!, name: 'alice', caps: CAPS });
  bob = await CoreUser.connect(fx.mesh.servers[1]!.wsUrl, { key: fx.keys[1]!, name: 'bob', caps: CAPS });
  fx.users.push(alice.raw, bob.raw);
  await Promise.all([alice.waitForUser(bob.id), bob.waitForUser(alice.id)]);
});

const chunksTo = (u: { raw: { sock: { frames(): Array<{ type: string }> } } }, fileId: string): Array<FrameOf<'FILE_CHUNK'>> =>
  (u.raw.sock.frames() as Array<FrameOf<'FILE_CHUNK'>>).filter((f) => f.type === 'FILE_CHUNK' && f.payload.file_id === fileId);
const blocksOf = (f: FrameOf<'FILE_CHUNK'>): number => Buffer.from(f.payload.ciphertext, 'base64url').length / RSA_BLOCK_BYTES;

test('both servers relay the capability: each user is advertised to the other with meta.caps', () => {
  const adverts = (u: CoreUser, of: string) => u.raw.sock.frames().filter((f): f is FrameOf<'USER_ADVERTISE'> => f.type === 'USER_ADVERTISE' && f.payload.user_id === of);
  expect(adverts(alice, bob.id).at(-1)!.payload.meta['caps']).toEqual(CAPS); // bob's hello at B → gossip → A → alice
  expect(adverts(bob, alice.id).at(-1)!.payload.meta['caps']).toEqual(CAPS);
  expect(alice.state.dialects.for(bob.id).fileBlocks).toBe(MAX_FILE_CHUNK_BLOCKS);
});

test('a file between two capable users crosses A and B in 16-block chunks, paced by acks, and arrives byte-identical', async () => {
  const bytes = randomBytes(100 * MAX_MULTI_BLOCK_CHUNK_BYTES + 1_000); // 101 chunks: more than 3 windows
  const fileId = await alice.sendFile(bob.id, 'photo.bin', bytes);
  const got = await bob.waitFile(fileId, 120_000);
  expect(got.equals(bytes)).toBe(true);
  const chunks = chunksTo(bob, fileId);
  expect(chunks).toHaveLength(101);
  expect(chunks.slice(0, -1).every((c) => blocksOf(c) === MAX_FILE_CHUNK_BLOCKS)).toBe(true);
  expect(blocksOf(chunks.at(-1)!)).toBe(Math.ceil(1_000 / OAEP_MAX_PLAINTEXT_BYTES));
  expect(chunks.every((c) => c.from === alice.id && c.payload.content_sig !== undefined)).toBe(true);
  // bob acknowledged every 8 chunks in order; alice's core turned them into file-ack events (not shown as messages)
  await alice.waitEvent((e) => e.event === 'file-ack' && e.fileId === fileId && e.next === 96, 30_000, 'the last ack');
  const acks = alice.events.filter((e) => e.event === 'file-ack' && e.fileId === fileId);
  expect(acks.map((e) => (e as { next: number }).next)).toEqual([8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96]);
  expect(alice.events.some((e) => e.event === 'message')).toBe(false);
});

test('a spec-only user (no caps) on the other server gets one OAEP block per chunk', async () => {
  const carol = await fx.connect(1, fx.keys[2]!, 'carol');
  await alice.waitForUser(carol.id);
  await carol.waitForUser(alice.id);
  expect(alice.state.dialects.for(carol.id).fileBlocks).toBeUndefined();
  const bytes = randomBytes(3 * OAEP_MAX_PLAINTEXT_BYTES + 10);
  const fileId = await alice.sendFile(carol.id, 'spec.bin', bytes);
  const got = await carol.waitFile(fileId, alice.id, 30_000); // RawUser: decrypts each chunk as one block
  expect(got.bytes.equals(bytes)).toBe(true);
  const chunks = (carol.sock.frames() as Array<FrameOf<'FILE_CHUNK'>>).filter((f) => f.type === 'FILE_CHUNK' && f.payload.file_id === fileId);
  expect(chunks.map(blocksOf)).toEqual([1, 1, 1, 1]);
});

/**
 * Files from spec-form senders (issue 14.2): FILE_CHUNK `{file_id, index, ciphertext}` without
 * sender_pub / content_sig, in any chunk size up to one OAEP block (a peer sends 190 bytes).
 * Reassembled, size and SHA-256 of the manifest still enforced, and the file marked "sender not
 * verified"; a chunk that does carry a content_sig must still verify. Real RSA-4096.
 */
import { createHash, randomUUID } from 'node:crypto';
import { b64urlEncode, fileChunkDraft, sealDraftAsync, type Frame, type RsaPrivateKey, type UserEvent, type Verified } from '@socp/protocol';
import { eventsOf, fileFrame, peersAndServer, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
const PEER_CHUNK_BYTES = 190;
let alice: Peer, bob: Peer;
let serverKey: RsaPrivateKey;
beforeAll(async () => void ([alice, bob, serverKey] = await peersAndServer()), 120_000);

/** A FILE_* frame from bob as our server hands it over. */
const delivered = (type: 'FILE_START' | 'FILE_CHUNK' | 'FILE_END', payload: Record<string, unknown>, ts = Date.now()): Verified<Frame> => fileFrame(serverKey, bob, alice, type, payload, ts);

async function receive(data: Buffer, opts: { sha?: string; size?: number; chunk?: (i: number, plain: Buffer, fileId: string) => Promise<Verified<Frame>> } = {}): Promise<UserEvent[]> {
  const inbound = userState(alice, [bob]);
  const fileId = randomUUID();
  const sha = opts.sha ?? createHash('sha256').update(data).digest('hex');
  const ev = eventsOf(inbound, delivered('FILE_START', { file_id: fileId, name: 'spec.bin', size: opts.size ?? data.length, sha256: sha, mode: 'dm' }), 1);
  for (let i = 0; i * PEER_CHUNK_BYTES < data.length; i++) {
    const plain = data.subarray(i * PEER_CHUNK_BYTES, (i + 1) * PEER_CHUNK_BYTES);
    const f = opts.chunk ? await opts.chunk(i, plain, fileId) : delivered('FILE_CHUNK', { file_id: fileId, index: i, ciphertext: b64urlEncode(alice.key.publicKey.encrypt(plain)) });
    ev.push(...eventsOf(inbound, f, 2));
  }
  ev.push(...eventsOf(inbound, delivered('FILE_END', { file_id: fileId }), 3));
  return ev;
}

const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 13) % 256));
const bytes = (ev: UserEvent[]) => Buffer.concat(ev.flatMap((e) => (e.event === 'file-data' ? e.append : [])));

test('spec-form 190-byte chunks are reassembled; the file is received and marked "sender not verified"', async () => {
  const ev = await receive(data);
  expect(bytes(ev).equals(data)).toBe(true);
  const got = ev.at(-1)!;
  expect(got).toMatchObject({ event: 'file-received', transfer: { unsignedChunks: 6 } }); // the CLI shows sender_verified: false (format.test.ts)
});

test('our own signed chunks: sender_verified stays true', async () => {
  const ev = await receive(data, { chunk: async (i, plain, fileId) => {
    const f = await sealDraftAsync(fileChunkDraft(bob, { userId: alice.userId, key: alice.key.publicKey }, fileId, i, plain, 2), bob.key);
    return delivered('FILE_CHUNK', { ...f.payload }, f.ts);
  } });
  expect(ev.at(-1)).toMatchObject({ event: 'file-received', transfer: { unsignedChunks: 0 } }); // sender_verified: true
});

test('the manifest still holds an unsigned file: a wrong SHA-256 or size fails it', async () => {
  expect((await receive(data, { sha: 'ab'.repeat(32) })).at(-1)).toMatchObject({ event: 'file-failed', reason: 'sha256-mismatch' });
  expect((await receive(data, { size: data.length - 1 })).find((e) => e.event === 'file-failed')).toMatchObject({ reason: 'size-exceeded' });
  expect((await receive(data, { size: data.length + 1 })).at(-1)).toMatchObject({ event: 'file-failed', reason: 'size-mismatch' });
});

test('a chunk that carries a content_sig must still verify: a forged one fails the transfer', async () => {
  const ev = await receive(data, { chunk: async (i, plain, fileId) => {
    const f = await sealDraftAsync(fileChunkDraft(bob, { userId: alice.userId, key: alice.key.publicKey }, fileId, i, plain, 2), bob.key);
    const p = { ...f.payload };
    return delivered('FILE_CHUNK', i === 2 ? { ...p, ciphertext: b64urlEncode(alice.key.publicKey.encrypt(Buffer.from('evil'))) } : p, f.ts);
  } });
  expect(ev.find((e) => e.event === 'file-failed')).toMatchObject({ reason: 'invalid-chunk', detail: expect.stringContaining('signature') });
  expect(ev.some((e) => e.event === 'file-received')).toBe(false);
});

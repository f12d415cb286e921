/**
 * Multi-block FILE_CHUNKs in the user core (docs/protocol.md "Multi-block file chunks"): who gets
 * them (recipients whose advertisement lists `file-blocks`; everyone else one block per chunk),
 * their form (k ≤ 16 concatenated 512-byte OAEP blocks under one content_sig), what a receiver
 * refuses (too many blocks, a length that is not whole blocks, a block that does not decrypt:
 * each fails the transfer, coded), the acks that pace the sender, and the two-step receive a shell
 * uses to decrypt on the threadpool. Real RSA-4096.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  CAP_FILE_BLOCKS, FILE_ACK_EVERY_CHUNKS, MAX_FILE_CHUNK_BLOCKS, MAX_MULTI_BLOCK_CHUNK_BYTES, OAEP_MAX_PLAINTEXT_BYTES, RSA_BLOCK_BYTES,
  MAX_FRAME_BYTES, SendWindow, b64urlEncode, beginIncoming, decodeFrame, encodeFrame, fileAckText, fileChunkBytes, fileChunkDraft, finishChunk, handleIncoming, parseFileAck,
  recipientOf, sealDraft, sealFrame, signContent,
  type Draft, type Frame, type Recipient, type RsaPrivateKey, type UserEvent, type UserState, type Verified,
} from '@socp/protocol';
import { advertise, fileFrame, peersAndServer, userState, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
let alice: Peer, bob: Peer;
let serverKey: RsaPrivateKey;
beforeAll(async () => void ([alice, bob, serverKey] = await peersAndServer()), 120_000);

/** bob's state with alice advertised (caps or not); alice's recipient as bob's core sees her. */
function bobSees(caps?: string[]): { state: UserState; to: Recipient } {
  const state = userState(bob);
  const p = advertise(alice, S1);
  const r = handleIncoming(state, sealFrame({ type: 'USER_ADVERTISE', from: S1, to: '*', ts: 1, payload: caps ? { ...p, meta: { ...p.meta, caps } } : p }, serverKey) as Verified<Frame>, { now: 1 });
  expect(r.events.map((e) => e.event)).toEqual(['presence']);
  return { state, to: recipientOf(state, state.roster.get(alice.userId)!) };
}

/** A FILE_* frame from bob as alice's server hands it over. */
const delivered = (type: 'FILE_START' | 'FILE_CHUNK' | 'FILE_END', payload: Record<string, unknown>, ts = Date.now()): Verified<Frame> => fileFrame(serverKey, bob, alice, type, payload, ts);
const asDelivered = (d: Draft<'FILE_CHUNK'>): Verified<Frame> => {
  const f = sealDraft(d, bob.key);
  return delivered('FILE_CHUNK', { ...f.payload }, f.ts);
};
const manifest = (fileId: string, data: Buffer): Verified<Frame> =>
  delivered('FILE_START', { file_id: fileId, name: 'f.bin', size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mode: 'dm' });
const blocksIn = (f: Frame): number => Buffer.from((f.payload as { ciphertext: string }).ciphertext, 'base64url').length / RSA_BLOCK_BYTES;
const bytesOf = (ev: UserEvent[]): Buffer => Buffer.concat(ev.flatMap((e) => (e.event === 'file-data' ? e.append : [])));
const data = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256));

/** alice's core receiving `chunks` (bob's drafts or raw frames) of `file`; all its events and effects. */
function receive(file: Buffer, chunks: (fileId: string) => Verified<Frame>[]): { ev: UserEvent[]; sent: Draft[]; state: UserState } {
  const state = userState(alice, [bob]);
  const fileId = randomUUID();
  const ev = handleIncoming(state, manifest(fileId, file), { now: 1 }).events;
  const sent: Draft[] = [];
  for (const f of chunks(fileId)) {
    const s = handleIncoming(state, f, { now: 2 });
    ev.push(...s.events);
    for (const e of s.effects) if (e.kind === 'send') sent.push(...e.drafts);
  }
  ev.push(...handleIncoming(state, delivered('FILE_END', { file_id: fileId }), { now: 3 }).events);
  return { ev, sent, state };
}
const chunked = (file: Buffer, to: Recipient) => (fileId: string): Verified<Frame>[] => {
  const n = fileChunkBytes(to);
  return Array.from({ length: Math.ceil(file.length / n) }, (_, i) => asDelivered(fileChunkDraft(bob, to, fileId, i, file.subarray(i * n, (i + 1) * n), Date.now())));
};

describe('the frame', () => {
  const chunkFrame = (type: 'FILE_CHUNK' | 'SERVER_DELIVER', n: number, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ type, from: bob.userId, to: alice.userId, ts: 1, sig: '', payload: { file_id: randomUUID(), index: 0, ciphertext: Buffer.alloc(n * RSA_BLOCK_BYTES, 7).toString('base64url'), ...extra } });
  test('a FILE_CHUNK of MAX_FILE_CHUNK_BLOCKS blocks passes the schema, from a user and inside SERVER_DELIVER; one more does not', () => {
    const inner = { inner_type: 'FILE_CHUNK', user_id: alice.userId };
    expect(decodeFrame(chunkFrame('FILE_CHUNK', MAX_FILE_CHUNK_BLOCKS)).ok).toBe(true);
    expect(decodeFrame(chunkFrame('SERVER_DELIVER', MAX_FILE_CHUNK_BLOCKS, inner)).ok).toBe(true);
    for (const f of [chunkFrame('FILE_CHUNK', MAX_FILE_CHUNK_BLOCKS + 1), chunkFrame('SERVER_DELIVER', MAX_FILE_CHUNK_BLOCKS + 1, inner)]) {
      const r = decodeFrame(f);
      expect(r.ok ? 'accepted' : r.error.code).toBe('SOCP_ERR_SCHEMA');
    }
  });

  test('a 16-block chunk is ~14 KB on the wire, far under MAX_FRAME_BYTES', () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    const text = encodeFrame(sealDraft(fileChunkDraft(bob, to, randomUUID(), 0, data(MAX_MULTI_BLOCK_CHUNK_BYTES), 1), bob.key));
    expect(text.length).toBeLessThan(14_000);
    expect(text.length).toBeLessThan(MAX_FRAME_BYTES / 64);
  });
});

describe('who gets multi-block chunks', () => {
  test('a user advertised with file-blocks: chunks of up to 16 × 446 bytes', () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    expect(to.dialect?.fileBlocks).toBe(MAX_FILE_CHUNK_BLOCKS);
    expect(fileChunkBytes(to)).toBe(MAX_MULTI_BLOCK_CHUNK_BYTES);
    expect(blocksIn(sealDraft(fileChunkDraft(bob, to, randomUUID(), 0, data(MAX_MULTI_BLOCK_CHUNK_BYTES), 1), bob.key))).toBe(16);
  });

  test('a spec-only user (no caps, or others): one OAEP block per chunk, and a builder that would need more refuses', () => {
    for (const caps of [undefined, [], ['something-else']]) {
      const { to } = bobSees(caps);
      expect(to.dialect?.fileBlocks).toBeUndefined();
      expect(fileChunkBytes(to)).toBe(OAEP_MAX_PLAINTEXT_BYTES);
      expect(blocksIn(sealDraft(fileChunkDraft(bob, to, randomUUID(), 0, data(OAEP_MAX_PLAINTEXT_BYTES), 1), bob.key))).toBe(1);
      expect(() => fileChunkDraft(bob, to, randomUUID(), 0, data(OAEP_MAX_PLAINTEXT_BYTES + 1), 1)).toThrow(RangeError);
    }
  });

  test('the latest advertisement decides: a user back without the cap gets single blocks again', () => {
    const { state } = bobSees([CAP_FILE_BLOCKS]);
    handleIncoming(state, sealFrame({ type: 'USER_ADVERTISE', from: S1, to: '*', ts: 2, payload: advertise(alice, S1) }, serverKey) as Verified<Frame>, { now: 2 });
    expect(state.dialects.for(alice.userId).fileBlocks).toBeUndefined();
  });

  test('a caller asking for more than MAX_FILE_CHUNK_BLOCKS still gets at most that', () => {
    const to: Recipient = { userId: alice.userId, key: alice.key.publicKey, dialect: { variant: 'C', pemSenderPub: false, fileBlocks: 64 } };
    expect(fileChunkBytes(to)).toBe(MAX_MULTI_BLOCK_CHUNK_BYTES);
    expect(() => fileChunkDraft(bob, to, randomUUID(), 0, data(MAX_MULTI_BLOCK_CHUNK_BYTES + 1), 1)).toThrow(RangeError);
  });
});

describe('receiving multi-block chunks', () => {
  test('k blocks round trip: every block decrypted, the file whole and verified', () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    const file = data(2 * MAX_MULTI_BLOCK_CHUNK_BYTES + 3 * OAEP_MAX_PLAINTEXT_BYTES + 5); // 16 + 16 + 4 blocks
    const { ev } = receive(file, chunked(file, to));
    expect(bytesOf(ev).equals(file)).toBe(true);
    expect(ev.at(-1)).toMatchObject({ event: 'file-received', transfer: { unsignedChunks: 0, multiBlock: true } });
  });

  const signedChunk = (fileId: string, raw: Buffer, index = 0): Verified<Frame> => {
    const ciphertext = b64urlEncode(raw);
    const ts = Date.now();
    const content_sig = signContent(bob.key, { ciphertext, from: bob.userId, to: alice.userId, ts });
    return delivered('FILE_CHUNK', { file_id: fileId, index, ciphertext, sender_pub: bob.key.publicKey.b64url, content_sig }, ts);
  };
  const blocks = (n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => alice.key.publicKey.encrypt(data(OAEP_MAX_PLAINTEXT_BYTES).subarray(i))));
  const failure = (ev: UserEvent[]) => ev.find((e) => e.event === 'file-failed');

  test('more than MAX_FILE_CHUNK_BLOCKS blocks: refused, the transfer fails (coded)', () => {
    const { ev } = receive(data(17 * OAEP_MAX_PLAINTEXT_BYTES), (id) => [signedChunk(id, blocks(17))]);
    expect(failure(ev)).toMatchObject({ reason: 'invalid-chunk', detail: expect.stringContaining('17 blocks') });
    expect(ev.some((e) => e.event === 'file-received' || e.event === 'file-data')).toBe(false);
  });

  test('a ciphertext that is not whole 512-byte blocks: refused, the transfer fails', () => {
    const { ev } = receive(data(1000), (id) => [signedChunk(id, Buffer.concat([blocks(2), Buffer.alloc(100, 1)]))]);
    expect(failure(ev)).toMatchObject({ reason: 'invalid-chunk', detail: expect.stringContaining('whole number of 512-byte blocks') });
  });

  test('a tampered block fails the transfer: re-signed, it does not decrypt; not re-signed, the signature fails', () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    const file = data(2 * MAX_MULTI_BLOCK_CHUNK_BYTES);
    const tamper = (resign: boolean) => (fileId: string): Verified<Frame>[] => {
      const [first, second] = chunked(file, to)(fileId);
      const raw = Buffer.from((second!.payload as { ciphertext: string }).ciphertext, 'base64url');
      raw[5 * RSA_BLOCK_BYTES + 100]! ^= 0x01; // block 5 of chunk 1
      if (resign) return [first!, signedChunk(fileId, raw, 1)];
      return [first!, delivered('FILE_CHUNK', { ...second!.payload, ciphertext: b64urlEncode(raw) }, second!.ts)];
    };
    const resigned = receive(file, tamper(true)).ev;
    expect(failure(resigned)).toMatchObject({ reason: 'invalid-chunk', detail: 'chunk 1 could not be decrypted' });
    expect(resigned.some((e) => e.event === 'file-received')).toBe(false);
    expect(failure(receive(file, tamper(false)).ev)).toMatchObject({ reason: 'invalid-chunk', detail: expect.stringContaining('signature') });
  });

  test('one block of up to 512 bytes is taken as before (the spec form: its decrypt decides)', () => {
    const file = data(OAEP_MAX_PLAINTEXT_BYTES);
    const { ev } = receive(file, (id) => [signedChunk(id, alice.key.publicKey.encrypt(file))]);
    expect(bytesOf(ev).equals(file)).toBe(true);
    expect(ev.at(-1)).toMatchObject({ event: 'file-received', transfer: { multiBlock: false } });
  });

  test('two steps for a shell: beginIncoming hands out the blocks, decryptAsync opens them, finishChunk takes them', async () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    const file = data(MAX_MULTI_BLOCK_CHUNK_BYTES + 10);
    const state = userState(alice, [bob]);
    const fileId = randomUUID();
    handleIncoming(state, manifest(fileId, file), { now: 1 });
    const ev: UserEvent[] = [];
    for (const f of chunked(file, to)(fileId)) {
      const r = beginIncoming(state, f, { now: 2 });
      if (r.kind !== 'decrypt') throw new Error(`expected blocks to decrypt, got ${JSON.stringify(r.step.events)}`);
      expect(r.chunk.blocks.length).toBe(blocksIn(f));
      const plain = await Promise.all(r.chunk.blocks.map((b) => alice.key.decryptAsync(b)));
      ev.push(...finishChunk(state, r.chunk, plain, { now: 2 }).events);
    }
    ev.push(...handleIncoming(state, delivered('FILE_END', { file_id: fileId }), { now: 3 }).events);
    expect(bytesOf(ev).equals(file)).toBe(true);
    expect(ev.at(-1)?.event).toBe('file-received');
    // a block that did not decrypt (undefined) fails the transfer
    const s2 = userState(alice, [bob]);
    const id2 = randomUUID();
    handleIncoming(s2, manifest(id2, file), { now: 1 });
    const r = beginIncoming(s2, chunked(file, to)(id2)[0]!, { now: 2 });
    expect(r.kind === 'decrypt' && finishChunk(s2, r.chunk, undefined, { now: 2 }).events).toEqual([expect.objectContaining({ event: 'file-failed', reason: 'invalid-chunk' })]);
  });
});

describe('acks pace a multi-block sender', () => {
  test('the receiver acks every FILE_ACK_EVERY_CHUNKS in-order chunks, and the sender\'s core reads each as a file-ack (not a message)', () => {
    const { to } = bobSees([CAP_FILE_BLOCKS]);
    const file = data(20 * 2 * OAEP_MAX_PLAINTEXT_BYTES); // 20 chunks of 2 blocks each
    const chunks = (fileId: string) => Array.from({ length: 20 }, (_, i) => asDelivered(fileChunkDraft(bob, to, fileId, i, file.subarray(i * 892, (i + 1) * 892), Date.now())));
    const { ev, sent } = receive(file, chunks);
    expect(ev.at(-1)?.event).toBe('file-received');
    expect(sent).toHaveLength(2);
    const fileId = ev.find((e) => e.event === 'file-offered')!.transfer.fileId;
    // bob's core gets alice's acks as her server delivers them
    const acks = sent.map((d) => {
      const f = sealDraft(d, alice.key);
      expect(f).toMatchObject({ type: 'MSG_DIRECT', from: alice.userId, to: bob.userId });
      return sealFrame({ type: 'USER_DELIVER', from: S1, to: bob.userId, ts: f.ts, payload: { ...(f.payload as object), sender: alice.userId, orig_ts: f.ts } as never }, serverKey) as Verified<Frame>;
    });
    const { state } = bobSees([CAP_FILE_BLOCKS]);
    expect(acks.flatMap((f) => handleIncoming(state, f, { now: 4 }).events)).toEqual([
      { event: 'file-ack', from: alice.userId, fileId, next: FILE_ACK_EVERY_CHUNKS },
      { event: 'file-ack', from: alice.userId, fileId, next: 2 * FILE_ACK_EVERY_CHUNKS },
    ]);
  });

  test('single-block transfers (spec-only senders, or ours to spec-only users) get no acks', () => {
    const { to } = bobSees();
    const file = data(20 * OAEP_MAX_PLAINTEXT_BYTES);
    const { ev, sent } = receive(file, chunked(file, to));
    expect(ev.at(-1)?.event).toBe('file-received');
    expect(sent).toEqual([]);
  });

  test('the ack text and the sender\'s window', () => {
    const id = randomUUID();
    expect(parseFileAck(fileAckText(id, 24))).toEqual({ fileId: id, next: 24 });
    for (const bad of [`socp-file-ack/1 ${id}`, `socp-file-ack/1 ${id} -1`, `socp-file-ack/1 ${id} 8 x`, 'socp-file-ack/1 ../etc 8', `socp-file-ack/2 ${id} 8`]) expect(parseFileAck(bad)).toBeUndefined();
    const w = new SendWindow(4);
    expect([0, 3, 4].map((i) => w.admits(i))).toEqual([true, true, false]);
    w.ack(8);
    w.ack(2); // never back
    expect([11, 12].map((i) => w.admits(i))).toEqual([true, false]);
  });
});

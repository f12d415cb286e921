/**
 * /file's sending side (file-sender.ts): chunks as the recipient takes them — one OAEP block for a
 * spec-only user, 16 for one that declared `file-blocks` — and, for multi-block transfers, at most
 * FILE_WINDOW_CHUNKS chunks beyond the recipient's last ack; a recipient that acks nothing stops
 * the transfer with TIMEOUT (docs/protocol.md "Multi-block file chunks").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FILE_WINDOW_CHUNKS, MAX_FILE_CHUNK_BLOCKS, MAX_MULTI_BLOCK_CHUNK_BYTES, OAEP_MAX_PLAINTEXT_BYTES, RSA_BLOCK_BYTES, generateKeyPair,
  type Frame, type Recipient, type RsaPrivateKey,
} from '@socp/protocol';
import { AckWindow, OutgoingFiles, sendFile } from '../src/file-sender';
import type { ClientEvent } from '../src/events';

let me: { userId: string; key: RsaPrivateKey };
let them: RsaPrivateKey;
let dir: string;
beforeAll(async () => {
  [me, them] = [{ userId: randomUUID(), key: await generateKeyPair() }, await generateKeyPair()];
  dir = mkdtempSync(join(tmpdir(), 'socp-file-sender-'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (bytes: number): string => {
  const p = join(dir, `${randomUUID()}.bin`);
  writeFileSync(p, randomBytes(bytes));
  return p;
};
const recipient = (blocks?: number): Recipient => ({ userId: randomUUID(), key: them.publicKey, dialect: { variant: 'C', pemSenderPub: false, ...(blocks ? { fileBlocks: blocks } : {}) } });
const blocksOf = (f: Frame): number => Buffer.from((f.payload as { ciphertext: string }).ciphertext, 'base64url').length / RSA_BLOCK_BYTES;
const chunks = (sent: Frame[]): Frame[] => sent.filter((f) => f.type === 'FILE_CHUNK');

test('to a spec-only recipient: one OAEP block per chunk, nothing waits for acks', async () => {
  const sent: Frame[] = [];
  const paced = jest.fn();
  await sendFile(me, recipient(), file(3 * OAEP_MAX_PLAINTEXT_BYTES + 1), async (f) => void sent.push(f), () => undefined, paced);
  expect(chunks(sent).map(blocksOf)).toEqual([1, 1, 1, 1]);
  expect(sent.map((f) => f.type)).toEqual(['FILE_START', 'FILE_CHUNK', 'FILE_CHUNK', 'FILE_CHUNK', 'FILE_CHUNK', 'FILE_END']);
  expect(paced).not.toHaveBeenCalled();
});

test('to a capable recipient: 16-block chunks, never more than FILE_WINDOW_CHUNKS beyond the last ack', async () => {
  const sent: Frame[] = [];
  let window: AckWindow | undefined;
  const n = FILE_WINDOW_CHUNKS + 10;
  const done = sendFile(me, recipient(MAX_FILE_CHUNK_BLOCKS), file(n * MAX_MULTI_BLOCK_CHUNK_BYTES), async (f) => void sent.push(f), () => undefined, () => (window = new AckWindow('them')));
  await waitUntil(() => chunks(sent).length === FILE_WINDOW_CHUNKS);
  await new Promise((r) => setTimeout(r, 300));
  expect(chunks(sent)).toHaveLength(FILE_WINDOW_CHUNKS); // stalled: no ack yet
  window!.ack(8);
  await waitUntil(() => chunks(sent).length === FILE_WINDOW_CHUNKS + 8);
  await new Promise((r) => setTimeout(r, 200));
  expect(chunks(sent)).toHaveLength(FILE_WINDOW_CHUNKS + 8);
  window!.ack(16);
  await done;
  expect(chunks(sent)).toHaveLength(n);
  expect(chunks(sent).every((c) => blocksOf(c) === MAX_FILE_CHUNK_BLOCKS)).toBe(true);
  expect(sent.at(-1)?.type).toBe('FILE_END');
}, 60_000);

test('a recipient that acknowledges nothing: the transfer stops with TIMEOUT, and OutgoingFiles says so', async () => {
  const w = new AckWindow('them', 100);
  await expect(w.admit(FILE_WINDOW_CHUNKS)).rejects.toMatchObject({ code: 'TIMEOUT' });
  await expect(w.admit(FILE_WINDOW_CHUNKS - 1)).resolves.toBeUndefined();
  // acks reach the right transfer through OutgoingFiles (by recipient and file id); others are ignored
  const shown: ClientEvent[] = [];
  const out = new OutgoingFiles((e) => shown.push(e));
  out.ack(randomUUID(), randomUUID(), 8); // nobody's: ignored
  expect(shown).toEqual([]);
});

async function waitUntil(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

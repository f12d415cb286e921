/**
 * One file across servers, client to client, inside the load generator: the sender (on A)
 * encrypts every ≤446-byte chunk to the receiver, content-signs it and seals the frame (the user
 * core's builders; both
 * signatures on the threadpool, a few chunks ahead), paced under the server's per-connection
 * budgets (FILE_CHUNKs and other frames have one each); the receiver (on B) checks each chunk's content_sig, decrypts it, and finally
 * checks size and sha256. Timed from the first byte prepared to the last chunk decrypted; past
 * the time budget the sender stops and the result says how many chunks made it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  MAX_FILE_CHUNK_BYTES, b64urlDecode, encodeFrame, fileChunkDraft, fileEndDraft, fileStartDraft, sealDraftAsync, verifyContent,
  type Draft,
} from '@socp/protocol';
import { USER_FILE_CHUNK_BURST, USER_FILE_CHUNKS_PER_SEC, USER_FRAME_BURST, USER_FRAMES_PER_SEC } from '@socp/server/dist/transport/limits';
import type { Pair } from './dm-load';
import { round } from './stats';

/** Chunks being signed ahead of the one being sent. */
const SIGN_AHEAD = 16;
/** Stay this far under the server's refill rate so no frame is refused as RATE_LIMITED. */
const PACE_MARGIN = 0.97;
const PROGRESS_EVERY_MS = 1_000;

export interface FileResult {
  bytes: number; chunks: number; seconds: number; kib_per_s: number;
  /** false when the time budget ran out first (chunks_received says how far it got). */
  completed: boolean; chunks_received: number; sha256_ok: boolean;
}

export async function transferFile(p: Pair, size: number, timeoutMs: number, progress: (line: string) => void): Promise<FileResult> {
  const bytes = randomBytes(size);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file_id = randomUUID();
  const from = p.sender.id;
  const to = p.receiver.id;
  const chunks = Math.ceil(size / MAX_FILE_CHUNK_BYTES);
  const got: Buffer[] = new Array(chunks);
  let received = 0;
  let failure: Error | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((res) => (finish = res));
  p.receiver.onFrame = (f) => {
    if (f.payload['file_id'] !== file_id) {
      if (f.type === 'ERROR') failure = new Error(`receiver got ${f.raw}`);
      return;
    }
    if (f.type !== 'FILE_CHUNK') return;
    const idx = f.payload['index'] as number;
    const ct = f.payload['ciphertext'] as string;
    const ts = (JSON.parse(f.raw) as { ts: number }).ts;
    if (!verifyContent(p.senderKey, { ciphertext: ct, from, to, ts }, f.payload['content_sig'] as string)) failure = new Error(`chunk ${idx}: content_sig does not verify`);
    else if (got[idx] === undefined) {
      got[idx] = p.receiver.key.decrypt(b64urlDecode(ct)!);
      if (++received === chunks) finish();
    }
  };
  p.sender.onFrame = (f) => void (f.type === 'ERROR' && (failure = new Error(`sender got ${f.raw}`)));

  const me = { userId: from, key: p.sender.key };
  const recipient = { userId: to, key: p.recipientKey };
  const seal = async (d: Draft): Promise<string> => encodeFrame(await sealDraftAsync(d, p.sender.key));
  const chunkFrame = (index: number): Promise<string> =>
    seal(fileChunkDraft(me, recipient, file_id, index, bytes.subarray(index * MAX_FILE_CHUNK_BYTES, (index + 1) * MAX_FILE_CHUNK_BYTES), Date.now()));

  const t0 = performance.now();
  /** Send through a token bucket a little slower than the server's one for the same frames. */
  const pacer = (perSec: number, burst: number) => {
    const rate = perSec * PACE_MARGIN;
    let tokens = burst / 2;
    let last = t0;
    return async (text: string): Promise<void> => {
      for (;;) {
        const now = performance.now();
        tokens = Math.min(burst / 2, tokens + ((now - last) / 1000) * rate);
        last = now;
        if (tokens >= 1) break;
        await new Promise((r) => setTimeout(r, Math.ceil(((1 - tokens) * 1000) / rate)));
      }
      tokens -= 1;
      p.sender.send(text);
    };
  };
  const paced = pacer(USER_FRAMES_PER_SEC, USER_FRAME_BURST);
  const pacedChunk = pacer(USER_FILE_CHUNKS_PER_SEC, USER_FILE_CHUNK_BURST);
  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    progress(`file ${(size / 1048576).toFixed(0)} MiB: ${received}/${chunks} chunks (${((100 * received) / chunks).toFixed(0)} %), ${((received * MAX_FILE_CHUNK_BYTES) / 1024 / s).toFixed(0)} KiB/s, ${s.toFixed(1)} s`);
  }, PROGRESS_EVERY_MS);
  try {
    await paced(await seal(fileStartDraft(me, recipient, { file_id, name: `bench-${size}.bin`, size, sha256, mode: 'dm' }, Date.now())));
    const ahead: Array<Promise<string>> = [];
    for (let i = 0; i < Math.min(SIGN_AHEAD, chunks); i++) ahead.push(chunkFrame(i));
    const deadline = t0 + timeoutMs;
    for (let i = 0; i < chunks && performance.now() < deadline; i++) {
      if (failure) throw failure;
      const text = await ahead.shift()!;
      if (i + SIGN_AHEAD < chunks) ahead.push(chunkFrame(i + SIGN_AHEAD));
      await pacedChunk(text);
    }
    await paced(await seal(fileEndDraft(me, recipient, file_id, Date.now())));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((res) => (timer = setTimeout(res, Math.max(0, deadline - performance.now()))));
    const poll = setInterval(() => failure && finish(), 100);
    await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    clearInterval(poll);
    if (failure) throw failure;
  } finally {
    clearInterval(ticker);
    p.receiver.onFrame = p.sender.onFrame = undefined;
  }
  const seconds = (performance.now() - t0) / 1000;
  const completed = received === chunks;
  const ok = completed && createHash('sha256').update(Buffer.concat(got)).digest('hex') === sha256;
  if (completed && !ok) throw new Error('received file differs (sha256)');
  const kib = (received === chunks ? size : received * MAX_FILE_CHUNK_BYTES) / 1024;
  return { bytes: size, chunks, seconds: round(seconds, 2), kib_per_s: round(kib / seconds, 1), completed, chunks_received: received, sha256_ok: ok };
}

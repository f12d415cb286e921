/**
 * One file across servers, client to client, inside the load generator, on either path of
 * docs/protocol.md "Multi-block file chunks":
 *  - `multi-block` (between our clients, both declaring `file-blocks`): chunks of 16 OAEP blocks
 *    (7,136 bytes) under one content_sig, paced by the receiver's acks (a window of 32 chunks);
 *  - `spec` (what a spec-only recipient gets): one 446-byte block per chunk, no acks.
 * Both sides run the user core as the CLI does: the sender encrypts, content-signs and seals
 * every chunk (the core's builders; both signatures on the threadpool, a few chunks ahead), paced
 * under the server's per-connection budgets (FILE_CHUNKs and other frames have one each); the
 * receiver hands each frame to the core in order (beginIncoming: content_sig checked, blocks
 * split), decrypts the blocks on the threadpool (decryptAsync, as the CLI's session), takes them
 * (finishChunk) and sends the acks the core asks for; the manifest's size and sha256 decide.
 * Timed from the first byte prepared to the file received; past the time budget the sender stops
 * and the result says how many chunks made it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CAP_FILE_BLOCKS, MAX_FILE_CHUNK_BLOCKS, SendWindow, beginIncoming, blocksFor, createUserState, decodeFrame, encodeFrame, fileBlocksOf, fileChunkBytes,
  fileChunkDraft, fileEndDraft, fileStartDraft, finishChunk, recipientOf, sealDraftAsync, verifyFrame,
  type Draft, type UserState, type UserStep,
} from '@socp/protocol';
import { USER_FILE_CHUNK_BURST, USER_FILE_CHUNKS_PER_SEC, USER_FRAME_BURST, USER_FRAMES_PER_SEC } from '@socp/server/dist/transport/limits';
import type { BenchUser, Inbound } from './bench-user';
import type { Pair } from './dm-load';
import { round } from './stats';

export type FilePath = 'multi-block' | 'spec';

/** Chunks being signed ahead of the one being sent. */
const SIGN_AHEAD = 16;
/** Stay this far under the server's refill rate so no frame is refused as RATE_LIMITED. */
const PACE_MARGIN = 0.97;
const PROGRESS_EVERY_MS = 1_000;
/** Private-key operations of one chunk besides its decrypts: content_sig + sig at the sender, a sig at A and at B. */
const SIGS_PER_CHUNK = 4;
/** …of one ack: the receiver's content_sig + sig, A's and B's sig, the sender's decrypt. */
const OPS_PER_ACK = 5;

export interface FileResult {
  path: FilePath; bytes: number; chunks: number; blocks_per_chunk: number;
  /** Private-key operations the whole transfer costs (chunks × 4 + OAEP blocks + acks × 5): the RSA bound's numerator. */
  private_ops: number; acks: number;
  seconds: number; kib_per_s: number;
  /** false when the time budget ran out first (chunks_received says how far it got). */
  completed: boolean; chunks_received: number; sha256_ok: boolean;
}

/** A bench user's core state with its peer in the roster (and, for the multi-block path, the peer's `file-blocks`). */
function coreOf(u: BenchUser, peer: BenchUser, peerKey: string, peerCaps: string[]): UserState {
  const s = createUserState({ userId: u.id, name: u.id, key: u.key });
  s.roster.upsert({ user_id: peer.id, server_id: peer.serverId, meta: {}, pubkey: peerKey });
  s.dialects.sawCaps(peer.id, peerCaps);
  return s;
}

export async function transferFile(p: Pair, size: number, timeoutMs: number, progress: (line: string) => void, path: FilePath = 'multi-block'): Promise<FileResult> {
  const bytes = randomBytes(size);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file_id = randomUUID();
  const sender = coreOf(p.sender, p.receiver, p.recipientKey.b64url, path === 'multi-block' ? [CAP_FILE_BLOCKS] : []);
  const receiver = coreOf(p.receiver, p.sender, p.senderKey.b64url, path === 'multi-block' ? [CAP_FILE_BLOCKS] : []);
  const recipient = recipientOf(sender, sender.roster.get(p.receiver.id)!);
  const chunkBytes = fileChunkBytes(recipient);
  const chunks = Math.ceil(size / chunkBytes);
  const window = fileBlocksOf(recipient) > 1 ? new SendWindow() : undefined;
  let received = 0;
  let acks = 0;
  let failure: Error | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((res) => (finish = res));
  let windowMoved: () => void = () => {};

  const me = { userId: p.sender.id, key: p.sender.key };
  const seal = async (u: BenchUser, d: Draft): Promise<string> => encodeFrame(await sealDraftAsync(d, u.key));
  const chunkFrame = (index: number): Promise<string> =>
    seal(p.sender, fileChunkDraft(me, recipient, file_id, index, bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes), Date.now()));

  const t0 = performance.now();
  /** Send through a token bucket a little slower than the server's one for the same frames (one bucket per user and kind). */
  const pacer = (perSec: number, burst: number) => {
    const rate = perSec * PACE_MARGIN;
    const buckets = new Map<BenchUser, { tokens: number; last: number }>();
    return async (u: BenchUser, text: string): Promise<void> => {
      const b = buckets.get(u) ?? { tokens: burst / 2, last: t0 };
      buckets.set(u, b);
      for (;;) {
        const now = performance.now();
        b.tokens = Math.min(burst / 2, b.tokens + ((now - b.last) / 1000) * rate);
        b.last = now;
        if (b.tokens >= 1) break;
        await new Promise((r) => setTimeout(r, Math.ceil(((1 - b.tokens) * 1000) / rate)));
      }
      b.tokens -= 1;
      u.send(text);
    };
  };
  const paced = pacer(USER_FRAMES_PER_SEC, USER_FRAME_BURST);
  const pacedChunk = pacer(USER_FILE_CHUNKS_PER_SEC, USER_FILE_CHUNK_BURST);
  // Each side hands its server's frames to its core, one at a time and in order (as the CLI's session).
  const inOrder = (u: BenchUser, state: UserState, onStep: (s: UserStep) => void): ((f: Inbound) => void) => {
    let chain = Promise.resolve();
    return (f) => {
      chain = chain.then(async () => {
        const d = decodeFrame(f.raw);
        if (!d.ok) return;
        const v = verifyFrame(d.value, u.serverPub);
        if (!v.ok) throw new Error(`${d.value.type} not signed by ${u.id}'s server`);
        if (v.value.type === 'ERROR') throw new Error(`${u.id} got ${f.raw}`);
        const r = beginIncoming(state, v.value, { now: Date.now() });
        if (r.kind === 'step') return onStep(r.step);
        const plain = await Promise.all(r.chunk.blocks.map((b) => state.me.key.decryptAsync(b))).catch(() => undefined);
        onStep(finishChunk(state, r.chunk, plain, { now: Date.now() }));
      }).catch((e: unknown) => void (failure = e instanceof Error ? e : new Error(String(e))));
    };
  };
  p.receiver.onFrame = inOrder(p.receiver, receiver, (s) => {
    for (const e of s.events) {
      if (e.event === 'file-data' && e.transfer.fileId === file_id) received = e.transfer.nextIndex;
      if (e.event === 'file-failed') failure = new Error(`receiver: file failed (${e.reason}: ${e.detail})`);
      if (e.event === 'file-received' && e.transfer.fileId === file_id) finish();
    }
    for (const e of s.effects) if (e.kind === 'send') for (const d of e.drafts) void seal(p.receiver, d).then((t) => (acks++, paced(p.receiver, t)));
  });
  p.sender.onFrame = inOrder(p.sender, sender, (s) => {
    for (const e of s.events) {
      if (e.event === 'file-ack' && e.fileId === file_id) {
        window?.ack(e.next);
        windowMoved();
      }
    }
  });

  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    progress(`file ${(size / 1048576).toFixed(0)} MiB (${path}): ${received}/${chunks} chunks (${((100 * received) / chunks).toFixed(0)} %), ${((Math.min(size, received * chunkBytes)) / 1024 / s).toFixed(0)} KiB/s, ${s.toFixed(1)} s`);
  }, PROGRESS_EVERY_MS);
  try {
    await paced(p.sender, await seal(p.sender, fileStartDraft(me, recipient, { file_id, name: `bench-${size}.bin`, size, sha256, mode: 'dm' }, Date.now())));
    const ahead: Array<Promise<string>> = [];
    for (let i = 0; i < Math.min(SIGN_AHEAD, chunks); i++) ahead.push(chunkFrame(i));
    const deadline = t0 + timeoutMs;
    for (let i = 0; i < chunks && performance.now() < deadline; i++) {
      while (window && !window.admits(i) && !failure && performance.now() < deadline) {
        await new Promise<void>((res) => {
          const t = setTimeout(res, 100);
          windowMoved = () => (clearTimeout(t), res());
        });
      }
      if (failure) throw failure;
      const text = await ahead.shift()!;
      if (i + SIGN_AHEAD < chunks) ahead.push(chunkFrame(i + SIGN_AHEAD));
      await pacedChunk(p.sender, text);
    }
    await paced(p.sender, await seal(p.sender, fileEndDraft(me, recipient, file_id, Date.now())));
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
  const blocks = blocksFor(chunkBytes) * (chunks - 1) + blocksFor(size - (chunks - 1) * chunkBytes);
  const kib = Math.min(size, received * chunkBytes) / 1024;
  return {
    path, bytes: size, chunks, blocks_per_chunk: Math.min(MAX_FILE_CHUNK_BLOCKS, blocksFor(chunkBytes)),
    private_ops: chunks * SIGS_PER_CHUNK + blocks + acks * OPS_PER_ACK, acks,
    seconds: round(seconds, 2), kib_per_s: round(kib / seconds, 1), completed, chunks_received: received, sha256_ok: completed,
  };
}

/**
 * Drives fuzz frames over one WebSocket and accounts for every one of them. Frames go out in
 * batches, each followed by a probe (a frame of an unknown type whose name is unique, so its
 * UNKNOWN_TYPE answer is recognisable). The server answers in order, so the answers received
 * before the probe's belong to the batch. A frame counts as
 *   answered     an ERROR (or, for a valid request, its response) came back;
 *   closed       the server closed the socket with a clean code (1000/1001/1008/1009/1013);
 *   legitimate   it decodes and is validly signed by the sender's own key, or it is an ERROR
 *                frame (never answered, so two peers cannot ping-pong) — silence is allowed;
 *   unexplained  none of the above: a finding.
 */
import { decodeFrame, verifyFrame, type Frame, type RsaPublicKey } from '@socp/protocol';
import type { FrameSocket } from '../harness/frame-socket';

export interface FuzzTally {
  sent: number;
  answered: number;
  closed: number;
  legitimate: number;
  unexplained: number;
  connections: number;
  badCloseCodes: number[];
}
export const emptyTally = (): FuzzTally => ({ sent: 0, answered: 0, closed: 0, legitimate: 0, unexplained: 0, connections: 0, badCloseCodes: [] });
export const CLEAN_CLOSE_CODES = new Set([1000, 1001, 1008, 1009, 1013]);

let probeSeq = 0;

/** May a peer stay silent on this frame? (an ERROR frame, or authentic under `ownKey`). */
export function silenceAllowed(text: string, ownKey: RsaPublicKey): boolean {
  const d = decodeFrame(text);
  if (!d.ok) return false;
  return d.value.type === 'ERROR' || verifyFrame(d.value, ownKey).ok;
}

/**
 * Send `texts` then a probe on `sock`; wait (deadline) for the probe's answer or the close, and
 * add the frames accounted for to `tally`. Returns the frames the server never read because it
 * closed the socket first (send them again on a new connection); `undefined` while open.
 * On a close, frame k (k = answers so far) is taken as the one that closed it: each refused frame
 * gets at most one answer, and the server reads nothing after a closing refusal.
 */
export async function fuzzBatch(sock: FrameSocket, texts: readonly string[], ownKey: RsaPublicKey, isAnswer: (f: Frame) => boolean, tally: FuzzTally, timeoutMs = 20_000): Promise<string[] | undefined> {
  const probe = `FUZZ_PROBE_${process.pid}_${++probeSeq}`;
  const mark = sock.received.length;
  for (const t of texts) sock.sendRaw(t);
  sock.sendRaw(JSON.stringify({ type: probe, from: 'fuzz', to: '*', ts: Date.now(), payload: {}, sig: '' }));
  const isProbe = (f: Frame): boolean => f.type === 'ERROR' && String((f.payload as { detail?: unknown }).detail).includes(probe);
  let closed = false;
  try {
    await sock.waitFrame(isProbe, timeoutMs, mark, `answer to ${probe}`);
  } catch (e) {
    if (sock.closeCode === undefined) throw e; // neither an answer nor a close: the server hung
    closed = true;
  }
  const end = sock.received.findIndex((r, i) => i >= mark && r.frame !== undefined && isProbe(r.frame));
  const answers = Math.min(texts.length, sock.received.slice(mark, end < 0 ? undefined : end).filter((r) => r.frame !== undefined && isAnswer(r.frame)).length);
  tally.answered += answers;
  if (closed) {
    if (!CLEAN_CLOSE_CODES.has(sock.closeCode!)) tally.badCloseCodes.push(sock.closeCode!);
    const read = Math.min(texts.length, answers + 1);
    tally.sent += read;
    tally.closed += read - answers;
    return texts.slice(read);
  }
  tally.sent += texts.length;
  const allowed = texts.filter((t) => silenceAllowed(t, ownKey)).length;
  const silent = texts.length - answers;
  tally.legitimate += Math.min(silent, allowed);
  tally.unexplained += Math.max(0, silent - allowed);
  return undefined;
}

/** VmRSS of a process in kB (Linux /proc). */
export async function rssKb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

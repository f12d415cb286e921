/**
 * Long messages (SPEC.md §10.2: the spec is silent; [profile] split into ≤446-byte OAEP blocks,
 * each independently signed).
 *
 * Wire rule (documented in docs/client.md): a message that fits one OAEP block is sent as its
 * plain UTF-8 text — exactly what any spec client sends. A longer one is cut at code-point
 * boundaries into N ≤ MAX_MESSAGE_PARTS parts; each part's plaintext is
 *
 *     "\u001e" + <8 hex msg id> + ":" + <i> + "/" + <N> + "\u001f" + <text slice>
 *
 * (i is 1-based). A spec client shows each part as its own message, with a short visible
 * prefix and valid UTF-8. Our client reassembles parts with the same (sender, channel, id),
 * all of which must have passed signature checks, and shows them as one message once all N
 * arrived; incomplete messages expire after PART_REASSEMBLY_TIMEOUT_MS.
 */
import { OAEP_MAX_PLAINTEXT_BYTES } from '../constants';
import { MAX_MESSAGE_PARTS, MAX_PENDING_SPLIT_MESSAGES, PART_REASSEMBLY_TIMEOUT_MS } from './limits';

const HEADER_RE = /^\u001e([0-9a-f]{8}):([1-9][0-9]{0,2})\/([1-9][0-9]{0,2})\u001f/;
/** Longest header: 1 + 8 + 1 + 3 + 1 + 3 + 1. */
const MAX_HEADER_BYTES = 18;
export const PART_BODY_BYTES = OAEP_MAX_PLAINTEXT_BYTES - MAX_HEADER_BYTES;

/** Cut `text` into slices of at most `max` UTF-8 bytes without splitting a code point. */
function sliceUtf8(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  let curBytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (curBytes + n > max) {
      out.push(cur);
      cur = '';
      curBytes = 0;
    }
    cur += ch;
    curBytes += n;
  }
  if (cur.length > 0 || out.length === 0) out.push(cur);
  return out;
}

/**
 * The plaintexts to encrypt, one per frame. `msgId`: 8 random hex digits (the caller's randomness),
 * used only when the text needs several parts. Throws RangeError past MAX_MESSAGE_PARTS.
 */
export function splitMessage(input: string, msgId: string): Buffer[] {
  const text = input.replace(/^\u001e+/, ''); // a leading RS would read as a part header
  const whole = Buffer.from(text, 'utf8');
  if (whole.byteLength <= OAEP_MAX_PLAINTEXT_BYTES) return [whole];
  const slices = sliceUtf8(text, PART_BODY_BYTES);
  if (slices.length > MAX_MESSAGE_PARTS) throw new RangeError(`message needs ${slices.length} parts; at most ${MAX_MESSAGE_PARTS}`);
  return slices.map((s, i) => Buffer.from(`\u001e${msgId}:${i + 1}/${slices.length}\u001f${s}`, 'utf8'));
}

export interface PartHeader { msgId: string; index: number; total: number; body: string }

/** The part header of a decrypted plaintext, or undefined for an ordinary message. */
export function parsePart(plain: string): PartHeader | undefined {
  const m = HEADER_RE.exec(plain);
  if (!m) return undefined;
  const index = Number(m[2]);
  const total = Number(m[3]);
  if (total < 2 || total > MAX_MESSAGE_PARTS || index > total) return undefined;
  return { msgId: m[1]!, index, total, body: plain.slice(m[0].length) };
}

interface Pending { total: number; parts: Map<number, string>; firstAt: number; ts: number }

export type AssembleResult =
  | { kind: 'complete'; text: string; ts: number }
  | { kind: 'partial' }
  | { kind: 'inconsistent' };

/** Collects parts per (sender, channel, msgId); bounded in count and time. */
export class PartAssembler {
  private readonly pending = new Map<string, Pending>();
  constructor(private readonly timeoutMs = PART_REASSEMBLY_TIMEOUT_MS, private readonly maxPending = MAX_PENDING_SPLIT_MESSAGES) {}

  add(stream: string, part: PartHeader, ts: number, now: number): AssembleResult {
    const key = `${stream}|${part.msgId}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= this.maxPending) this.pending.delete(this.pending.keys().next().value!);
      p = { total: part.total, parts: new Map(), firstAt: now, ts };
      this.pending.set(key, p);
    }
    if (p.total !== part.total) return { kind: 'inconsistent' };
    if (!p.parts.has(part.index)) p.parts.set(part.index, part.body);
    p.ts = Math.min(p.ts, ts);
    if (p.parts.size < p.total) return { kind: 'partial' };
    this.pending.delete(key);
    let text = '';
    for (let i = 1; i <= p.total; i++) text += p.parts.get(i)!;
    return { kind: 'complete', text, ts: p.ts };
  }

  /** Drop incomplete messages older than the timeout; returns how many were dropped, per stream. */
  sweep(now: number): string[] {
    const dropped: string[] = [];
    for (const [k, p] of this.pending) {
      if (now - p.firstAt < this.timeoutMs) continue;
      this.pending.delete(k);
      dropped.push(k.slice(0, k.lastIndexOf('|')));
    }
    return dropped;
  }

  get size(): number {
    return this.pending.size;
  }
}

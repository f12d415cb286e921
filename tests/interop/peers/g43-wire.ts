/**
 * How the seed (G43, the original Python implementation; /work/shared/socp/G43-WIRE.md) writes
 * a frame: Python's `json.dumps` with its default separators (", " and ": ", insertion order,
 * ASCII) plus a trailing "\n"; signed frames carry a PSS signature over the canonical payload
 * (the same bytes our verifier computes), the bootstrap frames of its introducer `sig: ""`.
 */
import { sealFrame, type RsaPrivateKey } from '@socp/protocol';

/** Python `json.dumps(v)` with default separators. */
export function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** One G43 frame on the wire: signed with `key`, or `sig: ""` without one. */
export function g43Frame(type: string, from: string, to: string, payload: Record<string, unknown>, key: RsaPrivateKey | undefined, ts = Date.now()): string {
  const sig = key === undefined ? '' : sealFrame({ type, from, to, ts, payload } as never, key).sig;
  return `${pyDumps({ type, from, to, ts, payload, sig })}\n`;
}

/** A frame as the stand-ins read it (they parse with JSON.parse, as G43 does). */
export interface Wire { type: string; from: string; to: string; ts: number; payload: Record<string, unknown>; sig?: string }

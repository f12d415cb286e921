/**
 * Envelope binding (extension, docs/contracts.md "Envelope binding").
 *
 * SOCP's transport `sig` covers only the canonical `payload` (§8.1): `type`, `from`, `to` and
 * `ts` are unsigned, so a captured signature can be replayed under a fresh `ts`, or a payload
 * signed as one frame type replayed as another (a SERVER_HELLO_LINK payload is byte-identical to
 * a SERVER_HELLO_JOIN's). A bound frame repeats its envelope inside the signed payload:
 *
 *     "payload": { ..., "bind": { "type": T, "from": F, "to": X, "ts": N } }
 *
 * so the signature covers all four. Peers that do not know the field ignore it (payloads are
 * open objects). Rules:
 *  - every frame our servers and introducers sign carries it (`withBind`);
 *  - a received frame that carries `bind` is refused unless it equals the envelope exactly
 *    (`verifyFrame` checks this after the signature);
 *  - a sender known to bind (its admission ticket says so, or its own bound hello) has frames
 *    without `bind` refused, and bound server frames must be fresh (routing/server-trust.ts).
 */
import type { FrameType } from '../messages';

export interface EnvelopeBind { type: FrameType; from: string; to: string; ts: number }

interface EnvelopeLike { type: FrameType; from: string; to: string; ts: number; payload: unknown }

/** The frame with `payload.bind` set from its own envelope (overwrites any `bind` it had). */
export function withBind<F extends EnvelopeLike>(f: F): F & { payload: F['payload'] & { bind: EnvelopeBind } } {
  const bind: EnvelopeBind = { type: f.type, from: f.from, to: f.to, ts: f.ts };
  return { ...f, payload: { ...(f.payload as object), bind } } as F & { payload: F['payload'] & { bind: EnvelopeBind } };
}

/** True when the payload has a `bind` member (well-formed or not). */
export function hasBind(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && Object.prototype.hasOwnProperty.call(payload, 'bind');
}

/** undefined: no `bind`; true: it equals the envelope; false: present but different or malformed. */
export function bindMatches(f: EnvelopeLike): boolean | undefined {
  if (!hasBind(f.payload)) return undefined;
  const b = (f.payload as { bind?: unknown }).bind as Partial<EnvelopeBind> | null;
  return typeof b === 'object' && b !== null && !Array.isArray(b)
    && b.type === f.type && b.from === f.from && b.to === f.to && b.ts === f.ts
    && Object.keys(b).length === 4;
}

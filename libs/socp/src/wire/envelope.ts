/**
 * The one way in and out for frames (S3, S4).
 *
 *  decodeFrame(text)            untrusted text → Result<Frame>  (size, JSON, envelope, payload schema)
 *  verifyFrame(frame, key)      Frame → Result<Verified<Frame>>  (transport sig under the sender's pinned key)
 *  acceptUnsigned(frame, why)   Frame → Verified<Frame>          (only where the profile allows no sig)
 *  sealFrame(unsigned, key)     build + sign a frame we emit (sig over canonical payload)
 *  encodeFrame(frame)           Frame → the WS text message (no trailing newline)
 *  sealFrameToWire(unsigned, key)  sign (threadpool) + serialise, canonicalising the payload once
 *  sealFrameToWireSync(...)        the same, signing on the calling thread
 *
 * Nothing else in the project calls JSON.parse on network input.
 */

import { MAX_FRAME_BYTES, MAX_JSON_DEPTH } from '../constants';
import { SocpError, type Result } from '../errors';
import { isFrameType, payloadSchemas, SchemaError, type Frame, type FrameOf, type FrameType, type PayloadMap } from '../messages';
import { type RsaPrivateKey, type RsaPublicKey, sha256 } from '../crypto/keys';
import { b64urlDecode, b64urlEncode } from '../encoding/base64url';
import { canonicalJson, signingBytes, signingBytesCandidates } from '../encoding/canonical-json';
import { bindMatches, hasBind } from './bind';

declare const kVerified: unique symbol;
/** How a frame earned its trust: a checked transport sig, or an explicit profile exemption. */
export type TrustBasis = 'sig' | 'unsigned-hello' | 'unsigned-user-content' | 'unpinned-introducer';
/** A frame whose transport signature was checked (or explicitly exempted). Only these are routed. */
export type Verified<F extends Frame = Frame> = F & { readonly [kVerified]: TrustBasis };

function fail(code: 'SOCP_ERR_FRAME_TOO_LARGE' | 'SOCP_ERR_MALFORMED_JSON' | 'SOCP_ERR_SCHEMA' | 'UNKNOWN_TYPE', msg: string): Result<never> {
  return { ok: false, error: new SocpError(code, msg) };
}

function depthOk(v: unknown, d: number): boolean {
  if (d > MAX_JSON_DEPTH) return false;
  if (typeof v !== 'object' || v === null) return true;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (!depthOk(x, d + 1)) return false;
  return true;
}

/**
 * Untrusted text → a schema-valid Frame, or a coded error. Never throws.
 * Tolerates a trailing newline/whitespace (G43 appends "\n"), a missing/empty `sig`, and a bare
 * `{"type":"CTRL_CLOSE"}`.
 */
export function decodeFrame(input: string | Buffer): Result<Frame> {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_FRAME_BYTES) return fail('SOCP_ERR_FRAME_TOO_LARGE', `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(typeof input === 'string' ? input.trimEnd() : input.toString('utf8').trimEnd());
  } catch {
    return fail('SOCP_ERR_MALFORMED_JSON', 'frame is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('SOCP_ERR_MALFORMED_JSON', 'frame is not a JSON object');
  if (!depthOk(raw, 0)) return fail('SOCP_ERR_SCHEMA', `frame nests deeper than ${MAX_JSON_DEPTH}`);
  const o = raw as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string' || type.length === 0 || type.length > 64) return fail('SOCP_ERR_SCHEMA', 'envelope.type missing');
  if (!isFrameType(type)) return fail('UNKNOWN_TYPE', `unknown frame type ${JSON.stringify(type.slice(0, 64))}`);
  const bare = type === 'CTRL_CLOSE';
  const from = o['from'] ?? (bare ? '' : undefined);
  const to = o['to'] ?? (bare ? '' : undefined);
  const ts = o['ts'] ?? (bare ? 0 : undefined);
  const payload = o['payload'] ?? (bare ? {} : undefined);
  const sig = o['sig'] ?? '';
  if (typeof from !== 'string' || from.length > 128) return fail('SOCP_ERR_SCHEMA', 'envelope.from must be a string');
  if (typeof to !== 'string' || to.length > 300) return fail('SOCP_ERR_SCHEMA', 'envelope.to must be a string');
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return fail('SOCP_ERR_SCHEMA', 'envelope.ts must be a non-negative integer (ms)');
  if (typeof sig !== 'string' || sig.length > 1024) return fail('SOCP_ERR_SCHEMA', 'envelope.sig must be a string');
  try {
    payloadSchemas[type](payload, 'payload');
  } catch (e) {
    if (e instanceof SchemaError) return fail('SOCP_ERR_SCHEMA', `${type} ${e.message}`);
    return fail('SOCP_ERR_SCHEMA', `${type} payload invalid`);
  }
  return { ok: true, value: { type, from, to, ts, payload, sig } as Frame };
}

/**
 * Serialise a frame as one WS text message (no trailing newline). The payload is written in
 * its canonical form, so the bytes on the wire are exactly the bytes the sig covers: a Python
 * peer that re-canonicalises what it parsed gets them back (JSON.stringify would write the
 * float 1e16 as 10000000000000000, which Python parses as an int and canonicalises differently).
 */
export function encodeFrame(frame: Frame): string {
  return wireText(frame, canonicalJson(frame.payload), frame.sig);
}

function wireText(f: Pick<Frame, 'type' | 'from' | 'to' | 'ts'>, canonicalPayload: string, sig: string): string {
  const s = JSON.stringify;
  return `{"type":${s(f.type)},"from":${s(f.from)},"to":${s(f.to)},"ts":${s(f.ts)},"payload":${canonicalPayload},"sig":${s(sig)}}`;
}

export interface UnsignedFrame<T extends FrameType = FrameType> { type: T; from: string; to: string; ts: number; payload: PayloadMap[T] }

/** Build a signed frame: sig = base64url(PSS-max-salt(canonical(payload))). */
export function sealFrame<T extends FrameType>(f: UnsignedFrame<T>, key: RsaPrivateKey): Verified<FrameOf<T>> {
  return { ...f, sig: b64urlEncode(key.sign(signingBytes(f.payload))) } as unknown as Verified<FrameOf<T>>;
}
/** Same, signing on the libuv threadpool. */
export async function sealFrameAsync<T extends FrameType>(f: UnsignedFrame<T>, key: RsaPrivateKey): Promise<Verified<FrameOf<T>>> {
  return { ...f, sig: b64urlEncode(await key.signAsync(signingBytes(f.payload))) } as unknown as Verified<FrameOf<T>>;
}

/**
 * Sign on the libuv threadpool and serialise in one step: the payload is canonicalised once for
 * both the signature and the wire text (same bytes as `encodeFrame(await sealFrameAsync(f, key))`).
 */
export async function sealFrameToWire(f: UnsignedFrame, key: RsaPrivateKey): Promise<string> {
  const canonical = canonicalJson(f.payload);
  return wireText(f, canonical, b64urlEncode(await key.signAsync(Buffer.from(canonical, 'utf8'))));
}

/** sealFrameToWire signing on the calling thread: for a server whose threadpool is idle, where a hand-off would only add its wake-up to the latency. */
export function sealFrameToWireSync(f: UnsignedFrame, key: RsaPrivateKey): string {
  const canonical = canonicalJson(f.payload);
  return wireText(f, canonical, b64urlEncode(key.sign(Buffer.from(canonical, 'utf8'))));
}

/** True when `sig` verifies over the payload (escaped canonical form first, then raw UTF-8). */
export function checkTransportSig(payload: unknown, sig: string, key: RsaPublicKey): boolean {
  if (typeof sig !== 'string' || sig.length === 0) return false;
  const s = b64urlDecode(sig);
  if (!s) return false;
  let candidates: Buffer[];
  try {
    candidates = signingBytesCandidates(payload);
  } catch {
    return false;
  }
  return candidates.some((b) => key.verify(b, s));
}

/** Check the transport sig under the sender's pinned key; INVALID_SIG if missing or wrong, or if a signed `bind` names another envelope. */
export function verifyFrame<F extends Frame>(frame: F, key: RsaPublicKey): Result<Verified<F>> {
  if (frame.sig === '') return { ok: false, error: new SocpError('INVALID_SIG', `${frame.type} from ${frame.from} is unsigned`) };
  if (!checkTransportSig(frame.payload, frame.sig, key)) return { ok: false, error: new SocpError('INVALID_SIG', `${frame.type} from ${frame.from}: signature does not verify`) };
  // A signed envelope binding (wire/bind.ts) must name this very envelope: no re-typed, re-dated or re-addressed replays.
  if (bindMatches(frame) === false) return { ok: false, error: new SocpError('INVALID_SIG', `${frame.type} from ${frame.from}: payload.bind does not match the envelope`) };
  return { ok: true, value: frame as Verified<F> };
}

/**
 * Trust a frame without a transport sig — only for the profile's exemptions: a USER_HELLO that
 * proves its key by other means, user content frames whose `content_sig` the caller checked,
 * and frames of an introducer the operator configured without a pinned key.
 */
export function acceptUnsigned<F extends Frame>(frame: F, _basis: Exclude<TrustBasis, 'sig'>): Verified<F> {
  return frame as Verified<F>;
}

/**
 * §12 [profile] dedupe key: `ts|from|to|hex(sha256(canonical(payload)))`, the payload taken
 * without its envelope binding (wire/bind.ts): `bind` only repeats ts/from/to, so a frame has the
 * same key whether the peer that computes it saw it bound or not (ACK refs match msg_refs).
 */
export function dedupeKey(frame: Pick<Frame, 'ts' | 'from' | 'to' | 'payload'>): string {
  const p = frame.payload as Record<string, unknown>;
  const payload = hasBind(p) ? (({ bind: _b, ...rest }) => rest)(p) : p;
  return `${frame.ts}|${frame.from}|${frame.to}|${sha256(canonicalJson(payload)).toString('hex')}`;
}

/**
 * A frame a user is about to send, complete but for its signatures (S1: the builders in
 * outbound.ts and hello.ts sign nothing). Sealing adds, in this order:
 *  1. the content_sig (only a frame that carries content: `content` says over what and in which
 *     variant; PSS-SHA256 with the user's key, crypto/content-sig.ts), into the payload;
 *  2. the transport sig over the canonical payload, content_sig included (wire/envelope.ts).
 * One recipe, two ways to sign: `sealDraft` at once (a test's raw user), `sealDraftAsync` on the
 * libuv threadpool so an event loop stays responsive (the CLI, the load generator).
 */
import { signContent, signContentAsync, type ContentSigInput, type ContentSigVariant } from '../crypto/content-sig';
import type { RsaPrivateKey } from '../crypto/keys';
import { sealFrame, sealFrameAsync, type UnsignedFrame, type Verified } from '../wire/envelope';
import type { FrameOf, FrameType } from '../messages';

export interface Draft<T extends FrameType = FrameType> {
  /** The frame; a content frame's payload has no `content_sig` yet. */
  readonly frame: UnsignedFrame<T>;
  /** What the content_sig covers and its variant (absent: the frame carries no content). */
  readonly content?: { readonly input: ContentSigInput; readonly variant: ContentSigVariant };
}

function signed<T extends FrameType>(d: Draft<T>, contentSig: string | undefined): UnsignedFrame<T> {
  return contentSig === undefined ? d.frame : { ...d.frame, payload: { ...d.frame.payload, content_sig: contentSig } };
}

/** Step 1 alone: the frame with its content_sig, not yet sealed (for a caller that seals later, or tampers first). */
export function signDraftContent<T extends FrameType>(d: Draft<T>, key: RsaPrivateKey): UnsignedFrame<T> {
  return signed(d, d.content && signContent(key, d.content.input, d.content.variant));
}

/** Sign now (blocks the event loop ~1.3 ms per signature, two for a content frame). */
export function sealDraft<T extends FrameType>(d: Draft<T>, key: RsaPrivateKey): Verified<FrameOf<T>> {
  return sealFrame(signDraftContent(d, key), key);
}

/** Sign on the threadpool. */
export async function sealDraftAsync<T extends FrameType>(d: Draft<T>, key: RsaPrivateKey): Promise<Verified<FrameOf<T>>> {
  return sealFrameAsync(signed(d, d.content && (await signContentAsync(key, d.content.input, d.content.variant))), key);
}

/** Several drafts, signed concurrently on the threadpool; the frames keep the drafts' order. */
export function sealDraftsAsync<T extends FrameType>(ds: readonly Draft<T>[], key: RsaPrivateKey): Promise<Array<Verified<FrameOf<T>>>> {
  return Promise.all(ds.map((d) => sealDraftAsync(d, key)));
}

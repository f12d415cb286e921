/**
 * Compiled (not run) by verified-brand.test.ts: the type system must refuse a parsed Frame
 * where a Verified<Frame> is required. Each `@ts-expect-error` must be NEEDED, otherwise tsc
 * reports "Unused '@ts-expect-error' directive" and the test fails.
 */
import { acceptUnsigned, decodeFrame, sealFrame, verifyFrame, type Frame, type FrameOf, type RsaPrivateKey, type Verified } from '../../src';

declare const key: RsaPrivateKey;
declare function route(frame: Verified<Frame>): void;
declare function routeDeliver(frame: Verified<FrameOf<'SERVER_DELIVER'>>): void;

export function check(text: string): void {
  const parsed = decodeFrame(text);
  if (!parsed.ok) return;
  // @ts-expect-error a parsed (unverified) frame is not a Verified one
  route(parsed.value);
  // @ts-expect-error nor does a plain object literal become one
  route({ type: 'HEARTBEAT', from: 'a', to: 'b', ts: 1, payload: {}, sig: '' });

  const verified = verifyFrame(parsed.value, key.publicKey);
  if (verified.ok) route(verified.value); // fine: verified
  route(acceptUnsigned(parsed.value, 'unsigned-hello')); // fine: explicit exemption
  route(sealFrame({ type: 'HEARTBEAT', from: 'a', to: 'b', ts: 1, payload: {} }, key)); // fine: we signed it

  if (verified.ok && verified.value.type === 'SERVER_DELIVER') routeDeliver(verified.value); // narrowing keeps the brand
  // @ts-expect-error the brand is specific to the frame type
  if (verified.ok && verified.value.type === 'HEARTBEAT') routeDeliver(verified.value);
  // @ts-expect-error acceptUnsigned cannot claim a checked signature
  acceptUnsigned(parsed.value, 'sig');
}

/**
 * Control frames (SPEC.md §10.5, §3): ACK, ERROR, CTRL_CLOSE.
 */
import { obj, str, text, type Check } from './schema';

/** ACK: `msg_ref` identifies the acknowledged frame (we use its dedupe key). Extensions may add fields. */
export interface AckPayload { msg_ref: string; [k: string]: unknown }
export const ackPayload: Check<AckPayload> = obj({ msg_ref: str(512) });

/** ERROR: `code` may be any string (unknown codes are generic errors, §11). */
export interface ErrorPayload { code: string; detail?: string; [k: string]: unknown }
export const errorPayload: Check<ErrorPayload> = obj({ code: str(64) }, { detail: text });

/** CTRL_CLOSE: optional courtesy before a 1000 close; payload usually absent. */
export type CtrlClosePayload = Record<string, unknown>;
export const ctrlClosePayload: Check<CtrlClosePayload> = obj({});

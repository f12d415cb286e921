/**
 * End-to-end encrypted content: DMs and the public channel (SPEC.md §10.2–10.3, §9.3).
 * Servers route these and never decrypt; `content_sig` is the sender's (see crypto/content-sig).
 */
import { MAX_PUBKEY_CHARS } from '../constants';
import { array, b64block, bool, id, int, obj, pubkey, str, type Check } from './schema';

/** MSG_DIRECT (user → local server). G43 adds `public` and `sender`. */
export interface MsgDirectPayload { ciphertext: string; sender_pub: string; content_sig: string; sender?: string; public?: boolean; /** extension (docs/accounts.md): ask the recipient client for an end-to-end receipt */ receipts?: boolean }
export const msgDirectPayload: Check<MsgDirectPayload> = obj({ ciphertext: b64block, sender_pub: pubkey, content_sig: b64block }, { sender: id, public: bool, receipts: bool });

/**
 * USER_DELIVER (server → recipient). Envelope ts = original MSG_DIRECT ts; payload `orig_ts`
 * repeats it ([profile]); peers may send payload `ts` instead. G43 copies `public`.
 */
export interface UserDeliverPayload {
  ciphertext: string; sender: string; sender_pub: string; content_sig: string;
  orig_ts?: number; ts?: number; public?: boolean; group_id?: string; inner_type?: string;
}
export const userDeliverPayload: Check<UserDeliverPayload> = obj(
  { ciphertext: b64block, sender: id, sender_pub: pubkey, content_sig: b64block },
  { orig_ts: int(0), ts: int(0), public: bool, group_id: id, inner_type: str(64) },
);

/** The timestamp a content_sig covers: payload orig_ts, else payload ts, else envelope ts. */
export function originalTs(payload: { orig_ts?: number; ts?: number }, envelopeTs: number): number {
  return payload.orig_ts ?? payload.ts ?? envelopeTs;
}

/** MSG_PUBLIC_CHANNEL: ours is per recipient (to = user_id, group_id "public"); to "public" tolerated. */
export interface MsgPublicChannelPayload { ciphertext: string; sender_pub: string; content_sig: string; group_id?: string; sender?: string; orig_ts?: number }
export const msgPublicChannelPayload: Check<MsgPublicChannelPayload> = obj(
  { ciphertext: b64block, sender_pub: pubkey, content_sig: b64block },
  { group_id: id, sender: id, orig_ts: int(0) },
);

/**
 * A wrapped channel key: an OAEP block (683 chars) from us, but peers put other things there
 * (one sends a 1,067-char PEM-b64url key): bounded like the longest legal key encoding.
 */
const wrapped = str(MAX_PUBKEY_CHARS);

/** PUBLIC_CHANNEL_ADD. */
export interface PublicChannelAddPayload { add: string[]; if_version: number }
export const publicChannelAddPayload: Check<PublicChannelAddPayload> = obj({ add: array(id), if_version: int(0) });

/** PUBLIC_CHANNEL_UPDATED: real OAEP wraps of a random 32-byte key, per member. */
export interface ChannelWrap { member_id: string; wrapped_key: string }
export interface PublicChannelUpdatedPayload { version: number; wraps: ChannelWrap[] }
export const publicChannelUpdatedPayload: Check<PublicChannelUpdatedPayload> = obj({
  version: int(0),
  wraps: array(obj({ member_id: id, wrapped_key: wrapped })),
});

/** PUBLIC_CHANNEL_KEY_SHARE. */
export interface KeyShare { member: string; wrapped_public_channel_key: string }
export interface PublicChannelKeySharePayload { shares: KeyShare[]; creator_pub: string; content_sig: string }
export const publicChannelKeySharePayload: Check<PublicChannelKeySharePayload> = obj({
  shares: array(obj({ member: id, wrapped_public_channel_key: wrapped })),
  creator_pub: pubkey,
  content_sig: b64block,
});

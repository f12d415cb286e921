/**
 * Which key speaks for a user, and the end-to-end content check every hop that acts on user
 * content runs: the sender's server when the user sends it, and the recipient's server at the
 * final hop (live delivery and offline queueing alike), so that an admitted but compromised
 * server cannot put words in a user's mouth (docs/SECURITY.md "Forged content").
 */
import { verifyContent } from '../crypto/content-sig';
import { importPublicKeyCached } from '../crypto/keys';
import { SocpError } from '../errors';
import { fail } from './effects';
import type { RoutingState } from './state';

/** The key a user's frames must verify under: its bound key, else (unproven, online now) the key its server advertised. */
export function keyOfUser(state: RoutingState, userId: string): string | undefined {
  return state.userKeys.get(userId) ?? state.directory.get(userId)?.pubkey;
}

/** The signed part of a content payload (MSG_DIRECT, MSG_PUBLIC_CHANNEL, FILE_CHUNK). */
export interface SignedContent { ciphertext: string; sender_pub?: string; content_sig?: string; group_id?: string }

/**
 * `sender_pub` (when present) must be the sender's key, and `content_sig` must verify under that
 * key — DM form for `to`, public form when `to` is undefined (or first, for a per-recipient
 * public-channel message). Throws SocpError: BAD_KEY (no key for the sender, or another key),
 * INVALID_SIG (missing where required, or not verifying).
 */
export function checkContent(state: RoutingState, sender: string, p: SignedContent, to: string | undefined, ts: number, required: boolean): void {
  if (p.content_sig === undefined) {
    if (required) throw fail('INVALID_SIG', 'content_sig and sender_pub are required');
    return;
  }
  const known = keyOfUser(state, sender);
  if (known === undefined) throw fail('BAD_KEY', `no key is known for sender ${sender.slice(0, 64)}`);
  if (p.sender_pub === undefined && required) throw fail('INVALID_SIG', 'content_sig and sender_pub are required');
  let pub;
  try {
    pub = importPublicKeyCached(p.sender_pub ?? known);
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'sender_pub unparseable');
  }
  if (pub.toBase64Url() !== known) throw fail('BAD_KEY', 'sender_pub differs from the key bound to the sender');
  const forms: Array<string | undefined> = to === undefined ? [undefined] : [to];
  if (to !== undefined && p.group_id === 'public') forms.unshift(undefined);
  if (!forms.some((t) => verifyContent(pub, { ciphertext: p.ciphertext, from: sender, to: t, ts }, p.content_sig!) !== undefined)) {
    throw fail('INVALID_SIG', 'content_sig does not verify');
  }
}

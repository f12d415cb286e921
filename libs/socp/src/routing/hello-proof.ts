/**
 * Proof that a user holds its key, that other servers can check (docs/SECURITY.md "User identity").
 *
 * A server that accepted a PROVEN USER_HELLO (signed by the presented key, with `payload.bind`
 * naming its envelope; routing/user-session.ts) puts that hello into its USER_ADVERTISE as the
 * extension field `proof`:
 *
 *     "proof": { "to": <hello envelope to>, "ts": <hello envelope ts>, "payload": <hello payload>, "sig": <hello sig> }
 *
 * Any server re-checks it: the payload's key is the advertised key, the signature verifies, the
 * binding names a USER_HELLO from that user to the advertising server (or "*"). So an admitted
 * server can only claim a user who really said hello to it — it cannot invent a proven
 * presence, nor take a user from a server that merely attests one.
 */
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { anyObject, id, int, obj, b64block, type Check } from '../messages/schema';
import { bindMatches } from '../wire/bind';
import { checkTransportSig, type Verified } from '../wire/envelope';
import type { FrameOf } from '../messages';

export interface HelloProof { to: string; ts: number; payload: Record<string, unknown>; sig: string }

const proofShape: Check<HelloProof> = obj({ to: id, ts: int(0), payload: anyObject, sig: b64block }) as unknown as Check<HelloProof>;

/** The proof a proven, bound hello gives (undefined for a hello others could not check). */
export function helloProofOf(f: Verified<FrameOf<'USER_HELLO'>>): HelloProof | undefined {
  if (f.sig === '' || bindMatches(f) !== true) return undefined;
  return { to: f.to, ts: f.ts, payload: f.payload as unknown as Record<string, unknown>, sig: f.sig };
}

/** True when `proof` shows `userId`, holding `key`, said a bound hello to `hostId` (or "*"). Never throws. */
export function checkHelloProof(proof: unknown, userId: string, hostId: string, key: RsaPublicKey): boolean {
  try {
    const p = proofShape(proof, 'proof');
    if (p.to !== hostId && p.to !== '*') return false;
    const pub = p.payload['pubkey'];
    if (typeof pub !== 'string' || !importPublicKeyCached(pub).equals(key)) return false;
    if (bindMatches({ type: 'USER_HELLO', from: userId, to: p.to, ts: p.ts, payload: p.payload }) !== true) return false;
    return checkTransportSig(p.payload, p.sig, key);
  } catch {
    return false;
  }
}

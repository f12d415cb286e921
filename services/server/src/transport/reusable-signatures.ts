/**
 * Signatures made once and reused (§8.1: the transport sig covers only the payload, so every
 * frame with the same payload can carry the same sig, whatever its envelope). Only for payloads
 * that say nothing about who gets them, and never for frames to a server (those carry the
 * envelope binding, wire/bind.ts, unique per frame; the effect runner checks):
 *  - ERROR whose payload is exactly {code, detail} with a detail that does not name the peer it
 *    goes to (nothing that identifies someone is signed once and handed to others), so junk is
 *    refused without a signature per frame.
 * At most ANSWER_SIG_CACHE_ENTRIES payloads, oldest dropped first.
 */
import { canonicalJson, type UnsignedFrame } from '@socp/protocol';
import { ANSWER_SIG_CACHE_ENTRIES } from './limits';

/** The cache key (signing bytes) of a frame whose signature may be reused; undefined for any other. */
export function reusableKey(f: UnsignedFrame): string | undefined {
  if (f.type !== 'ERROR') return undefined;
  const p = f.payload as Record<string, unknown>;
  if (Object.keys(p).length !== 2 || typeof p['code'] !== 'string' || typeof p['detail'] !== 'string') return undefined;
  if (f.to.length > 1 && p['detail'].includes(f.to)) return undefined;
  return canonicalJson(p);
}

export class ReusableSignatures {
  private readonly sigs = new Map<string, string>();
  private readonly signing = new Map<string, Promise<string>>();

  /** `sign` makes the signature of a frame's payload. */
  constructor(private readonly sign: (f: UnsignedFrame) => Promise<string>) {}

  /** The signature for `f` (whose reusableKey is `key`): at once when cached, else once made (one signing for all who ask meanwhile). */
  sigFor(f: UnsignedFrame, key: string): string | Promise<string> {
    const sig = this.sigs.get(key);
    if (sig !== undefined) return sig;
    let p = this.signing.get(key);
    if (p === undefined) {
      p = this.sign(f).then((s) => {
        if (this.sigs.size >= ANSWER_SIG_CACHE_ENTRIES) this.sigs.delete(this.sigs.keys().next().value!);
        this.sigs.set(key, s);
        return s;
      }).finally(() => this.signing.delete(key));
      this.signing.set(key, p);
    }
    return p;
  }
}

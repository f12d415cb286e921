/**
 * Speaking each recipient's dialect (issue 14.2; SPEC.md profile "Content signatures follow the
 * recipient"): which content_sig variant and which `sender_pub` encoding a recipient can
 * verify, judged from what that recipient itself showed — the encoding of its advertised key
 * and the variant and `sender_pub` of content it signed. The receiving core (incoming.ts) records
 * what it saw; the builders (outbound.ts) ask before each send.
 *
 *   seen from them                         we send them
 *   content they signed in variant V       V, and sender_pub in the encoding they used
 *   else a PEM-b64url key (LS0tLS1CRUdJTi…) variant A, PEM-b64url sender_pub
 *   else                                   variant C, b64url DER sender_pub (the profile)
 *   and, apart: `file-blocks` in the caps   FILE_CHUNKs of up to MAX_FILE_CHUNK_BLOCKS OAEP blocks
 *   of their latest advertisement           (else one block per chunk, the spec form)
 *
 * `SOCP_CONTENT_SIG` forces one: `A` (with a PEM sender_pub) or `C` (with DER). Every variant
 * binds ciphertext, sender, recipient and time, so choosing one costs no security.
 */
import { CAP_FILE_BLOCKS, MAX_FILE_CHUNK_BLOCKS } from '../constants';
import type { ContentSigVariant } from '../crypto/content-sig';

export const CONTENT_SIG_SETTINGS = ['auto', 'A', 'C'] as const;
export type ContentSigSetting = (typeof CONTENT_SIG_SETTINGS)[number];

export interface Dialect {
  readonly variant: ContentSigVariant;
  readonly pemSenderPub: boolean;
  /** OAEP blocks per FILE_CHUNK they take (docs/protocol.md "Multi-block file chunks"); absent: 1, the spec form. */
  readonly fileBlocks?: number;
}

/** The profile's form: variant C, b64url(DER SPKI) sender_pub. */
export const PROFILE_DIALECT: Dialect = { variant: 'C', pemSenderPub: false };

/** Base64url of PEM text: "-----BEGIN" encodes to this prefix. */
export const isPemB64url = (key: string): boolean => key.startsWith('LS0tLS1CRUdJTi');

/** What one peer showed us. */
interface Shown { keyPem?: boolean; variant?: ContentSigVariant; senderPubPem?: boolean; fileBlocks?: boolean }

/** Peers remembered (a hostile server cannot grow this without bound; the oldest go first). */
export const MAX_DIALECT_PEERS = 20_000;

export class Dialects {
  private readonly shown = new Map<string, Shown>();

  constructor(private readonly setting: ContentSigSetting = 'auto', private readonly max = MAX_DIALECT_PEERS) {}

  /** The key a peer is advertised with, as encoded on the wire. */
  sawKey(userId: string, encoded: string): void {
    this.update(userId, { keyPem: isPemB64url(encoded) });
  }

  /** Content from a peer verified in `variant`, carrying `senderPub` (if any). */
  sawContent(userId: string, variant: ContentSigVariant, senderPub: string | undefined): void {
    this.update(userId, { variant, ...(senderPub !== undefined ? { senderPubPem: isPemB64url(senderPub) } : {}) });
  }

  /**
   * The capabilities of a peer's latest advertisement (its server relays its hello's meta.caps):
   * each advertisement replaces what the last one said, so a peer back with an older client
   * gets the spec form again.
   */
  sawCaps(userId: string, caps: readonly string[]): void {
    this.update(userId, { fileBlocks: caps.includes(CAP_FILE_BLOCKS) });
  }

  /** The variant, sender_pub encoding and file chunk form to send `userId`. */
  for(userId: string): Dialect {
    const s = this.shown.get(userId);
    const blocks = s?.fileBlocks ? { fileBlocks: MAX_FILE_CHUNK_BLOCKS } : {};
    if (this.setting === 'A') return { variant: 'A', pemSenderPub: true, ...blocks };
    if (this.setting === 'C' || !s) return { ...PROFILE_DIALECT, ...blocks };
    const pem = s.senderPubPem ?? s.keyPem ?? false;
    return { variant: s.variant ?? (s.keyPem ? 'A' : 'C'), pemSenderPub: pem, ...blocks };
  }

  private update(userId: string, seen: Shown): void {
    const prev = this.shown.get(userId);
    this.shown.delete(userId);
    if (!prev && this.shown.size >= this.max) this.shown.delete(this.shown.keys().next().value!);
    this.shown.set(userId, { ...prev, ...seen });
  }
}

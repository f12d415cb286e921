/**
 * Contact key pinning (docs/accounts.md), the decisions: the key of every user we have seen,
 * kept across runs (the client stores the records: `savePins` effects). A contact that comes
 * back with another key is HELD: a loud warning, DMs to them wait (bounded) until `/trust` pins
 * the new key, after the user compared fingerprints (/whois) out of band.
 */
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';

export const MAX_CONTACT_PINS = 10_000;
/** DMs held per changed contact until /trust. */
export const MAX_HELD_PER_CONTACT = 50;

/** One pin as stored (JSON): `pubkey` is b64url DER, `pinned_at` Unix ms. */
export interface ContactPin { name?: string; fingerprint: string; pubkey: string; pinned_at: number }
export type ContactPinRecords = Record<string, ContactPin>;
export type PinCheck = { kind: 'new' | 'same' } | { kind: 'changed'; was: string; now: string };

export class ContactPins {
  private readonly pins: ContactPinRecords;
  private readonly changed = new Map<string, { key: RsaPublicKey; name?: string; held: string[] }>();
  private dirty = false;

  /** `stored`: what an earlier run kept (anything else — a damaged file — counts as none). */
  constructor(stored: unknown = {}) {
    this.pins = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? { ...(stored as ContactPinRecords) } : {};
  }

  /** Compare a key with the pin; a first sighting is pinned (TOFU), a different key holds the contact. */
  check(userId: string, key: RsaPublicKey, name: string | undefined, now: number): PinCheck {
    const pin = this.pins[userId];
    if (pin === undefined) {
      if (Object.keys(this.pins).length < MAX_CONTACT_PINS) this.pin(userId, key, name, now);
      return { kind: 'new' };
    }
    if (pin.pubkey === key.b64url) return { kind: 'same' };
    if (!this.changed.has(userId)) this.changed.set(userId, { key, ...(name !== undefined ? { name } : {}), held: [] });
    return { kind: 'changed', was: pin.fingerprint, now: key.fingerprint() };
  }

  /** The pinned key of a contact (and the name it was pinned with), if any. */
  pinned(userId: string): { key: RsaPublicKey; name?: string } | undefined {
    const pin = this.pins[userId];
    if (typeof pin?.pubkey !== 'string') return undefined;
    try {
      return { key: importPublicKeyCached(pin.pubkey), ...(typeof pin.name === 'string' ? { name: pin.name } : {}) };
    } catch {
      return undefined; // a damaged entry yields no key
    }
  }

  isHeld(userId: string): boolean {
    return this.changed.has(userId);
  }

  /** Keep a DM for a changed contact; false when the hold is full. */
  hold(userId: string, text: string): boolean {
    const c = this.changed.get(userId);
    if (!c || c.held.length >= MAX_HELD_PER_CONTACT) return false;
    c.held.push(text);
    return true;
  }

  /** /trust: pin the new key; returns the held DMs to send now (undefined: the key was not in question). */
  trust(userId: string, now: number): string[] | undefined {
    const c = this.changed.get(userId);
    if (!c) return undefined;
    this.changed.delete(userId);
    this.pin(userId, c.key, c.name, now);
    return c.held;
  }

  pinnedFingerprint(userId: string): string | undefined {
    return this.pins[userId]?.fingerprint;
  }

  /** The records to store, once after each change (undefined: nothing changed since). */
  takeChanged(): ContactPinRecords | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return { ...this.pins };
  }

  private pin(userId: string, key: RsaPublicKey, name: string | undefined, now: number): void {
    this.pins[userId] = { ...(name !== undefined ? { name } : {}), fingerprint: key.fingerprint(), pubkey: key.b64url, pinned_at: now };
    this.dirty = true;
  }
}

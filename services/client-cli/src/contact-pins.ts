/**
 * Contact key pinning (docs/accounts.md): the key fingerprint of every user we have seen, kept
 * per account in $SOCP_HOME/contacts/<name>.json (0600). A contact that comes back with
 * another key is HELD: a loud warning, DMs to them wait (bounded) until `/trust <user>` pins the
 * new key, after the user compared fingerprints (/whois) out of band.
 */
import { join } from 'node:path';
import { importPublicKeyCached, type RsaPublicKey } from '@socp/protocol';
import { readJsonOr, writePrivateFile } from './private-files';

export const MAX_CONTACT_PINS = 10_000;
/** DMs held per changed contact until /trust. */
export const MAX_HELD_PER_CONTACT = 50;

interface ContactPin { name?: string; fingerprint: string; pubkey: string; pinned_at: number }
export type PinCheck = { kind: 'new' | 'same' } | { kind: 'changed'; was: string; now: string };

/** What the receiving core (inbound.ts) asks of the pins: the key content must verify under. */
export interface ContactKeys {
  /** The pinned key of a contact (and the name it was pinned with), if any. */
  pinned(userId: string): { key: RsaPublicKey; name?: string } | undefined;
  /** Compare a key with the pin; a first sighting is pinned (TOFU). */
  check(userId: string, key: RsaPublicKey, name: string | undefined): PinCheck;
}

export class ContactPins implements ContactKeys {
  private readonly pins: Record<string, ContactPin>;
  private readonly changed = new Map<string, { key: RsaPublicKey; name?: string; held: string[] }>();
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly home: string, private readonly account: string) {
    const v = readJsonOr(this.file, {});
    this.pins = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, ContactPin>) : {};
  }

  private get file(): string {
    return join(this.home, 'contacts', `${this.account}.json`);
  }

  /** Compare an advertised key with the pin; a first sighting is pinned. */
  check(userId: string, key: RsaPublicKey, name: string | undefined): PinCheck {
    const pin = this.pins[userId];
    if (pin === undefined) {
      if (Object.keys(this.pins).length < MAX_CONTACT_PINS) this.pin(userId, key, name);
      return { kind: 'new' };
    }
    if (pin.pubkey === key.b64url) return { kind: 'same' };
    if (!this.changed.has(userId)) this.changed.set(userId, { key, ...(name !== undefined ? { name } : {}), held: [] });
    return { kind: 'changed', was: pin.fingerprint, now: key.fingerprint() };
  }

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

  /** /trust: pin the new key; returns the held DMs to send now. */
  trust(userId: string): string[] | undefined {
    const c = this.changed.get(userId);
    if (!c) return undefined;
    this.changed.delete(userId);
    this.pin(userId, c.key, c.name);
    return c.held;
  }

  pinnedFingerprint(userId: string): string | undefined {
    return this.pins[userId]?.fingerprint;
  }

  private pin(userId: string, key: RsaPublicKey, name: string | undefined): void {
    this.pins[userId] = { ...(name !== undefined ? { name } : {}), fingerprint: key.fingerprint(), pubkey: key.b64url, pinned_at: Date.now() };
    const text = `${JSON.stringify(this.pins, null, 2)}\n`;
    this.saving = this.saving.then(() => writePrivateFile(this.file, text)).catch(() => undefined);
  }

  flush(): Promise<void> {
    return this.saving;
  }
}

/**
 * The client's view of who is online (SPEC.md §15 [profile]: a roster fed by the server's
 * USER_ADVERTISE / USER_REMOVE), and how a typed name becomes a user id.
 *
 * Name resolution, in order: an exact user id; `name@<server id prefix>`; an exact name; a
 * case-insensitive name; a user-id prefix of at least 4 characters. Several matches are
 * "ambiguous" and the caller asks the user to pick with `name@serverprefix` or the id.
 *
 * A user id is bound to the first key this session saw for it: an advertisement carrying
 * another key for the same id is refused (reported as a key change), so a hostile server
 * cannot swap a contact's key mid-session.
 */
import { advertisedName, advertisedPubkey, type UserAdvertisePayload } from '../messages';
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { MAX_REMEMBERED_KEYS, MAX_ROSTER_USERS } from './limits';

export interface RosterEntry {
  readonly userId: string;
  readonly serverId: string;
  /** Display label from meta (display_name / username / name); undefined if none. */
  readonly name: string | undefined;
  readonly key: RsaPublicKey;
}

export type UpsertOutcome =
  | { kind: 'added' | 'updated' | 'unchanged'; entry: RosterEntry }
  | { kind: 'bad-key'; userId: string; detail: string }
  | { kind: 'key-changed'; userId: string; name: string | undefined }
  | { kind: 'full'; userId: string };

export type Resolution =
  | { kind: 'found'; entry: RosterEntry }
  | { kind: 'ambiguous'; candidates: RosterEntry[] }
  | { kind: 'not-found' };

const SERVER_PREFIX_CHARS = 8;

/** What a person sees for a user: its name, else its id. */
export function labelOf(e: Pick<RosterEntry, 'name' | 'userId'>): string {
  return e.name ?? e.userId;
}

function byLabel(a: RosterEntry, b: RosterEntry): number {
  const la = labelOf(a);
  const lb = labelOf(b);
  if (la !== lb) return la < lb ? -1 : 1;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

export class Roster {
  private readonly users = new Map<string, RosterEntry>();
  private readonly firstKeys = new Map<string, string>(); // user id → b64url key first seen
  /** Users seen this session who went offline: DMs to them may queue at their home server. */
  private readonly gone = new Map<string, RosterEntry>();
  /** While a reconnect's snapshot arrives: users the old connection knew and the new one has not advertised yet. */
  private stale: Set<string> | undefined;

  constructor(private readonly maxUsers = MAX_ROSTER_USERS) {}

  upsert(p: UserAdvertisePayload): UpsertOutcome {
    const encoded = advertisedPubkey(p);
    if (encoded === undefined) return { kind: 'bad-key', userId: p.user_id, detail: 'advertisement carries no public key' };
    let key: RsaPublicKey;
    try {
      key = importPublicKeyCached(encoded);
    } catch (e) {
      return { kind: 'bad-key', userId: p.user_id, detail: e instanceof Error ? e.message : 'unparseable key' };
    }
    const name = advertisedName(p.meta);
    const first = this.firstKeys.get(p.user_id);
    if (first !== undefined && first !== key.b64url) return { kind: 'key-changed', userId: p.user_id, name };
    const prev = this.users.get(p.user_id);
    if (!prev && this.users.size >= this.maxUsers) return { kind: 'full', userId: p.user_id };
    if (first === undefined) {
      if (this.firstKeys.size >= MAX_REMEMBERED_KEYS) this.firstKeys.delete(this.firstKeys.keys().next().value!);
      this.firstKeys.set(p.user_id, key.b64url);
    }
    const entry: RosterEntry = { userId: p.user_id, serverId: p.server_id, name, key };
    this.users.set(p.user_id, entry);
    this.stale?.delete(p.user_id);
    if (!prev) return { kind: 'added', entry };
    const same = prev.serverId === entry.serverId && prev.name === entry.name;
    return { kind: same ? 'unchanged' : 'updated', entry };
  }

  /** Conditional removal (§9.2): only if the user is still mapped to that server. */
  remove(userId: string, serverId: string): RosterEntry | undefined {
    const e = this.users.get(userId);
    if (!e || e.serverId !== serverId) return undefined;
    this.users.delete(userId);
    this.rememberOffline(e);
    return e;
  }

  /** An offline user (gone, or known only from a queued DM: first contact) that /tell and /whois still find. */
  rememberOffline(e: RosterEntry): void {
    if (this.users.has(e.userId)) return;
    this.gone.delete(e.userId);
    if (this.gone.size >= this.maxUsers) this.gone.delete(this.gone.keys().next().value!);
    this.gone.set(e.userId, e);
  }

  /** Reconnected: from now on, count who the new server's presence snapshot re-advertises. */
  beginResync(): void {
    this.stale = new Set(this.users.keys());
  }

  /** The snapshot is in: users it did not re-advertise go offline (to `gone`); returns them. */
  endResync(): RosterEntry[] {
    const out: RosterEntry[] = [];
    for (const id of this.stale ?? []) {
      const e = this.users.get(id);
      if (e && this.remove(id, e.serverId)) out.push(e);
    }
    this.stale = undefined;
    return out;
  }

  get(userId: string): RosterEntry | undefined {
    return this.users.get(userId);
  }

  /** Online, or seen this session and gone offline. */
  known(userId: string): RosterEntry | undefined {
    return this.users.get(userId) ?? this.gone.get(userId);
  }

  /** An offline contact by exact name or id (for /tell, which may queue). */
  resolveOffline(query: string): RosterEntry | undefined {
    const q = query.trim();
    const byId = this.gone.get(q);
    if (byId) return this.users.has(byId.userId) ? undefined : byId;
    const named = [...this.gone.values()].filter((e) => e.name === q && !this.users.has(e.userId));
    return named.length === 1 ? named[0] : undefined;
  }

  /** Online users sorted by label, then id. */
  list(): RosterEntry[] {
    return [...this.users.values()].sort(byLabel);
  }

  get size(): number {
    return this.users.size;
  }

  /** True when another online user has the same display name. */
  sharesName(e: RosterEntry): boolean {
    if (e.name === undefined) return false;
    for (const o of this.users.values()) if (o.userId !== e.userId && o.name === e.name) return true;
    return false;
  }

  resolve(query: string): Resolution {
    const q = query.trim();
    if (q.length === 0) return { kind: 'not-found' };
    const exact = this.users.get(q) ?? this.users.get(q.toLowerCase());
    if (exact) return { kind: 'found', entry: exact };
    const all = this.list();
    const at = q.lastIndexOf('@');
    if (at > 0 && at < q.length - 1) {
      const name = q.slice(0, at);
      const prefix = q.slice(at + 1).toLowerCase();
      const r = pick(all.filter((e) => labelOf(e) === name && e.serverId.toLowerCase().startsWith(prefix)));
      if (r.kind !== 'not-found') return r;
    }
    for (const match of [(e: RosterEntry) => e.name === q, (e: RosterEntry) => e.name?.toLowerCase() === q.toLowerCase()]) {
      const r = pick(all.filter(match));
      if (r.kind !== 'not-found') return r;
    }
    if (q.length >= 4) return pick(all.filter((e) => e.userId.startsWith(q.toLowerCase())));
    return { kind: 'not-found' };
  }

  /** The shortest unambiguous handle for each user: its name, or name@serverprefix, or its id. */
  handles(): string[] {
    const counts = new Map<string, number>();
    for (const e of this.users.values()) if (e.name) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
    return this.list().map((e) => handleOf(e, (counts.get(e.name ?? '') ?? 0) > 1));
  }
}

/** `name`, or `name@serverprefix` when the name alone is ambiguous; the id when there is no name. */
export function handleOf(e: RosterEntry, ambiguous: boolean): string {
  if (!e.name || /\s/.test(e.name)) return e.userId;
  return ambiguous ? `${e.name}@${e.serverId.slice(0, SERVER_PREFIX_CHARS)}` : e.name;
}

function pick(matches: RosterEntry[]): Resolution {
  if (matches.length === 0) return { kind: 'not-found' };
  if (matches.length === 1) return { kind: 'found', entry: matches[0]! };
  return { kind: 'ambiguous', candidates: matches };
}

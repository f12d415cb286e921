/**
 * The durable server registry: which servers joined through this introducer, where to dial
 * them and their pinned key. Kept in `<dataDir>/registry.json`, rewritten atomically (temp +
 * fsync + rename) on every membership change; `lastSeen` is refreshed in memory on heartbeats
 * and written with the next change, so heartbeats cost no disk I/O.
 *
 * A server is pruned when it sent CTRL_CLOSE, or when it has been disconnected for
 * `pruneAfterMs`. After a restart every entry starts disconnected with its stored lastSeen, so
 * servers that never come back are pruned one window later.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { AdmissionTicket } from '@socp/protocol';
import { writeFileAtomic } from './data-files';

/** One registered server, as stored in registry.json. */
export interface ServerRecord {
  server_id: string;
  host: string;
  port: number;
  /** base64url(DER SPKI) of the key its join was signed with (pinned). */
  pubkey: string;
  /** Unix ms of the last frame seen from it (or of its disconnect). */
  lastSeen: number;
  connected: boolean;
  /** The admission ticket we signed at its latest join (listed in every WELCOME; docs/contracts.md "Admission"). */
  ticket?: AdmissionTicket;
}

/** registry.json: `{"version":1,"servers":[ServerRecord…]}`. */
interface RegistryFile { version: 1; servers: ServerRecord[] }

/**
 * Upper bound on registered servers: a SERVER_WELCOME lists every other server twice
 * (`servers` with its ticket, ~2.9 KB, and `clients`, ~1.7 KB), and 150 entries keep it well
 * under MAX_FRAME_BYTES (1 MiB). A class mesh has a few dozen servers.
 */
export const MAX_REGISTERED_SERVERS = 150;

export interface RegistryInit { path: string; pruneAfterMs: number }
export interface RegistryComponents { log: { warn(o: object, msg: string): void; error(o: object, msg: string): void } }

function isRecord(v: unknown): v is ServerRecord {
  const r = v as Partial<ServerRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.server_id === 'string' && typeof r.host === 'string'
    && typeof r.port === 'number' && typeof r.pubkey === 'string' && typeof r.lastSeen === 'number';
}

export class Registry {
  private readonly byId = new Map<string, ServerRecord>();
  /** False after a failed write, true again after the next good one (feeds /readyz). */
  healthy = true;
  constructor(private readonly init: RegistryInit, private readonly c: RegistryComponents) {}

  /** Read registry.json (if any). A corrupt file is moved aside and the registry starts empty. */
  load(): void {
    if (!existsSync(this.init.path)) return;
    try {
      const file = JSON.parse(readFileSync(this.init.path, 'utf8')) as Partial<RegistryFile>;
      for (const r of Array.isArray(file.servers) ? file.servers : []) {
        if (isRecord(r)) this.byId.set(r.server_id, { ...r, connected: false });
      }
    } catch (e) {
      const aside = `${this.init.path}.corrupt-${Date.now()}`;
      renameSync(this.init.path, aside);
      this.c.log.error({ err: e, aside }, 'registry file unreadable; moved aside, starting empty');
    }
  }

  get size(): number {
    return this.byId.size;
  }
  get connectedCount(): number {
    let n = 0;
    for (const r of this.byId.values()) if (r.connected) n++;
    return n;
  }
  get(id: string): Readonly<ServerRecord> | undefined {
    return this.byId.get(id);
  }
  /** The registered server holding this key (one entry per key), if any. */
  byKey(pubkey: string): Readonly<ServerRecord> | undefined {
    for (const r of this.byId.values()) if (r.pubkey === pubkey) return r;
    return undefined;
  }
  /** Every registered server except `id`. */
  others(id: string): ServerRecord[] {
    return [...this.byId.values()].filter((r) => r.server_id !== id);
  }

  /** Register or update a server as connected now. */
  upsert(r: Omit<ServerRecord, 'connected' | 'lastSeen'>, now: number): void {
    this.byId.set(r.server_id, { ...r, lastSeen: now, connected: true });
    this.persist();
  }
  touch(id: string, now: number): void {
    const r = this.byId.get(id);
    if (r) r.lastSeen = now;
  }
  markDisconnected(id: string, now: number): void {
    const r = this.byId.get(id);
    if (!r || !r.connected) return;
    r.connected = false;
    r.lastSeen = now;
    this.persist();
  }
  remove(id: string): boolean {
    const had = this.byId.delete(id);
    if (had) this.persist();
    return had;
  }
  /** Remove servers disconnected for at least pruneAfterMs; returns their ids. */
  pruneExpired(now: number): string[] {
    const gone: string[] = [];
    for (const r of this.byId.values()) {
      if (!r.connected && now - r.lastSeen >= this.init.pruneAfterMs) gone.push(r.server_id);
    }
    for (const id of gone) this.byId.delete(id);
    if (gone.length > 0) this.persist();
    return gone;
  }

  /** Write the whole registry atomically; on failure keep serving from memory and report unhealthy. */
  persist(): void {
    const file: RegistryFile = { version: 1, servers: [...this.byId.values()] };
    try {
      writeFileAtomic(this.init.path, `${JSON.stringify(file, null, 1)}\n`, 0o600);
      this.healthy = true;
    } catch (e) {
      this.healthy = false;
      this.c.log.error({ err: e, path: this.init.path }, 'registry write failed');
    }
  }
}

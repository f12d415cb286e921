/**
 * Connections per source address: at most `maxOpen` at once, of which at most `maxPending` not
 * yet identified (no USER_HELLO / server frame accepted yet); and MAX_CONNECTIONS in all. A
 * connection over a cap is
 * closed 1013 ("try again later") right after the upgrade, counted in
 * socp_connections_refused_total{reason} and logged (sampled: REFUSAL_LOG_INTERVAL_MS).
 *
 * The source is the TCP peer address; IPv4-mapped IPv6 counts as IPv4, and IPv6 counts per /64
 * (one subscriber routinely holds a whole /64, so per-address caps would not bind it).
 */
import type { Logger } from '../logger';
import type { ServerMetrics } from '../metrics';
import { MAX_CONNECTIONS, REFUSAL_LOG_INTERVAL_MS } from './limits';

export interface SourceCapsInit { maxOpen: number; maxPending: number }

/** One admitted connection's place in the counts; Connection calls these. */
export interface SourceSlot {
  readonly source: string;
  /** The connection identified itself (no longer pending). Idempotent. */
  identified(): void;
  /** The connection closed. Idempotent. */
  release(): void;
}

/** The counting key of a peer address (see the header). */
export function sourceKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class SourceCaps {
  private readonly open = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private total = 0;
  private refusedSinceLog = 0;
  private lastLog = 0;

  constructor(private readonly init: SourceCapsInit, private readonly c: { log: Logger; metrics: ServerMetrics }) {}

  /** Count a new connection from `address`, or undefined when a cap refuses it (the caller closes it 1013). */
  admit(address: string | undefined, now = Date.now()): SourceSlot | undefined {
    const source = sourceKey(address);
    const open = this.open.get(source) ?? 0;
    const pending = this.pending.get(source) ?? 0;
    const reason = this.total >= MAX_CONNECTIONS ? 'server_full' : open >= this.init.maxOpen ? 'per_ip' : pending >= this.init.maxPending ? 'pending_per_ip' : undefined;
    if (reason !== undefined) {
      this.refused(reason, source, now);
      return undefined;
    }
    this.total++;
    this.open.set(source, open + 1);
    this.pending.set(source, pending + 1);
    let isPending = true;
    let released = false;
    return {
      source,
      identified: () => {
        if (!isPending || released) return;
        isPending = false;
        this.dec(this.pending, source);
      },
      release: () => {
        if (released) return;
        released = true;
        if (isPending) this.dec(this.pending, source);
        this.dec(this.open, source);
        this.total--;
      },
    };
  }

  /** Connections open / pending from one source (tests and metrics). */
  counts(address: string | undefined): { open: number; pending: number } {
    const s = sourceKey(address);
    return { open: this.open.get(s) ?? 0, pending: this.pending.get(s) ?? 0 };
  }

  private dec(m: Map<string, number>, k: string): void {
    const n = (m.get(k) ?? 0) - 1;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
  }

  private refused(reason: 'server_full' | 'per_ip' | 'pending_per_ip', source: string, now: number): void {
    this.c.metrics.connectionsRefused.inc({ reason });
    this.refusedSinceLog++;
    if (now - this.lastLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.c.log.warn({ reason, source, refused: this.refusedSinceLog, limits: this.init, code: 'SOCP_ERR_RATE_LIMITED' }, 'connection refused: too many connections');
    this.lastLog = now;
    this.refusedSinceLog = 0;
  }
}

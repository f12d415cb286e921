/**
 * Client failover (issue 17.3; docs/client.md "Several servers"): which of the configured
 * server URLs to dial. Pure; redial.ts and main.ts dial.
 *
 * - A reconnect starts at the preferred server: the one that holds our account (its home: the
 *   offline queue is delivered only there, at log-in), else the first URL.
 * - A server is taken for gone after FAILOVER_AFTER_FAILURES dials in a row that found nobody
 *   (refused, DNS failure, closed, no answer: TIMEOUT); then the next URL is dialled at once.
 *   Other failures (a changed key, a bad signature, a name in use) are not "gone": they stay
 *   with that server and the reconnect policy decides (reconnect.ts).
 */
import { SocpError } from '@socp/protocol';

/** Dials in a row that found nobody before the next server is tried: one blip is not a dead server. */
export const FAILOVER_AFTER_FAILURES = 2;
/** Server URLs one client takes (a mesh is a handful of servers; a bound on what config may hold). */
export const MAX_SERVER_URLS = 32;

/** A dial that found nobody there (as opposed to a server that answered and refused). */
export const serverGone = (e: unknown): boolean => e instanceof SocpError && e.code === 'TIMEOUT';

export class ServerRotation {
  private index: number;
  private failures = 0;
  private preferred: number;

  constructor(readonly urls: readonly string[], preferred?: string) {
    if (urls.length === 0) throw new SocpError('SOCP_ERR_CONFIG', 'no server URL');
    this.preferred = Math.max(0, preferred === undefined ? 0 : urls.indexOf(preferred));
    this.index = this.preferred;
  }

  get current(): string {
    return this.urls[this.index]!;
  }

  /** The server that holds our account: reconnects start there. */
  prefer(url: string): void {
    const i = this.urls.indexOf(url);
    if (i >= 0) this.preferred = i;
  }

  /** A new reconnect sequence: back to the preferred server, failures forgotten. */
  restart(): void {
    this.index = this.preferred;
    this.failures = 0;
  }

  /** The dial to `current` failed; true when this moved on to the next URL (dial it at once). */
  failed(e: unknown): boolean {
    if (!serverGone(e)) {
      this.failures = 0;
      return false;
    }
    if (++this.failures < FAILOVER_AFTER_FAILURES || this.urls.length < 2) return false;
    this.index = (this.index + 1) % this.urls.length;
    this.failures = 0;
    return true;
  }

  /** Connected to `current`. */
  succeeded(): void {
    this.failures = 0;
  }
}

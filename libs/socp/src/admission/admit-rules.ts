/**
 * The operator's open-federation rules (SOCP_ADMIT; docs/contracts.md "Admission"): which
 * servers are admitted WITHOUT a ticket from our introducers — other SOCP implementations that
 * know nothing of tickets. Off by default (no rules: only ticket holders are admitted).
 *
 *   key:<sha256 hex of the server key's DER SPKI>   this key (the strong form)
 *   addr:<host>:<port>                             whoever advertises this address in its hello
 *                                                  (weaker: the claim is the peer's own; its key is
 *                                                  then pinned on first contact)
 *   *                                              anyone (fully open federation)
 *
 * Entries are separated by commas or white space. Every admission through a rule is logged at
 * warn level by the shells, so an open mesh is never silent.
 */

export interface AdmitRules {
  readonly any: boolean;
  readonly keys: ReadonlySet<string>;
  readonly addrs: ReadonlySet<string>;
}

export const NO_ADMIT_RULES: AdmitRules = { any: false, keys: new Set(), addrs: new Set() };

/** Parse SOCP_ADMIT; `problems` gets one line per bad entry. */
export function parseAdmitRules(text: string | undefined, problems: string[], name = 'SOCP_ADMIT'): AdmitRules {
  const keys = new Set<string>();
  const addrs = new Set<string>();
  let any = false;
  for (const raw of (text ?? '').split(/[\s,]+/).filter((s) => s.length > 0)) {
    const e = raw.trim();
    const key = /^(?:key|sha256):([0-9a-fA-F]{64})$/.exec(e);
    const addr = /^addr:([A-Za-z0-9.\-_[\]:]+):(\d{1,5})$/.exec(e);
    if (e === '*') any = true;
    else if (key) keys.add(key[1]!.toLowerCase());
    else if (addr && Number(addr[2]) >= 1 && Number(addr[2]) <= 65535) addrs.add(`${addr[1]}:${Number(addr[2])}`);
    else problems.push(`${name} entry ${JSON.stringify(e.slice(0, 80))} is not key:<sha256 hex>, addr:<host>:<port> or *`);
  }
  return { any, keys, addrs };
}

export type RuleMatch = 'key' | 'addr' | 'any';

/** Which rule admits a server with this key fingerprint and advertised address, if any. */
export function matchAdmitRule(r: AdmitRules, keySha256: string, host?: string, port?: number): RuleMatch | undefined {
  if (r.keys.has(keySha256)) return 'key';
  if (host !== undefined && port !== undefined && r.addrs.has(`${host}:${port}`)) return 'addr';
  return r.any ? 'any' : undefined;
}

/** Human summary for the start-up log line. */
export function describeAdmitRules(r: AdmitRules): string {
  if (r.any) return 'ANY server (open federation: SOCP_ADMIT=*)';
  const parts = [...[...r.keys].map((k) => `key:${k.slice(0, 16)}…`), ...[...r.addrs].map((a) => `addr:${a}`)];
  return parts.length === 0 ? 'none (tickets only)' : parts.join(', ');
}

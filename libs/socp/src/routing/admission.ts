/**
 * Which servers this server links with, relays for and accepts frames from (docs/SECURITY.md
 * "Admission"). Pinning a server's key (server-trust.ts) says who it is; admission says the
 * operator let it in. A server is admitted when, in this order:
 *
 *  1. it presents (SERVER_HELLO_LINK / SERVER_ANNOUNCE `ticket`) or a pinned introducer's
 *     WELCOME lists it with a valid admission ticket (admission/ticket.ts) — until the ticket
 *     expires; a later ticket extends it;
 *  2. a WELCOME signed by an introducer the operator pinned lists it without a ticket (an
 *     introducer of another implementation that the operator chose to pin) — until restart;
 *  3. an open-federation rule (SOCP_ADMIT: its key, its advertised address, or `*`) matches it.
 *
 * Anything else is SOCP_ERR_NOT_ADMITTED: no pin, no dial, no relay, no frame acted on.
 */
import { matchAdmitRule, type RuleMatch } from '../admission/admit-rules';
import { checkTicket, type AdmissionTicket } from '../admission/ticket';
import { SocpError, type Result } from '../errors';
import type { RsaPublicKey } from '../crypto/keys';
import type { Admission, RoutingState } from './state';

/** What admits a server, with the rule or ticket behind it (for the log line). */
export type AdmissionGrant = Admission & { rule?: RuleMatch; ticket?: AdmissionTicket };

/** The admission of a server now: its recorded one if unexpired, else an operator rule on its pinned key and address. */
export function admissionOf(state: RoutingState, serverId: string, now: number): Admission | undefined {
  const a = state.admitted.get(serverId);
  if (a !== undefined && a.expires > now) return a;
  const key = state.serverPubkeys.get(serverId);
  if (key === undefined) return undefined;
  const addr = state.serverAddrs.get(serverId);
  return matchAdmitRule(state.trust.rules, key.fingerprint(), addr?.host, addr?.port) ? { basis: 'rule', expires: Infinity } : undefined;
}

export interface HelloClaim { serverId: string; key: RsaPublicKey; host: string; port: number; ticket: unknown }

/**
 * What admits a server that says hello (signature already verified under `key`): a valid
 * ticket, an unexpired admission it already holds, or a rule. A presented but invalid ticket is
 * reported when nothing else admits the server. Pure: `admit` records the result.
 */
export function helloAdmission(state: RoutingState, c: HelloClaim, now: number): Result<AdmissionGrant> {
  let ticketError: SocpError | undefined;
  if (c.ticket !== undefined) {
    const t = checkTicket(c.ticket, { serverId: c.serverId, key: c.key, host: c.host, port: c.port }, state.trust.issuers, now);
    if (t.ok) return { ok: true, value: { basis: 'ticket', expires: t.value.expires, ticket: t.value } };
    ticketError = t.error;
  }
  const pinned = state.serverPubkeys.get(c.serverId);
  const held = state.admitted.get(c.serverId);
  if (held !== undefined && held.expires > now && pinned?.equals(c.key)) return { ok: true, value: held };
  const rule = matchAdmitRule(state.trust.rules, c.key.fingerprint(), c.host, c.port);
  if (rule) return { ok: true, value: { basis: 'rule', expires: Infinity, rule } };
  return { ok: false, error: ticketError ?? new SocpError('SOCP_ERR_NOT_ADMITTED', `server ${c.serverId.slice(0, 64)} has no admission ticket and no SOCP_ADMIT rule admits it`) };
}

/** Record an admission (a later expiry wins; a ticket admission replaces a rule one). */
export function admit(state: RoutingState, serverId: string, g: Admission, bindsEnvelopes: boolean): void {
  const held = state.admitted.get(serverId);
  if (held === undefined || g.expires >= held.expires || held.basis === 'rule') state.admitted.set(serverId, { basis: g.basis, expires: g.expires });
  if (bindsEnvelopes) state.bindingServers.add(serverId);
}

/** The capability a ticket or hello announces for bound envelopes (wire/bind.ts). */
export const CAP_BIND = 'bind';

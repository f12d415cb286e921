/**
 * Admission tickets (extension, docs/contracts.md "Admission").
 *
 * An introducer that admitted a server (admission/join-proof.ts, or its key on the operator's
 * allowlist) gives it a ticket in SERVER_WELCOME.payload.ticket, and lists every other server's
 * ticket in the WELCOME entries. The server presents its ticket in SERVER_HELLO_LINK and
 * SERVER_ANNOUNCE (payload.ticket); a server links with, relays for and accepts frames from
 * another server only when it holds a valid ticket for it, signed by an introducer whose key
 * the operator pinned (SOCP_BOOTSTRAP), or the operator's open-federation rules admit it.
 *
 *   ticket = { v: 1, server_id, key_sha256, host, port, caps, issuer, issued, expires, sig }
 *   sig    = base64url(PSS-SHA256(introducer key, canonical({purpose: "socp-admission-ticket/1",
 *                                                             ...every field but sig})))
 *
 * `key_sha256` and `issuer` are SHA-256 fingerprints (hex) of the DER SPKI of the server's and
 * the introducer's key; `caps` lists what the server said it speaks in its join (e.g. "bind");
 * `issued`/`expires` are Unix ms. The `purpose` member keeps a ticket signature from ever being
 * taken for a transport signature (no frame payload has a `purpose` member).
 */
import { SocpError, type Result } from '../errors';
import { b64urlDecode, b64urlEncode } from '../encoding/base64url';
import { canonicalJson } from '../encoding/canonical-json';
import { array, host, id, int, obj, port, str, b64block, SchemaError, type Check } from '../messages/schema';
import type { RsaPrivateKey, RsaPublicKey } from '../crypto/keys';

export const TICKET_PURPOSE = 'socp-admission-ticket/1';
/** Capability names a ticket can carry (a few short words; more is refused as malformed). */
export const MAX_TICKET_CAPS = 8;

export interface AdmissionTicket {
  v: 1;
  server_id: string;
  key_sha256: string;
  host: string;
  port: number;
  caps: string[];
  issuer: string;
  issued: number;
  expires: number;
  sig: string;
}

const hex64 = str(64, /^[0-9a-f]{64}$/);
const ticketShape: Check<AdmissionTicket> = (v, p) => {
  const t = obj({
    v: int(1, 1), server_id: id, key_sha256: hex64, host, port, caps: array(str(32, /^[a-z0-9/_-]+$/), MAX_TICKET_CAPS),
    issuer: hex64, issued: int(0), expires: int(0), sig: b64block,
  })(v, p);
  return t as unknown as AdmissionTicket;
};

function message(t: Omit<AdmissionTicket, 'sig'>): Buffer {
  const { v, server_id, key_sha256, host: h, port: pt, caps, issuer, issued, expires } = t;
  return Buffer.from(canonicalJson({ purpose: TICKET_PURPOSE, v, server_id, key_sha256, host: h, port: pt, caps, issuer, issued, expires }), 'utf8');
}

export interface TicketFields { server_id: string; key: RsaPublicKey; host: string; port: number; caps: readonly string[]; issued: number; expires: number }

/** Sign a ticket with the introducer's key. */
export function issueTicket(introducer: RsaPrivateKey, f: TicketFields): AdmissionTicket {
  const t: Omit<AdmissionTicket, 'sig'> = {
    v: 1, server_id: f.server_id, key_sha256: f.key.fingerprint(), host: f.host, port: f.port, caps: [...f.caps].slice(0, MAX_TICKET_CAPS),
    issuer: introducer.publicKey.fingerprint(), issued: f.issued, expires: f.expires,
  };
  return { ...t, sig: b64urlEncode(introducer.sign(message(t))) };
}

export interface TicketExpectation { serverId: string; key: RsaPublicKey; host?: string; port?: number }

/**
 * Check a ticket someone presented: well-formed, issued by one of `issuers` (fingerprint → pinned
 * introducer key), signature valid, for this server id and key (and address, when given), not
 * expired. Never throws; every failure is SOCP_ERR_NOT_ADMITTED with the reason.
 */
export function checkTicket(ticket: unknown, expect: TicketExpectation, issuers: ReadonlyMap<string, RsaPublicKey>, now: number): Result<AdmissionTicket> {
  const no = (why: string): Result<never> => ({ ok: false, error: new SocpError('SOCP_ERR_NOT_ADMITTED', `admission ticket ${why}`) });
  let t: AdmissionTicket;
  try {
    t = ticketShape(ticket, 'ticket');
  } catch (e) {
    return no(`is malformed (${e instanceof SchemaError ? e.message : 'schema'})`);
  }
  const issuer = issuers.get(t.issuer);
  if (issuer === undefined) return no('is not signed by an introducer this server pins');
  const sig = b64urlDecode(t.sig);
  if (!sig || !issuer.verify(message(t), sig)) return no('signature does not verify');
  if (t.server_id !== expect.serverId) return no(`names server ${t.server_id.slice(0, 64)}, not ${expect.serverId.slice(0, 64)}`);
  if (t.key_sha256 !== expect.key.fingerprint()) return no('is for another key');
  if (expect.host !== undefined && (t.host !== expect.host || t.port !== expect.port)) return no(`is for address ${t.host}:${t.port}`);
  if (t.expires <= now) return no(`expired at ${t.expires}`);
  return { ok: true, value: t };
}

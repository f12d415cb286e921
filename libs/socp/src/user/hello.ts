/**
 * The user's hello (docs/contracts.md "User ↔ server"): the USER_HELLO we send, and what a server
 * frame means while it awaits its answer (pure; the client's connection acts).
 *
 * Servers answer in several dialects (issue 14.3):
 *  - ours: `ACK {msg_ref:"USER_HELLO", server_id, server_pub}`, signed by server_pub;
 *  - `ACK {msg_ref:"USER_HELLO_OK", server_pub}` without server_id (the id is the ACK's `from`);
 *  - no ACK at all: then only a key known beforehand (pinned for the URL, or given out of band
 *    with --server-key) can verify the server, and the handshake completes on the first frame
 *    that verifies under it. Without such a key nothing can: the caller times out and says so.
 * An ACK must verify under the key it presents, and that key must equal the expected one.
 * An ERROR refuses the hello.
 */
import { SocpError } from '../errors';
import { importPublicKey, type RsaPublicKey } from '../crypto/keys';
import { verifyFrame } from '../wire/envelope';
import { withBind } from '../wire/bind';
import type { Frame } from '../messages';
import type { Draft } from './draft';
import type { Sender } from './outbound';

/** The envelope `to` of a USER_HELLO: the server id pinned for that URL, else `"*"` (who we talk to is not known yet). */
export const helloTo = (pinnedServerId: string | undefined): string => pinnedServerId ?? '*';

export interface UserHelloInit {
  /** Our program's name in the payload. */
  client: string;
  /** Claimed as meta.display_name and meta.username (docs/contracts.md); absent: no names. */
  name?: string | undefined;
  /** What we speak beyond the standard, as meta.caps (docs/protocol.md "User capabilities"), e.g. [CAP_FILE_BLOCKS]. */
  caps?: readonly string[] | undefined;
  /** We acknowledge queued DMs, so our server keeps each until we have it (docs/accounts.md). */
  queueAck?: boolean;
  /** An account user's hello signs the server's login nonce (docs/accounts.md). */
  nonce?: string | undefined;
  /** Our key as b64url DER (the profile) or PEM-b64url (for peers that read only PEM keys). */
  keyFormat?: 'der' | 'pem' | undefined;
  /** false: a spec-only hello without `bind` (default: bound). */
  bind?: boolean;
}

/**
 * USER_HELLO. The payload repeats the envelope's type, sender, recipient and time in `bind`
 * (extension, docs/protocol.md): the transport sig covers only the payload, so this makes the
 * signature fresh and bound to this hello — a server requires it for a user id already bound
 * to a key.
 */
export function helloDraft(me: Sender, to: string, ts: number, o: UserHelloInit): Draft<'USER_HELLO'> {
  const pub = o.keyFormat === 'pem' ? me.key.publicKey.toPemBase64Url() : me.key.publicKey.b64url;
  const meta = {
    ...(o.name !== undefined ? { display_name: o.name, username: o.name } : {}),
    ...(o.caps !== undefined && o.caps.length > 0 ? { caps: [...o.caps] } : {}),
  };
  const payload = {
    client: o.client, pubkey: pub, enc_pubkey: pub,
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    ...(o.queueAck ? { queue_ack: true } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
  };
  const frame = { type: 'USER_HELLO' as const, from: me.userId, to, ts, payload };
  return { frame: o.bind === false ? frame : withBind(frame) };
}

export type HelloAnswer =
  | { kind: 'accepted'; serverId: string; key: RsaPublicKey; /** the frame is content too (keep it for the session) */ keep: boolean }
  | { kind: 'refused'; error: SocpError }
  /** Not (yet) the answer: keep it until the handshake completes. */
  | { kind: 'hold' };

const HELLO_ACK_REFS: readonly unknown[] = ['USER_HELLO', 'USER_HELLO_OK'];

/** The wire codes a hello refusal keeps; any other is reported as UNKNOWN_TYPE with its text. */
const KEPT_CODES = ['NAME_IN_USE', 'BAD_KEY'];

export function helloAnswer(f: Frame, expected: RsaPublicKey | undefined, url: string): HelloAnswer {
  if (f.type === 'ERROR') {
    const code = f.payload.code;
    const detail = f.payload.detail ?? '';
    const forged = expected && !verifyFrame(f, expected).ok ? ' (not signed by the pinned server key)' : '';
    return { kind: 'refused', error: new SocpError(KEPT_CODES.includes(code) ? (code as 'BAD_KEY') : 'UNKNOWN_TYPE', `${code}${detail ? `: ${detail}` : ''}${forged}`) };
  }
  if (f.type === 'ACK' && HELLO_ACK_REFS.includes(f.payload.msg_ref)) {
    const serverPub = f.payload['server_pub'];
    const serverId = typeof f.payload['server_id'] === 'string' ? f.payload['server_id'] : f.from;
    if (typeof serverPub !== 'string') {
      if (expected && verifyFrame(f, expected).ok) return { kind: 'accepted', serverId, key: expected, keep: false };
      return { kind: 'refused', error: new SocpError('BAD_KEY', 'the server\'s hello ACK carries no server_pub') };
    }
    let key: RsaPublicKey;
    try {
      key = importPublicKey(serverPub);
    } catch (e) {
      return { kind: 'refused', error: e instanceof SocpError ? e : new SocpError('BAD_KEY', String(e)) };
    }
    if (!verifyFrame(f, key).ok) return { kind: 'refused', error: new SocpError('INVALID_SIG', 'server ACK is not signed by the key it presents') };
    if (expected && !expected.equals(key)) {
      return { kind: 'refused', error: new SocpError('BAD_KEY', `the server at ${url} presents a DIFFERENT key than the one pinned for it in known_servers.json or given with --server-key (fingerprint now ${key.fingerprint().slice(0, 16)}…); refusing to continue`) };
    }
    return { kind: 'accepted', serverId, key, keep: false };
  }
  if (expected && verifyFrame(f, expected).ok) return { kind: 'accepted', serverId: f.from, key: expected, keep: true };
  return { kind: 'hold' };
}

/** Why a hello got no usable answer in time. */
export function helloTimeout(url: string, timeoutMs: number, expected: RsaPublicKey | undefined): SocpError {
  return new SocpError('TIMEOUT', expected
    ? `no answer to USER_HELLO from ${url} within ${timeoutMs} ms: neither a hello ACK nor any frame signed by the pinned server key`
    : `no answer to USER_HELLO from ${url} within ${timeoutMs} ms; a server that sends no hello ACK cannot be verified unless you pin its key out of band (--server-key / SOCP_SERVER_KEY, compare it with the operator's)`);
}

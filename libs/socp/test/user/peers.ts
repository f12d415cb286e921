/** Test identities (real RSA-4096), frames as a real server would deliver them, and the user core fed with them. */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  b64urlEncode, createUserState, directDrafts, generateKeyPair, handleIncoming, publicDrafts, sealDraftsAsync, sealFrame, signContent,
  type Frame, type OutboundCtx, type Recipient, type RsaPrivateKey, type UserAdvertisePayload, type UserEvent, type UserInit, type UserState,
  type UserStep, type Verified,
} from '@socp/protocol';

export interface Peer { userId: string; name: string; key: RsaPrivateKey }

export async function makePeers<N extends string[]>(...names: N): Promise<{ [K in keyof N]: Peer }> {
  const keys = await Promise.all(names.map(() => generateKeyPair()));
  return names.map((name, i) => ({ userId: randomUUID(), name, key: keys[i]! })) as { [K in keyof N]: Peer };
}

export function advertise(p: Peer, serverId: string, keyOverride?: RsaPrivateKey): UserAdvertisePayload {
  const pubkey = (keyOverride ?? p.key).publicKey.b64url;
  return { user_id: p.userId, server_id: serverId, meta: { display_name: p.name, username: p.name, pubkey }, pubkey };
}

/** A USER_DELIVER as our server emits it, signed by `server`. */
export function deliver(server: { id: string; key: RsaPrivateKey }, from: Peer, to: Peer, plain: Buffer | string, opts: { ts?: number; public?: boolean; signer?: RsaPrivateKey; senderPub?: string } = {}): Verified<Frame> {
  const ts = opts.ts ?? Date.now();
  const ciphertext = b64urlEncode(to.key.publicKey.encrypt(Buffer.from(plain)));
  const content_sig = signContent(opts.signer ?? from.key, { ciphertext, from: from.userId, to: opts.public ? undefined : to.userId, ts });
  const payload: Record<string, unknown> = { ciphertext, sender: from.userId, sender_pub: opts.senderPub ?? from.key.publicKey.b64url, content_sig, orig_ts: ts };
  if (opts.public) Object.assign(payload, { group_id: 'public', inner_type: 'MSG_PUBLIC_CHANNEL' });
  return sealFrame({ type: 'USER_DELIVER', from: server.id, to: to.userId, ts, payload: payload as never }, server.key) as Verified<Frame>;
}

/** alice, bob (real keys) and the key of their server, for a test file's beforeAll. */
export async function peersAndServer(): Promise<[Peer, Peer, RsaPrivateKey]> {
  const [[alice, bob], serverKey] = await Promise.all([makePeers('alice', 'bob'), generateKeyPair()]);
  return [alice, bob, serverKey];
}

/** A FILE_* frame from `from` to `to` as their server (`serverKey`) hands it over: envelope from = the sender, payload + sender. */
export const fileFrame = (serverKey: RsaPrivateKey, from: Peer, to: Peer, type: 'FILE_START' | 'FILE_CHUNK' | 'FILE_END', payload: Record<string, unknown>, ts = Date.now()): Verified<Frame> =>
  sealFrame({ type, from: from.userId, to: to.userId, ts, payload: { ...payload, sender: from.userId } as never }, serverKey) as Verified<Frame>;

/** Time and randomness for the builders, as the CLI passes them. */
export const sendCtx: OutboundCtx = { clock: Date.now, random: (n) => randomBytes(n) };
/** /tell's frames from `me`, sealed (what the CLI sends). */
export const directFrames = (me: Peer, to: Recipient, text: string, receipts = false): Promise<Frame[]> =>
  sealDraftsAsync(directDrafts(me, to, text, sendCtx, receipts), me.key);
/** /all's frames from `me`, sealed. */
export const publicFrames = (me: Peer, to: readonly Recipient[], text: string): Promise<Frame[]> => sealDraftsAsync(publicDrafts(me, to, text, sendCtx), me.key);

/** `me`'s core state with `online` in the roster (as advertised by server `serverId`). */
export function userState(me: Peer, online: readonly Peer[] = [], init: UserInit = {}, serverId = '11111111-1111-4111-8111-111111111111'): UserState {
  const s = createUserState(me, init);
  for (const p of online) s.roster.upsert(advertise(p, serverId));
  return s;
}
/** What the core makes of one frame. */
export const stepOf = (s: UserState, f: Verified<Frame>, now = Date.now()): UserStep => handleIncoming(s, f, { now });
/** The events of one frame. */
export const eventsOf = (s: UserState, f: Verified<Frame>, now = Date.now()): UserEvent[] => stepOf(s, f, now).events;
/** The queue refs one step acknowledges. */
export const ackedOf = (step: UserStep): string[] => step.effects.flatMap((e) => (e.kind === 'ackQueued' ? [e.ref] : []));

/**
 * The user side of a connection (§10.1 + [profile]): authenticating user frames, USER_HELLO,
 * and disconnect. A user id belongs to its key holder (docs/SECURITY.md "User identity").
 *
 * A hello is PROVEN when it is signed by the key it presents and either carries `payload.bind`
 * naming this very envelope (wire/bind.ts; `to` = this server's id or "*", fresh, never seen
 * before) or follows an account log-in on the same connection (its nonce, checked by the
 * shell's account service). Only proven keys are bound for good (`userKeys`, persisted and
 * gossiped with `proven: true`); an unproven hello (a spec-only client: unsigned, or signed
 * without `bind`) may use an id nobody has bound, for as long as it stays online.
 *
 * USER_HELLO rules, in order (each refusal leaves the state untouched):
 *  1. `from` is a UUID, `ts` within MAX_CLOCK_SKEW_MS, a signed hello not replayed, a bound
 *     hello addressed to us                                                 (UNKNOWN_TYPE / INVALID_SIG)
 *  2. payload.pubkey is RSA-4096 with e = 65537                              (BAD_KEY)
 *  3. a non-empty `sig` verifies under that key                              (INVALID_SIG, authenticateUserFrame)
 *  4. the id is not online here or at another linked server — unless that session is unproven
 *     and this hello is proven (the key holder wins; the old session is closed) (NAME_IN_USE)
 *  5. an id bound to a key needs a proven hello, with that key               (INVALID_SIG / BAD_KEY)
 *  6. meta.username / meta.display_name are no other user's account name, and not held by
 *     another user online here                                               (NAME_IN_USE)
 * On accept: local_users, user_locations = "local", a proven key bound and persisted, names
 * held while online, meta.caps kept for our USER_ADVERTISE, ACK {msg_ref:"USER_HELLO", server_id, server_pub}, presence snapshot to the
 * user, USER_ADVERTISE to servers and local users, public-channel join.
 */
import { MAX_CLOCK_SKEW_MS } from '../constants';
import { SocpError, type Result } from '../errors';
import { importPublicKeyCached, type RsaPublicKey } from '../crypto/keys';
import { acceptUnsigned, dedupeKey, verifyFrame, type Verified } from '../wire/envelope';
import { bindMatches } from '../wire/bind';
import { UUID_ANYCASE_RE, USER_TO_SERVER_TYPES, userCaps, type Frame, type FrameOf } from '../messages';
import { fail, refuse, seal, type Effect, type Step } from './effects';
import { MAX_KNOWN_USERS, MAX_LOCAL_USERS, MAX_NAME_BINDINGS, MAX_USER_BINDINGS } from './limits';
import { advertiseFrame, presenceSnapshot, removeFrame } from './presence';
import { channelJoin } from './public-channel';
import { wantsQueueAck } from './queue-acks';
import { keyOfUser } from './user-keys';
import { helloProofOf } from './hello-proof';
import type { DirectoryEntry, RoutingCtx, RoutingState } from './state';

export function checkFresh(ts: number, now: number): SocpError | undefined {
  return Math.abs(now - ts) > MAX_CLOCK_SKEW_MS ? new SocpError('SOCP_ERR_REPLAY', `ts ${ts} is outside the ±${MAX_CLOCK_SKEW_MS} ms freshness window`) : undefined;
}

function importKey(encoded: string): RsaPublicKey {
  try {
    return importPublicKeyCached(encoded);
  } catch (e) {
    throw e instanceof SocpError ? e : fail('BAD_KEY', 'unparseable key');
  }
}

/**
 * Authenticate a frame on a user connection. `userId` is the connection's user once its
 * USER_HELLO was accepted. A non-empty `sig` must verify under the user's bound key; an
 * empty one is accepted (user content carries its content_sig, checked by the handler).
 */
export function authenticateUserFrame(state: RoutingState, frame: Frame, userId: string | undefined): Result<Verified<Frame>> {
  try {
    if (frame.type === 'USER_HELLO') {
      if (userId !== undefined) throw fail('SOCP_ERR_NOT_ALLOWED', 'USER_HELLO twice on one connection');
      const key = importKey(frame.payload.pubkey);
      if (frame.sig === '') return { ok: true, value: acceptUnsigned(frame, 'unsigned-hello') };
      return verifyFrame(frame, key);
    }
    if (userId === undefined) throw fail('SOCP_ERR_NOT_ALLOWED', `${frame.type} before USER_HELLO`);
    if (!USER_TO_SERVER_TYPES.has(frame.type)) throw fail('SOCP_ERR_NOT_ALLOWED', `${frame.type} is not a user frame`);
    if (frame.from !== userId && frame.type !== 'CTRL_CLOSE') throw fail('SOCP_ERR_NOT_ALLOWED', 'from is not the connected user');
    if (frame.sig === '') return { ok: true, value: acceptUnsigned(frame, 'unsigned-user-content') };
    const bound = keyOfUser(state, userId);
    if (bound === undefined) throw fail('SOCP_ERR_UNKNOWN_SENDER', 'no key bound to the connected user');
    return verifyFrame(frame, importKey(bound));
  } catch (e) {
    return { ok: false, error: e instanceof SocpError ? e : fail('SOCP_ERR_INTERNAL', String(e)) };
  }
}

function claimedNames(meta: Record<string, unknown> | undefined): string[] {
  if (!meta) return [];
  const names = [meta['username'], meta['display_name']].filter((n): n is string => typeof n === 'string' && n.length > 0);
  return [...new Set(names)];
}

/** Options from the shell: `accountLogin` = this hello follows a verified account log-in on its connection. */
export interface HelloOptions { accountLogin?: boolean }

/** Signed by the key it presents, and bound to this envelope (or following a log-in): possession proven now, here. */
function isProven(f: Verified<FrameOf<'USER_HELLO'>>, opts: HelloOptions): boolean {
  return f.sig !== '' && (opts.accountLogin === true || bindMatches(f) === true);
}

/** Forget a local session without telling anyone (its id is being taken over by a proven holder). */
export function evictLocal(state: RoutingState, userId: string, why: string, ctx: RoutingCtx, effects: Effect[]): void {
  const connId = state.localUsers.get(userId);
  if (connId === undefined) return;
  const e = state.directory.get(userId);
  state.localUsers.delete(userId);
  state.userLocations.delete(userId);
  state.directory.delete(userId);
  releaseNames(state, userId, e);
  effects.push(...refuse(connId, { type: 'USER_HELLO', from: userId }, fail('NAME_IN_USE', why), ctx.selfId, ctx.now));
  effects.push({ kind: 'close', connId, code: 1008, reason: 'NAME_IN_USE' });
  effects.push({ kind: 'log', level: 'info', msg: 'unproven session replaced by the key holder', fields: { userId } });
}

function releaseNames(state: RoutingState, userId: string, e: DirectoryEntry | undefined): void {
  for (const n of claimedNames(e?.meta)) if (state.onlineNames.get(n) === userId) state.onlineNames.delete(n);
}

export function handleUserHello(state: RoutingState, f: Verified<FrameOf<'USER_HELLO'>>, connId: string, ctx: RoutingCtx, opts: HelloOptions = {}): Step & { accepted: boolean } {
  const uid = f.from;
  const no = (e: SocpError): Step & { accepted: boolean } => ({ accepted: false, effects: refuse(connId, f, e, ctx.selfId, ctx.now) });
  if (!UUID_ANYCASE_RE.test(uid)) return no(fail('SOCP_ERR_SCHEMA', 'USER_HELLO.from must be a UUID'));
  const stale = checkFresh(f.ts, ctx.now);
  if (stale) return no(stale);
  // A signed hello proves key possession; a captured one must not be replayable.
  const helloKey = f.sig === '' ? undefined : dedupeKey(f);
  if (helloKey !== undefined && state.seen.has(helloKey, ctx.now)) return no(new SocpError('SOCP_ERR_REPLAY', 'USER_HELLO was seen before'));
  if (bindMatches(f) === true && f.to !== ctx.selfId && f.to !== '*') return no(new SocpError('SOCP_ERR_REPLAY', `USER_HELLO is bound to server ${f.to.slice(0, 64)}, not to this one`));
  let key: RsaPublicKey;
  try {
    key = importKey(f.payload.pubkey);
  } catch (e) {
    return no(e as SocpError);
  }
  const pub = key.toBase64Url();
  const proven = isProven(f, opts);
  const current = state.directory.get(uid);
  const displaces = proven && current !== undefined && !current.proven;
  const loc = state.userLocations.get(uid);
  if (loc === 'local' && !displaces) return no(fail('NAME_IN_USE', `user ${uid} is already connected here`));
  if (loc !== undefined && loc !== 'local' && state.servers.has(loc) && !displaces) return no(fail('NAME_IN_USE', `user ${uid} is online at server ${loc}`));
  const bound = state.userKeys.get(uid);
  if (bound !== undefined && !proven) return no(fail('INVALID_SIG', `user ${uid} is bound to a key: its USER_HELLO must be signed by that key and carry payload.bind {type, from, to, ts} (or follow a log-in)`));
  if (bound !== undefined && bound !== pub) return no(fail('BAD_KEY', `user ${uid} is bound to another key`));
  const names = claimedNames(f.payload.meta);
  for (const n of names) {
    // An account's name is its own, even while a user without an account shows it.
    const account = state.names.get(n);
    const online = state.onlineNames.get(n);
    if (account !== undefined ? account !== uid : online !== undefined && online !== uid) return no(fail('NAME_IN_USE', `name ${JSON.stringify(n)} is taken`));
  }
  if (state.localUsers.size >= MAX_LOCAL_USERS || (!state.directory.has(uid) && state.directory.size >= MAX_KNOWN_USERS)) return no(fail('SOCP_ERR_RATE_LIMITED', 'server is full'));
  if (proven && bound === undefined && state.userKeys.size >= MAX_USER_BINDINGS) return no(fail('SOCP_ERR_RATE_LIMITED', 'user binding table is full'));
  const isAccount = state.accounts.has(uid);
  if (!isAccount && names.some((n) => !state.onlineNames.has(n)) && state.onlineNames.size >= MAX_NAME_BINDINGS) return no(fail('SOCP_ERR_RATE_LIMITED', 'name table is full'));

  const effects: Effect[] = [];
  if (displaces && loc === 'local') evictLocal(state, uid, 'this user id was claimed by the holder of its key', ctx, effects);
  if (helloKey !== undefined) {
    state.seen.firstSeen(helloKey, ctx.now);
    effects.push({ kind: 'persist', op: { op: 'seen', key: helloKey, expiresAt: ctx.now + state.seen.ttlMs } });
  }
  state.localUsers.set(uid, connId);
  state.userLocations.set(uid, 'local');
  if (proven && bound === undefined) {
    state.userKeys.set(uid, pub);
    effects.push({ kind: 'persist', op: { op: 'bindUserKey', userId: uid, pubkey: pub } });
  }
  if (!isAccount) for (const n of names) if (!state.names.has(n)) state.onlineNames.set(n, uid);
  const meta: Record<string, unknown> = {};
  if (f.payload.meta?.display_name !== undefined) meta['display_name'] = f.payload.meta.display_name;
  if (f.payload.meta?.username !== undefined) meta['username'] = f.payload.meta.username;
  const caps = userCaps(f.payload.meta); // relayed in our USER_ADVERTISE (docs/protocol.md "User capabilities")
  if (caps.length > 0) meta['caps'] = caps;
  if (isAccount) meta['home'] = ctx.selfId; // offline DMs for this user queue here
  if (isAccount && wantsQueueAck(f.payload)) state.queueAcks.set(uid, { connId, pending: new Map(), bytes: 0, issued: 0 });
  const entry: DirectoryEntry = { userId: uid, serverId: ctx.selfId, pubkey: pub, meta, ts: ctx.now, proven };
  if (f.payload.pubkey !== pub) entry.sentPubkey = f.payload.pubkey;
  const proof = proven ? helloProofOf(f) : undefined;
  if (proof !== undefined) entry.proof = proof;
  state.directory.set(uid, entry);
  if (proven) effects.push({ kind: 'persist', op: { op: 'userUpsert', userId: uid, pubkey: pub, meta } });
  effects.push({ kind: 'presenceSet', userId: uid, location: 'local' });
  effects.push({ kind: 'sendToUser', userId: uid, out: seal({ type: 'ACK', from: ctx.selfId, to: uid, ts: ctx.now, payload: { msg_ref: 'USER_HELLO', server_id: ctx.selfId, server_pub: ctx.selfPub } }) });
  effects.push(...presenceSnapshot(state, uid, ctx));
  const adv = seal(advertiseFrame(entry, ctx.selfId, '*'));
  effects.push({ kind: 'broadcastServers', except: [], out: adv });
  effects.push({ kind: 'broadcastUsers', except: [uid], out: adv });
  // An unproven user is a member while online, but nothing of it is stored (its wrap neither).
  effects.push(...channelJoin(state, uid, pub, ctx).filter((e) => proven || !(e.kind === 'persist' && e.op.op === 'channelMember')));
  effects.push({ kind: 'log', level: 'info', msg: 'user connected', fields: { userId: uid, proven } });
  return { accepted: true, effects };
}

/** The user's connection closed: forget it locally, USER_REMOVE to servers and local users. */
export function handleUserGone(state: RoutingState, userId: string, connId: string, ctx: RoutingCtx): Step {
  if (state.localUsers.get(userId) !== connId) return { effects: [] };
  releaseNames(state, userId, state.directory.get(userId));
  state.localUsers.delete(userId);
  state.userLocations.delete(userId);
  state.directory.delete(userId);
  state.queueAcks.delete(userId); // what it did not ACK stays queued for the next log-in
  const rm = seal(removeFrame(userId, ctx.selfId, ctx.selfId, ctx.now));
  return {
    effects: [
      { kind: 'presenceDelete', userId },
      { kind: 'broadcastServers', except: [], out: rm },
      { kind: 'broadcastUsers', except: [], out: rm },
      { kind: 'log', level: 'info', msg: 'user disconnected', fields: { userId } },
    ],
  };
}

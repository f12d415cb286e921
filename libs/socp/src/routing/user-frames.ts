/**
 * Frames a connected user sends (after USER_HELLO): MSG_DIRECT (incl. G43's `public: true`),
 * MSG_PUBLIC_CHANNEL (per recipient, or to "public"), FILE_START/CHUNK/END, LIST_REQUEST,
 * PUBLIC_CHANNEL_KEY_SHARE, ACK (of queued DMs: routing/queue-acks.ts; otherwise harmless) and the
 * harmless ERROR/CTRL_CLOSE.
 *
 * Before routing user content we check: ts within the freshness window, not a replay
 * (seen_ids), sender_pub equals the key bound to the sender, content_sig verifies (variants
 * C, D, B, A; the public form drops `to`). Any failure → ERROR to the sender, no state change
 * except remembering the frame's dedupe key once it was accepted.
 */
import { SocpError } from '../errors';
import { dedupeKey, type Verified } from '../wire/envelope';
import type { Frame, FrameOf, InnerType } from '../messages';
import { fail, refuse, seal, type Effect, type Step } from './effects';
import { routeOffline, routeToUser, type Deliverable } from './deliver';
import { MAX_LIST_RESPONSE_USERS } from './limits';
import { checkKeyShare, routeKeyShare } from './public-channel';
import { checkContent, type SignedContent } from './user-keys';
import { handleUserAck } from './queue-acks';
import { checkFresh } from './user-session';
import type { RoutingCtx, RoutingState } from './state';

function notFound(connId: string, f: Frame, ctx: RoutingCtx): Effect[] {
  return refuse(connId, f, fail('USER_NOT_FOUND', `recipient ${f.to.slice(0, 64)} is not registered`), ctx.selfId, ctx.now, contentRef(f));
}

/** Names a refused content frame in its ERROR, so the sender can tell which message failed. */
const contentRef = (f: Frame): Record<string, unknown> => ({ msg_ref: dedupeKey(f), to: f.to, ts: f.ts });
const CONTENT_TYPES: ReadonlySet<string> = new Set(['MSG_DIRECT', 'MSG_PUBLIC_CHANNEL', 'FILE_START', 'FILE_CHUNK', 'FILE_END', 'PUBLIC_CHANNEL_KEY_SHARE']);

/** Fan a to:"public" message out to local users and (as to:"*", signed by us) to every server. */
function publicFanOut(state: RoutingState, f: FrameOf<'MSG_PUBLIC_CHANNEL'>, userId: string, ctx: RoutingCtx): Effect[] {
  const out: Effect[] = [];
  for (const uid of state.localUsers.keys()) {
    if (uid === userId) continue;
    routeToUser(state, { innerType: 'MSG_PUBLIC_CHANNEL', sender: userId, recipient: uid, ts: f.ts, payload: { ...f.payload } }, ctx, out);
  }
  const payload = { ...f.payload, sender: userId, orig_ts: f.ts, group_id: 'public' };
  out.push({ kind: 'broadcastServers', except: [], out: seal({ type: 'MSG_PUBLIC_CHANNEL', from: ctx.selfId, to: '*', ts: f.ts, payload }) });
  return out;
}

function content(state: RoutingState, f: Verified<Frame>, userId: string, connId: string, ctx: RoutingCtx): Effect[] {
  const stale = checkFresh(f.ts, ctx.now);
  if (stale) throw stale;
  const key = dedupeKey(f);
  if (state.seen.has(key, ctx.now)) throw new SocpError('SOCP_ERR_REPLAY', 'frame was seen before');
  const effects: Effect[] = [];
  let d: Deliverable | undefined;
  switch (f.type) {
    case 'MSG_DIRECT':
      checkContent(state, userId, f.payload, f.to, f.ts, true);
      d = { innerType: 'MSG_DIRECT', sender: userId, recipient: f.to, ts: f.ts, payload: { ...f.payload }, userRef: key };
      break;
    case 'MSG_PUBLIC_CHANNEL':
      if (f.to === 'public' || f.to === '*') {
        checkContent(state, userId, f.payload, undefined, f.ts, true);
        effects.push(...publicFanOut(state, f, userId, ctx));
      } else {
        checkContent(state, userId, { ...f.payload, group_id: 'public' } as SignedContent, f.to, f.ts, true);
        d = { innerType: 'MSG_PUBLIC_CHANNEL', sender: userId, recipient: f.to, ts: f.ts, payload: { ...f.payload } };
      }
      break;
    case 'FILE_CHUNK':
      checkContent(state, userId, f.payload, f.to, f.ts, false);
      d = { innerType: 'FILE_CHUNK', sender: userId, recipient: f.to, ts: f.ts, payload: { ...f.payload } };
      break;
    case 'FILE_START':
    case 'FILE_END':
      d = { innerType: f.type as InnerType, sender: userId, recipient: f.to, ts: f.ts, payload: { ...f.payload } };
      break;
    case 'PUBLIC_CHANNEL_KEY_SHARE':
      checkKeyShare(state, f, userId);
      effects.push(...routeKeyShare(state, f, ctx, false));
      break;
    default:
      throw fail('SOCP_ERR_INTERNAL', `content() got ${f.type}`);
  }
  if (d) {
    const r = routeToUser(state, d, ctx, effects);
    const outcome = r === 'not_found' ? routeOffline(state, d, ctx, effects) : r;
    if (outcome === 'not_found') return notFound(connId, f, ctx);
    // Delivery status extension: the sender learns its DM waits at the recipient's home server.
    if (outcome === 'queued') effects.push({ kind: 'sendToUser', userId, out: seal({ type: 'ACK', from: ctx.selfId, to: userId, ts: ctx.now, payload: { msg_ref: key, status: 'queued', to: d.recipient, ts: f.ts } }) });
  }
  state.seen.firstSeen(key, ctx.now);
  effects.push({ kind: 'persist', op: { op: 'seen', key, expiresAt: ctx.now + state.seen.ttlMs } });
  return effects;
}

/** A user's ACK or ERROR with nothing to act on: logged, nothing else. */
const ignored = (f: Verified<Frame>): Step => ({ effects: [{ kind: 'log', level: 'debug', msg: `user sent ${f.type}`, fields: { code: (f.payload as { code?: string }).code } }] });

export function handleUserFrame(state: RoutingState, f: Verified<Frame>, userId: string, connId: string, ctx: RoutingCtx): Step {
  try {
    switch (f.type) {
      case 'MSG_DIRECT':
      case 'MSG_PUBLIC_CHANNEL':
      case 'FILE_START':
      case 'FILE_CHUNK':
      case 'FILE_END':
      case 'PUBLIC_CHANNEL_KEY_SHARE':
        return { effects: content(state, f, userId, connId, ctx) };
      case 'LIST_REQUEST': {
        const entries = [...state.directory.values()].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)).slice(0, MAX_LIST_RESPONSE_USERS);
        const users = entries.map((e) => {
          const name = e.meta['display_name'] ?? e.meta['username'];
          return typeof name === 'string' ? { user_id: e.userId, server_id: e.serverId, display_name: name } : { user_id: e.userId, server_id: e.serverId };
        });
        return { effects: [{ kind: 'sendToUser', userId, out: seal({ type: 'LIST_RESPONSE', from: ctx.selfId, to: userId, ts: ctx.now, payload: { online_users: entries.map((e) => e.userId), users } }) }] };
      }
      case 'CTRL_CLOSE':
        return { effects: [{ kind: 'close', connId, code: 1000, reason: 'CTRL_CLOSE' }] };
      case 'ACK':
        return handleUserAck(state, f, userId, connId, ctx) ?? ignored(f);
      case 'ERROR':
        return ignored(f);
      default:
        throw fail('SOCP_ERR_NOT_ALLOWED', `${f.type} is not a user frame`);
    }
  } catch (e) {
    const err = e instanceof SocpError ? e : fail('SOCP_ERR_INTERNAL', String(e));
    return { effects: refuse(connId, f, err, ctx.selfId, ctx.now, CONTENT_TYPES.has(f.type) ? contentRef(f) : {}) };
  }
}

/**
 * Client-acknowledged hand-over of the offline queue (docs/accounts.md "Delivery at log-in"), so
 * a queued DM is never deleted before the user's client has it.
 *
 *  capability  an account user's USER_HELLO carries payload `queue_ack: true` (any other value,
 *              or none, is a client that does not ACK: the queue is drained at once, as before).
 *  offer       the shell reads the queue WITHOUT deleting it and hands the raw entries here; each
 *              goes out as before (USER_DELIVER, `queued: true`) plus payload `queue_ref`, a string
 *              unique on this connection. The connection remembers ref → raw entry (bounded).
 *  ACK         a signed user ACK (`msg_ref`, and `msg_refs` as in hop ACKs) naming pending refs of
 *              THIS connection removes exactly those entries (persist op `dequeue`). Unknown refs
 *              are ignored; an unsigned ACK naming pending refs is refused INVALID_SIG.
 *  close       what was not ACKed stays queued and comes again at the next log-in (queue TTL
 *              still applies); our CLI shows a redelivery only once, across runs too.
 */
import type { Frame, FrameOf } from '../messages';
import type { AckPayload } from '../messages/control';
import type { UnsignedFrame, Verified } from '../wire/envelope';
import { ackedRefs } from '../wire/acks';
import { fail, refuse, seal, type Effect, type Step } from './effects';
import type { RoutingCtx, RoutingState } from './state';

/** Entries one connection may have outstanding: the queue's own bound (MAX_QUEUED_PER_USER). */
export const MAX_PENDING_QUEUE_REFS = 500;
/**
 * Raw bytes of outstanding entries one connection may hold (a DM entry is ~3 KB, so a full
 * queue of ordinary DMs fits ~5 times). Entries past it stay queued for the next log-in.
 */
export const MAX_PENDING_QUEUE_BYTES = 8 * 1024 * 1024;

/** The hello asked for acknowledged delivery (only an exact `true` counts: tolerant of every other form). */
export const wantsQueueAck = (p: FrameOf<'USER_HELLO'>['payload']): boolean => p.queue_ack === true;

/** How the shell should read this user's queue now: keep it until ACKed, take it, or not at all (the user left). */
export function queueReadMode(state: RoutingState, userId: string, connId: string): 'ack' | 'drain' | undefined {
  if (state.localUsers.get(userId) !== connId) return undefined;
  return state.queueAcks.get(userId)?.connId === connId ? 'ack' : 'drain';
}

export interface QueueOffer extends Step {
  /** Entries sent, and entries kept back for the next log-in (over MAX_PENDING_QUEUE_*). */
  sent: number;
  held: number;
}

/**
 * The raw queue entries (oldest first) as frames to the user. In 'ack' mode each carries a
 * queue_ref and is remembered; an entry that does not parse is dropped from the queue (it never
 * gets better). In 'drain' mode the shell has already deleted them.
 */
export function offerQueued(state: RoutingState, userId: string, connId: string, raws: readonly string[], ctx: RoutingCtx): QueueOffer {
  const mode = queueReadMode(state, userId, connId);
  // Left (or back on another connection, which reads the queue itself) while the shell read it.
  if (mode === undefined) return { effects: [], sent: 0, held: 0 };
  const session = mode === 'ack' ? state.queueAcks.get(userId) : undefined;
  const effects: Effect[] = [];
  const corrupt: string[] = [];
  let held = 0;
  for (const raw of raws) {
    const f = parseEntry(raw);
    if (f === undefined) {
      corrupt.push(raw);
      continue;
    }
    let payload = f.payload as Record<string, unknown>;
    if (session !== undefined) {
      if (session.pending.size >= MAX_PENDING_QUEUE_REFS || session.bytes + raw.length > MAX_PENDING_QUEUE_BYTES) {
        held++;
        continue;
      }
      const ref = `q${(session.issued++).toString(36)}`;
      session.pending.set(ref, raw);
      session.bytes += raw.length;
      payload = { ...payload, queue_ref: ref };
    }
    effects.push({ kind: 'sendToUser', userId, out: seal({ ...f, from: ctx.selfId, payload } as UnsignedFrame) });
  }
  if (session !== undefined && corrupt.length > 0) effects.push({ kind: 'persist', op: { op: 'dequeue', userId, entries: corrupt } });
  const sent = effects.filter((e) => e.kind === 'sendToUser').length;
  if (sent + held + corrupt.length > 0) {
    effects.push({ kind: 'log', level: 'info', msg: 'delivering queued messages', fields: { userId, mode, count: sent, held, corrupt: corrupt.length } });
  }
  return { effects, sent, held };
}

function parseEntry(raw: string): UnsignedFrame | undefined {
  try {
    const f = JSON.parse(raw) as Partial<UnsignedFrame>;
    if (typeof f !== 'object' || f === null || typeof f.type !== 'string' || typeof f.to !== 'string' || typeof f.ts !== 'number') return undefined;
    if (typeof f.payload !== 'object' || f.payload === null) return undefined;
    return f as UnsignedFrame;
  } catch {
    return undefined;
  }
}

/**
 * A user's ACK: the pending queue entries it names (on this connection) are removed from the
 * queue. undefined when this connection has nothing pending: the ACK is harmless and ignored,
 * as any user ACK was before (the caller logs it).
 */
export function handleUserAck(state: RoutingState, f: Verified<Frame>, userId: string, connId: string, ctx: RoutingCtx): Step | undefined {
  const session = state.queueAcks.get(userId);
  if (f.type !== 'ACK' || session === undefined || session.connId !== connId || session.pending.size === 0) return undefined;
  const refs = ackedRefs(f.payload as AckPayload);
  if (!refs.some((r) => session.pending.has(r))) return { effects: [] };
  // Deleting what the user holds needs the user's own signature, not just its connection.
  if (f.sig === '') return { effects: refuse(connId, f, fail('INVALID_SIG', 'an ACK of queued messages must be signed'), ctx.selfId, ctx.now) };
  const entries: string[] = [];
  for (const r of refs) {
    const raw = session.pending.get(r);
    if (raw === undefined) continue;
    session.pending.delete(r);
    session.bytes -= raw.length;
    entries.push(raw);
  }
  return {
    effects: [
      { kind: 'persist', op: { op: 'dequeue', userId, entries } },
      { kind: 'log', level: 'debug', msg: 'queued messages acknowledged', fields: { userId, count: entries.length, outstanding: session.pending.size } },
    ],
  };
}

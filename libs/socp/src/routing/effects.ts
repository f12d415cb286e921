/**
 * What the routing core asks the shell to do (S1). The core never touches a socket or Redis;
 * `services/server/src/effect-runner.ts` carries these out.
 *
 * Outbound frames are either `seal` (an unsigned frame this server originates; the runner signs
 * it once off the event loop, serialises it once, and may send the same text to many sockets)
 * or `relay` (a verified frame forwarded unchanged: original `from` and `sig` kept, §8.1).
 */
import { SocpError, type SocpErrorCode } from '../errors';
import type { UnsignedFrame, Verified } from '../wire/envelope';
import type { Frame, FrameType } from '../messages';

export type Outbound = { seal: UnsignedFrame } | { relay: Verified<Frame> };

/** Durable writes (adapters/redis-store.ts maps each onto keys; docs/redis.md). */
export type PersistOp =
  | { op: 'bindUserKey'; userId: string; pubkey: string }
  | { op: 'bindName'; name: string; userId: string }
  | { op: 'pinServer'; serverId: string; pubkey: string }
  | { op: 'serverAddr'; serverId: string; host: string; port: number }
  | { op: 'userUpsert'; userId: string; pubkey: string; meta: Record<string, unknown> }
  | { op: 'channelVersion'; version: number }
  | { op: 'channelMember'; memberId: string; wrappedKey: string; version: number; addedAt: number }
  | { op: 'seen'; key: string; expiresAt: number }
  /** A final-hop frame for an offline account user, kept (still E2E encrypted) until log-in. */
  | { op: 'enqueue'; userId: string; frame: UnsignedFrame }
  /** Queued entries the user's client acknowledged (routing/queue-acks.ts), each removed once by its exact raw value. */
  | { op: 'dequeue'; userId: string; entries: readonly string[] }
  | { op: 'home'; userId: string; serverId: string };

export type Effect =
  | { kind: 'sendToUser'; userId: string; out: Outbound }
  | { kind: 'sendToServer'; serverId: string; out: Outbound }
  | { kind: 'broadcastServers'; except: readonly string[]; out: Outbound }
  | { kind: 'broadcastUsers'; except: readonly string[]; out: Outbound }
  | { kind: 'sendToConnection'; connId: string; out: Outbound }
  /** Acknowledge an accepted SERVER_DELIVER on its connection; the runner batches these into one signed ACK (routing/delivery-acks.ts). */
  | { kind: 'hopAck'; connId: string; from: string; to: string; msgRef: string }
  | { kind: 'close'; connId: string; code: number; reason: string }
  | { kind: 'presenceSet'; userId: string; location: string }
  | { kind: 'presenceDelete'; userId: string }
  | { kind: 'persist'; op: PersistOp }
  /** Open (or keep) an outbound link to a server we just learnt about. */
  | { kind: 'dial'; serverId: string; host: string; port: number }
  /** A refused frame: the runner counts it (socp_frames_rejected_total{type,reason}) and logs it. */
  | { kind: 'reject'; frameType: FrameType | 'unknown'; reason: SocpErrorCode; detail: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn'; msg: string; fields?: Record<string, unknown> };

export interface Step {
  effects: Effect[];
}

export const seal = <T extends FrameType>(frame: UnsignedFrame<T>): Outbound => ({ seal: frame as UnsignedFrame });

/**
 * Refuse a frame: a `reject` hint plus, when the code has a wire form, an ERROR frame
 * `{code, detail}` to the connection it came on. Never changes state. `ref` adds fields that
 * name the refused frame (`msg_ref`, `to`, `ts`: docs/contracts.md "Delivery acks").
 */
export function refuse(connId: string, frame: { type: FrameType | 'unknown'; from?: string }, e: SocpError, selfId: string, now: number, ref: Record<string, unknown> = {}): Effect[] {
  const out: Effect[] = [{ kind: 'reject', frameType: frame.type, reason: e.code, detail: e.message }];
  // Never answer an ERROR with an ERROR: two misconfigured peers would ping-pong forever.
  if (e.wire && frame.type !== 'ERROR') {
    out.push({
      kind: 'sendToConnection',
      connId,
      out: seal({ type: 'ERROR', from: selfId, to: frame.from && frame.from.length > 0 ? frame.from : '*', ts: now, payload: { ...ref, code: e.wire, detail: e.message.slice(0, 512) } }),
    });
  }
  return out;
}

export const fail = (code: SocpErrorCode, msg: string): SocpError => new SocpError(code, msg);

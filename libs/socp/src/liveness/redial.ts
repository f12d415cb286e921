/**
 * The one redial policy (§13 [profile], S8): when to dial a link (again), as a pure state
 * machine. Every loop that keeps a link — a server's links to other servers, its sessions with
 * the introducers, the CLI's connection to its server — is this machine; @socp/node `DialLoop`
 * runs it with a timer. Time and randomness are inputs.
 *
 *   idle ──dial-now──▶ dialing ──connected──▶ up
 *     │                  │  ▲                   │
 *     │ lost           failed  due / heard      │ lost
 *     ▼                  ▼  │                   ▼
 *     └──────────────▶ waiting ◀────────────────┘        any ──stop──▶ stopped (for good)
 *
 * - One dial at a time: a dial starts only from idle or waiting, so nothing can start a second
 *   one while one is in flight; `lost` while dialing is ignored (that dial's failure decides).
 * - Each wait is the next step of the backoff table (backoff.ts: capped, ±20 % jitter), and
 *   `attempt` counts the waits since the last reset.
 * - `heard` (the peer showed life, or the link proved itself) resets `attempt`; while waiting it
 *   also dials at once: a server that talks to us is up again.
 * - With `maxAttempts`, a loss or failure once that many waits have passed gives up (→ idle).
 */
import { backoffDelayMs } from './backoff';

export type RedialPhase = 'idle' | 'waiting' | 'dialing' | 'up' | 'stopped';

export interface RedialState {
  readonly phase: RedialPhase;
  /** Waits since the last reset (the step of the backoff table the next wait takes). */
  readonly attempt: number;
  /** When the wait ends (ms; meaningful while waiting). */
  readonly dueAt: number;
}

export interface RedialPolicy {
  /** ms; the backoff table (default RECONNECT_BACKOFF_MS). */
  readonly backoffMs?: readonly number[];
  /** Give up after this many waits (default: never). */
  readonly maxAttempts?: number;
}

export type RedialEvent =
  /** Dial now if idle (a link we want and have never dialled). */
  | { kind: 'dial-now' }
  /** The link went away (or was never ours to dial): wait, then dial. Ignored unless idle or up. */
  | { kind: 'lost'; now: number; random: number }
  /** The dial in flight failed. */
  | { kind: 'failed'; now: number; random: number }
  /** The wait is over. */
  | { kind: 'due' }
  /** The dial in flight gave a link. */
  | { kind: 'connected' }
  /** Life from the peer: the backoff starts again from its first step (and a wait ends now). */
  | { kind: 'heard' }
  /** For good: no further dial. */
  | { kind: 'stop' };

export type RedialAction =
  | { kind: 'none' }
  /** Dial now; `attempt` is the state's (0: a first dial, or one because the peer was heard). */
  | { kind: 'dial'; attempt: number }
  /** Wait `delayMs`, then send `due`; `attempt` counts this wait (1 for the first). */
  | { kind: 'wait'; attempt: number; delayMs: number }
  | { kind: 'give-up'; attempts: number };

export const REDIAL_START: RedialState = { phase: 'idle', attempt: 0, dueAt: 0 };

const NONE = { kind: 'none' } as const;

function schedule(s: RedialState, now: number, random: number, p: RedialPolicy): { state: RedialState; action: RedialAction } {
  if (p.maxAttempts !== undefined && s.attempt >= p.maxAttempts) return { state: { ...s, phase: 'idle' }, action: { kind: 'give-up', attempts: s.attempt } };
  const delayMs = backoffDelayMs(s.attempt, random, p.backoffMs);
  const attempt = s.attempt + 1;
  return { state: { phase: 'waiting', attempt, dueAt: now + delayMs }, action: { kind: 'wait', attempt, delayMs } };
}

const dial = (s: RedialState, attempt = s.attempt): { state: RedialState; action: RedialAction } => ({ state: { ...s, phase: 'dialing', attempt }, action: { kind: 'dial', attempt } });

/** The next state, and what the driver does now. */
export function redial(s: RedialState, e: RedialEvent, p: RedialPolicy = {}): { state: RedialState; action: RedialAction } {
  if (s.phase === 'stopped') return { state: s, action: NONE };
  switch (e.kind) {
    case 'stop':
      return { state: { ...s, phase: 'stopped' }, action: NONE };
    case 'dial-now':
      return s.phase === 'idle' ? dial(s) : { state: s, action: NONE };
    case 'lost':
      return s.phase === 'idle' || s.phase === 'up' ? schedule(s, e.now, e.random, p) : { state: s, action: NONE };
    case 'failed':
      return s.phase === 'dialing' ? schedule(s, e.now, e.random, p) : { state: s, action: NONE };
    case 'due':
      return s.phase === 'waiting' ? dial(s) : { state: s, action: NONE };
    case 'connected':
      return s.phase === 'dialing' ? { state: { ...s, phase: 'up' }, action: NONE } : { state: s, action: NONE };
    case 'heard':
      return s.phase === 'waiting' ? dial(s, 0) : { state: { ...s, attempt: 0 }, action: NONE };
  }
}

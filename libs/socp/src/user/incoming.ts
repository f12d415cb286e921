/**
 * The user core's one way in (S1): `handleIncoming(state, frame, ctx) → { events, effects }` for
 * each frame from our server whose transport sig the client already checked against the pinned
 * server key (hence `Verified`). Never throws on what a peer or server sends; a frame that fails
 * a check yields a warning and changes nothing but the replay window.
 */
import { UUID_ANYCASE_RE } from '../messages/schema';
import { advertisedPubkey, originalTs, userCaps, type ErrorPayload, type Frame, type FrameOf, type UserAdvertisePayload } from '../messages';
import type { Verified } from '../wire/envelope';
import { receiveContent } from './content';
import { emptyStep, type UserStep } from './effects';
import { labelById, refOf, warn, type UserEvent } from './events';
import { checkFileChunk, fileChunk, fileEnd, fileStart, takeFileChunk, type ChunkToOpen } from './file-frames';
import { MAX_QUEUE_REF_CHARS } from './limits';
import { labelOf } from './roster';
import { shownKey } from './shown-queued';
import type { UserCtx, UserState } from './state';

export function handleIncoming(state: UserState, f: Verified<Frame>, ctx: UserCtx): UserStep {
  const step = emptyStep();
  const { events } = step;
  switch (f.type) {
    case 'USER_ADVERTISE':
      events.push(...advertised(state, f.payload, ctx.now));
      break;
    case 'USER_REMOVE': {
      const e = state.roster.remove(f.payload.user_id, f.payload.server_id);
      if (e) events.push({ event: 'presence', action: 'offline', user: refOf(e) });
      break;
    }
    case 'USER_DELIVER': {
      const p = f.payload;
      const isPublic = p.group_id === 'public' || p.public === true || p.inner_type === 'MSG_PUBLIC_CHANNEL';
      const queued = (p as { queued?: unknown }).queued === true;
      const ts = originalTs(p, f.ts);
      const key = queued ? shownKey(p.sender, ts, p.content_sig) : '';
      // Handed over again because our ACK was lost: handled in an earlier run, acknowledged silently.
      if (!queued || !state.shown.has(key)) receiveContent(state, p.sender, p, ts, isPublic, ctx, step, queued);
      // Handled for good (shown, or refused: a redelivery would not do better): the server may drop it.
      if (queued) state.shown.add(key);
      ackIfQueued(p, step);
      break;
    }
    case 'MSG_PUBLIC_CHANNEL':
      receiveContent(state, f.payload.sender ?? f.from, f.payload, originalTs(f.payload, f.ts), true, ctx, step);
      break;
    case 'MSG_DIRECT':
      receiveContent(state, f.payload.sender ?? f.from, f.payload, f.ts, f.payload.public === true, ctx, step);
      break;
    case 'FILE_START':
      events.push(...fileStart(state, f.payload.sender ?? f.from, f.payload, ctx.now));
      break;
    case 'FILE_CHUNK': {
      const s = fileChunk(state, f.payload.sender ?? f.from, f.payload, chunkTs(f), ctx.now);
      events.push(...s.events);
      step.effects.push(...s.effects);
      break;
    }
    case 'FILE_END':
      events.push(...fileEnd(state, f.payload.sender ?? f.from, f.payload.file_id));
      break;
    case 'ERROR':
      events.push(...serverError(state, f.payload, f.ts));
      // A report that waited in our offline queue (we had left when it was due) is handled once shown.
      ackIfQueued(f.payload, step);
      break;
    case 'ACK': {
      const p = f.payload as { status?: unknown; to?: unknown; ts?: unknown };
      if (p.status === 'queued' && typeof p.to === 'string') events.push({ event: 'delivery', status: 'queued', to: labelById(state.roster, p.to), ts: typeof p.ts === 'number' ? p.ts : f.ts });
      break;
    }
    default:
      break; // HEARTBEAT, LIST_RESPONSE, PUBLIC_CHANNEL_* carry nothing to show
  }
  return keep(state, step);
}

const chunkTs = (f: Verified<FrameOf<'FILE_CHUNK'>>): number => originalTs(f.payload as { orig_ts?: number }, f.ts);

/**
 * handleIncoming in two steps, for a shell that decrypts file chunks off its event loop: a
 * FILE_CHUNK that passes its checks comes back as blocks to decrypt (RsaPrivateKey.decryptAsync),
 * whose plaintexts go to finishChunk; every other frame is handled at once. Frames must still be
 * handled in order: the next one waits until finishChunk ran.
 */
export type IncomingStart = { kind: 'step'; step: UserStep } | { kind: 'decrypt'; chunk: ChunkToOpen };

export function beginIncoming(state: UserState, f: Verified<Frame>, ctx: UserCtx): IncomingStart {
  if (f.type !== 'FILE_CHUNK') return { kind: 'step', step: handleIncoming(state, f, ctx) };
  const c = checkFileChunk(state, f.payload.sender ?? f.from, f.payload, chunkTs(f), ctx.now);
  return 'open' in c ? { kind: 'decrypt', chunk: c.open } : { kind: 'step', step: { events: c.events, effects: [] } };
}

/** The decrypted blocks of a chunk beginIncoming returned (undefined: a block did not decrypt). */
export function finishChunk(state: UserState, chunk: ChunkToOpen, plain: readonly Buffer[] | undefined, ctx: UserCtx): UserStep {
  return takeFileChunk(state, chunk, plain, ctx.now);
}

/**
 * A user comes online (or is advertised again). A contact pinned with another key is held until
 * /trust (contact-pins.ts) — the loud warning goes right after its presence.
 */
function advertised(state: UserState, p: UserAdvertisePayload, now: number): UserEvent[] {
  const r = state.roster.upsert(p);
  const encoded = advertisedPubkey(p);
  if ((r.kind === 'added' || r.kind === 'updated' || r.kind === 'unchanged') && encoded !== undefined) {
    state.dialects.sawKey(r.entry.userId, encoded);
    state.dialects.sawCaps(r.entry.userId, userCaps(p.meta));
  }
  if (r.kind === 'bad-key') return [warn('BAD_KEY', `advertisement for ${r.userId} refused: ${r.detail}`)];
  if (r.kind === 'key-changed') return [warn('BAD_KEY', `${r.name ?? r.userId} (${r.userId}) was advertised with a DIFFERENT key; ignored, the first key stays`)];
  if (r.kind === 'full') return [warn('LIMIT', `roster full; ${r.userId} not added`)];
  if (r.kind !== 'added') return [];
  const { entry } = r;
  const online: UserEvent = { event: 'presence', action: 'online', user: refOf(entry) };
  const pin = entry.userId === state.me.userId ? undefined : state.pins.check(entry.userId, entry.key, entry.name, now);
  if (pin?.kind !== 'changed') return [online];
  const who = labelOf(entry);
  return [online, warn('KEY_CHANGED', `!!! THE KEY OF ${who} (${entry.userId}) HAS CHANGED !!! pinned ${pin.was.slice(0, 32)}…, now ${pin.now.slice(0, 32)}… — messages to ${who} are HELD; compare /whois ${who} out of band, then /trust ${who}`)];
}

/**
 * An ERROR from our server; it may name the refused or unconfirmed message (`to`, `ts`,
 * `msg_ref`: docs/contracts.md "Delivery acks"); older servers only in the USER_NOT_FOUND detail text.
 */
function serverError(state: UserState, p: ErrorPayload, envelopeTs: number): UserEvent[] {
  const out: UserEvent[] = [{ event: 'server-error', code: p.code, detail: p.detail ?? '' }];
  const named = typeof p['to'] === 'string' && UUID_ANYCASE_RE.test(p['to']) ? p['to'] : undefined;
  const to = named ?? (p.code === 'USER_NOT_FOUND' ? /^recipient ([0-9a-f-]{36}) /.exec(p.detail ?? '')?.[1] : undefined);
  const ts = typeof p['ts'] === 'number' ? p['ts'] : envelopeTs;
  if (to !== undefined) out.push({ event: 'delivery', status: named !== undefined && p.code === 'TIMEOUT' ? 'unconfirmed' : 'failed', to: labelById(state.roster, to), ts, code: p.code });
  return out;
}

/** A frame from our offline queue (`queued: true`) with a usable `queue_ref`: acknowledge it (docs/accounts.md "Delivery at log-in"). */
function ackIfQueued(payload: object, step: UserStep): void {
  const p = payload as { queued?: unknown; queue_ref?: unknown };
  if (p.queued === true && typeof p.queue_ref === 'string' && p.queue_ref.length <= MAX_QUEUE_REF_CHARS) step.effects.push({ kind: 'ackQueued', ref: p.queue_ref });
}

/**
 * What changed for good is kept: the shown-queued digests BEFORE the ACKs of this step (the
 * effects run in order), the pins after.
 */
function keep(state: UserState, step: UserStep): UserStep {
  const shown = state.shown.takeChanged();
  if (shown) step.effects.unshift({ kind: 'saveShown', keys: shown });
  const pins = state.pins.takeChanged();
  if (pins) step.effects.push({ kind: 'savePins', pins });
  return step;
}

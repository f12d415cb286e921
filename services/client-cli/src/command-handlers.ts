/**
 * What each typed command does (commands.ts parses them): one small handler per command. The
 * user core decides (@socp/protocol user/commands.ts: who a name means, whether a message may
 * go, the drafts to send); the handler adds the shell's own check (connected or not) and shows
 * the outcome. The session runs them one at a time, in order.
 */
import {
  allDrafts, holdIfKeyChanged, keyChangedNote, labelOf, refOf, resolveKnown, resolveOnline, tooLong, trustKey,
  type Draft, type OutboundCtx, type RosterEntry, type UserEffect, type UserState, type Warning,
} from '@socp/protocol';
import { HELP_TEXT, type Command } from './commands';
import type { ClientEvent } from './events';

/** What a handler may use of the session (session.ts implements it). */
export interface CommandContext {
  readonly state: UserState;
  /** Time and randomness for the drafts. */
  readonly sendCtx: OutboundCtx;
  show(e: ClientEvent): void;
  /** The entry, or undefined after showing why there is none. */
  pick(r: RosterEntry | Warning): RosterEntry | undefined;
  /** True after showing the warning, if there is one. */
  refused(w: Warning | undefined): boolean;
  /** True after saying so, when the server is away. */
  offline(): boolean;
  /** One DM (all its parts), remembered for its receipts. */
  tell(e: RosterEntry, text: string): Promise<void>;
  /** Seal these with the user's key and send them, in order. */
  sendDrafts(drafts: readonly Draft[]): Promise<void>;
  runEffects(effects: UserEffect[]): void;
  /** Start sending a file in the background. */
  sendFile(e: RosterEntry, path: string): void;
  quit(): Promise<void>;
}

type Handlers = { [K in Command['kind']]: (s: CommandContext, c: Extract<Command, { kind: K }>) => void | Promise<void> };

const self = (s: CommandContext, e: RosterEntry): boolean => e.userId === s.state.me.userId;

const HANDLERS: Handlers = {
  empty: () => undefined,
  invalid: (s, c) => s.show({ event: 'warning', code: 'USAGE', detail: c.message }),
  help: (s) => s.show({ event: 'info', text: HELP_TEXT }),
  list: (s) => s.show({ event: 'list', users: s.state.roster.list().map((e) => ({ ...refOf(e), self: self(s, e) })) }),

  whois: (s, c) => {
    const e = s.pick(resolveKnown(s.state, c.user));
    if (!e) return;
    s.show({ event: 'whois', user: refOf(e), fingerprint: e.key.fingerprint(), self: self(s, e) });
    s.refused(keyChangedNote(s.state, e));
  },

  // An offline contact seen this session is found too: the DM may queue at their home server.
  tell: async (s, c) => {
    const e = s.pick(resolveKnown(s.state, c.user));
    if (!e || s.refused(tooLong(c.text)) || s.offline() || s.refused(holdIfKeyChanged(s.state, e, c.text))) return;
    await s.tell(e, c.text);
  },

  trust: async (s, c) => {
    const e = s.pick(resolveOnline(s.state, c.user));
    if (!e || (s.state.pins.isHeld(e.userId) && s.offline())) return;
    const { held, effects } = trustKey(s.state, e, Date.now());
    s.runEffects(effects);
    if (held === undefined) return s.show({ event: 'info', text: `${labelOf(e)}'s key is not in question (fingerprint ${e.key.fingerprint()})` });
    s.show({ event: 'info', text: `trusted the new key of ${labelOf(e)} (fingerprint ${e.key.fingerprint()}); sending ${held.length} held message(s)` });
    for (const text of held) await s.tell(e, text);
  },

  all: async (s, c) => {
    if (s.refused(tooLong(c.text)) || s.offline()) return;
    const { to, drafts, parts } = allDrafts(s.state, c.text, s.sendCtx);
    await s.sendDrafts(drafts);
    s.show({ event: 'sent', kind: 'public', to: to.map(labelOf), parts, text: c.text });
  },

  file: (s, c) => {
    const e = s.pick(resolveOnline(s.state, c.user));
    if (!e || s.offline()) return;
    s.sendFile(e, c.path);
  },

  quit: (s) => s.quit(),
};

/** Run one command (the table is exhaustive over Command['kind']). */
export function runCommand(s: CommandContext, c: Command): void | Promise<void> {
  return (HANDLERS[c.kind] as (s: CommandContext, c: Command) => void | Promise<void>)(s, c);
}

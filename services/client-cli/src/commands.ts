/**
 * The session's command language: one line in, one Command out (pure; no I/O).
 *
 *   /list                 online users, sorted by name then id, with their server
 *   /tell <user> <text>   direct message
 *   /all <text>           public channel (one encrypted frame per recipient)
 *   /file <user> <path>   send a file (path may contain spaces; quotes are stripped)
 *   /whois <user>         user id, server, key fingerprint
 *   /help                 this list
 *   /quit                 leave
 */

export type Command =
  | { kind: 'list' }
  | { kind: 'tell'; user: string; text: string }
  | { kind: 'all'; text: string }
  | { kind: 'file'; user: string; path: string }
  | { kind: 'whois'; user: string }
  | { kind: 'trust'; user: string }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string };

export const COMMANDS = ['/list', '/tell', '/all', '/file', '/whois', '/trust', '/help', '/quit'] as const;

export const HELP_TEXT = [
  '/list                 online users (name, server)',
  '/tell <user> <text>   send a direct message',
  '/all <text>           send to everyone online',
  '/file <user> <path>   send a file',
  '/whois <user>         user id, server and key fingerprint',
  '/trust <user>         accept a contact\'s CHANGED key (compare /whois out of band first) and send held messages',
  '/help                 this help',
  '/quit                 leave',
  '<user> is a name, name@serverprefix (when two users share a name) or a user id.',
].join('\n');

const USAGE: Record<string, string> = {
  '/tell': 'usage: /tell <user> <text>',
  '/all': 'usage: /all <text>',
  '/file': 'usage: /file <user> <path>',
  '/whois': 'usage: /whois <user>',
  '/trust': 'usage: /trust <user>',
};

/** Split off the first whitespace-delimited word. */
function head(s: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(s);
  return m ? [m[1]!, m[2]!] : ['', ''];
}

function unquote(p: string): string {
  const t = p.trim();
  return /^(["']).*\1$/.test(t) && t.length >= 2 ? t.slice(1, -1) : t;
}

export function parseCommand(line: string): Command {
  const input = line.trim();
  if (input.length === 0) return { kind: 'empty' };
  if (!input.startsWith('/')) return { kind: 'invalid', message: 'commands start with "/"; type /help (to message someone: /tell <user> <text>)' };
  const [cmd, rest] = head(input);
  const name = cmd.toLowerCase();
  switch (name) {
    case '/list':
      return { kind: 'list' };
    case '/help':
    case '/?':
      return { kind: 'help' };
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    case '/all':
      return rest.length > 0 ? { kind: 'all', text: rest } : { kind: 'invalid', message: USAGE[name]! };
    case '/whois':
    case '/trust': {
      const [user] = head(rest);
      return user ? { kind: name === '/whois' ? 'whois' : 'trust', user } : { kind: 'invalid', message: USAGE[name]! };
    }
    case '/tell':
    case '/file': {
      const [user, tail] = head(rest);
      if (!user || tail.length === 0) return { kind: 'invalid', message: USAGE[name]! };
      return name === '/tell' ? { kind: 'tell', user, text: tail } : { kind: 'file', user, path: unquote(tail) };
    }
    default: {
      const near = COMMANDS.filter((c) => c.startsWith(name.slice(0, 3)));
      return { kind: 'invalid', message: `unknown command ${cmd}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; type /help` };
    }
  }
}

/**
 * readline completer: commands at the start of the line, user handles as the first argument of
 * /tell, /file and /whois. Returns [candidates, the fragment they complete].
 */
export function complete(line: string, handles: readonly string[]): [string[], string] {
  if (!/\s/.test(line)) {
    const hits = COMMANDS.filter((c) => c.startsWith(line.toLowerCase()));
    return [hits.map((h) => `${h} `), line];
  }
  const m = /^(\/tell|\/file|\/whois)\s+(\S*)$/i.exec(line);
  if (!m) return [[], line];
  const frag = m[2]!;
  const hits = handles.filter((h) => h.toLowerCase().startsWith(frag.toLowerCase()));
  return [hits.map((h) => `${h} `), frag];
}

/**
 * Where the server's shell stops (docs/server.md "Architecture"), checked on its source text:
 *  - the routing state belongs to the core (@socp/protocol routing/state.ts: "the shell only
 *    reads it"): no file under services/server/src writes a RoutingState field — it calls a core
 *    function (handle*, restoreState, handleAccountRegistered, …) that does;
 *  - the transport gets its TCP socket from the public connection/upgrade events, never from
 *    ws's internals (`_socket`);
 *  - its modules import each other without a cycle (wiring goes through components, S9).
 * A text check: an alias (`const t = state.names; t.set(…)`) escapes it, so write state through
 * its name or, better, not at all.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const SRC = join(__dirname, '..', 'src');
const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
const sources = walk(SRC).filter((f) => f.endsWith('.ts'));
const lines = sources
  .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((text, i) => ({ at: `${relative(SRC, f)}:${i + 1}`, text })));
const matching = (re: RegExp): string[] => lines.filter((l) => re.test(l.text)).map((l) => `${l.at}: ${l.text.trim()}`);

/** A mutating call on a table of the state (Map/Set/SeenCache), or an assignment to a field of it. */
const STATE_WRITE = /\bstate\.[\w.]+\.(set|delete|add|clear|firstSeen|push|splice)\(|\bstate\.[\w.]+\s*([-+*/]?=(?!=)|\+\+|--)/;

test('the rule catches what it is meant to catch', () => {
  const writes = ['state.names.set(n, uid);', 'this.state.accounts.add(id);', 'state.channel.version = 3;', 'state.seen.firstSeen(k, t);', 's.state.helloReplayAt.delete(x)', 'state.channel.version++;'];
  const reads = ['state.names.get(n)', 'this.state.accounts.has(id)', 'if (state.channel.version === 3)', 'const x = state.userKeys.size;', 'for (const e of state.directory.values())'];
  expect(writes.filter((w) => !STATE_WRITE.test(w))).toEqual([]);
  expect(reads.filter((r) => STATE_WRITE.test(r))).toEqual([]);
});

test('no file of the server shell writes a RoutingState field', () => {
  expect(matching(STATE_WRITE)).toEqual([]);
});

test('no file of the server shell reaches into ws internals for the TCP socket', () => {
  expect(matching(/\b_socket\b/)).toEqual([]);
});

test('the modules of the server shell import each other without a cycle', () => {
  /** Relative imports (type-only ones too) of each file, as files. */
  const imports = new Map(sources.map((f) => [f, [...readFileSync(f, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => `${join(dirname(f), m[1]!)}.ts`)] as const));
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (f: string, path: string[]): void => {
    if (path.includes(f)) return void cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
    if (done.has(f)) return;
    for (const to of imports.get(f) ?? []) visit(to, [...path, f]);
    done.add(f);
  };
  for (const f of sources) visit(f, []);
  expect(cycles).toEqual([]);
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// S2: the protocol library stays pure — no I/O packages in its manifest, no I/O in its code.
const FORBIDDEN = ['ws', 'ioredis', 'pino', 'prom-client', 'fastify'];
/** Node modules that do I/O (files, sockets, OS, processes); node:crypto is the one allowed. */
const FORBIDDEN_NODE = ['fs', 'fs/promises', 'net', 'os', 'child_process', 'dgram', 'http', 'https', 'tls', 'dns', 'worker_threads', 'readline'];

const SRC = join(__dirname, '..', 'src');
const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
const sources = walk(SRC).filter((f) => f.endsWith('.ts'));
const text = new Map(sources.map((f) => [f, readFileSync(f, 'utf8')] as const));
/** Every module specifier a file imports or re-exports. */
const specifiers = (src: string): string[] => [...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);

test('libs/socp/package.json depends on no I/O library', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const deps = { ...pkg['dependencies'], ...pkg['devDependencies'], ...pkg['peerDependencies'], ...pkg['optionalDependencies'] };
  expect(Object.keys(deps).filter((d) => FORBIDDEN.includes(d))).toEqual([]);
});

test('no source file of libs/socp imports an I/O library or an I/O module of Node, or ends the process', () => {
  const offenders = sources.flatMap((f) => {
    const src = text.get(f)!;
    const bad = specifiers(src).filter((s) => FORBIDDEN.includes(s) || FORBIDDEN_NODE.includes(s.replace(/^node:/, '')));
    if (/\bprocess\.(exit|kill|abort|on|stdout|stderr|stdin|env|argv|cwd|chdir)\b/.test(src)) bad.push('process.*');
    if (/\bconsole\./.test(src)) bad.push('console.*');
    if (/\brequire\(/.test(src)) bad.push('require()');
    return bad.map((b) => `${relative(SRC, f)}: ${b}`);
  });
  expect(offenders).toEqual([]);
});

/**
 * The folders are layers and imports only go down: a folder imports only from folders of a
 * lower rank (or itself). The servers' routing core and the user core sit side by side and do
 * not import each other; index.ts (the public surface) may import anything.
 */
const RANK: Record<string, number> = { constants: 0, errors: 1, encoding: 2, crypto: 3, messages: 4, wire: 5, admission: 6, liveness: 6, routing: 7, user: 7 };

test('libs/socp/src folders import only one way: encoding → crypto → messages → wire → admission → routing | user', () => {
  const layer = (abs: string): string => relative(SRC, abs).split('/')[0]!.replace(/\.ts$/, '');
  const violations = sources.flatMap((f) => {
    const from = layer(f);
    if (from === 'index') return [];
    return specifiers(text.get(f)!)
      .filter((s) => s.startsWith('.'))
      .map((s) => layer(join(dirname(f), s)))
      .filter((to) => to !== from && !(RANK[to]! < RANK[from]!))
      .map((to) => `${relative(SRC, f)} imports ${to}`);
  });
  expect(Object.keys(RANK).sort()).toEqual([...new Set(sources.map((f) => relative(SRC, f).split('/')[0]!.replace(/\.ts$/, '')))].filter((l) => l !== 'index').sort());
  expect(violations).toEqual([]);
});

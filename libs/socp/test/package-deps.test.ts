import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// S2: the protocol library stays pure — no I/O packages in its manifest.
const FORBIDDEN = ['ws', 'ioredis', 'pino', 'prom-client', 'fastify'];

test('libs/socp/package.json depends on no I/O library', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const deps = { ...pkg['dependencies'], ...pkg['devDependencies'], ...pkg['peerDependencies'], ...pkg['optionalDependencies'] };
  expect(Object.keys(deps).filter((d) => FORBIDDEN.includes(d))).toEqual([]);
});

test('no source file of libs/socp imports an I/O library', () => {
  const { readdirSync, statSync } = require('node:fs') as typeof import('node:fs');
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  const offenders = walk(join(__dirname, '..', 'src'))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => FORBIDDEN.some((m) => new RegExp(`from '${m}'|require\\('${m}'\\)`).test(readFileSync(f, 'utf8'))));
  expect(offenders).toEqual([]);
});

/**
 * The `socp` binary's usage paths end with the right exit code and drain their event loop
 * (services/client-cli/src/exit.ts): help is exit 0 on stdout, a usage error exit 1 on stderr.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../harness/processes';
import { FORCED_EXIT_MARK } from '../../services/client-cli/src/exit';

const socp = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot(), 'services/client-cli/dist/main.js'), ...args], { encoding: 'utf8', input: '', timeout: 30_000 });

test.each([
  [['--help'], 0, /Usage: socp \[options\] \[command\]/, 'stdout'],
  [['login', '--help'], 0, /Usage: socp login/, 'stdout'],
  [['--bogus'], 1, /unknown option '--bogus'/, 'stderr'],
  [['signup', '--name'], 1, /argument missing/, 'stderr'],
  [[], 1, /Usage: socp/, 'stderr'],
] as const)('socp %j exits %i', (args, code, text, stream) => {
  const r = socp(...args);
  expect(r.status).toBe(code);
  expect(r[stream]).toMatch(text);
  expect(r.stderr).not.toContain(FORCED_EXIT_MARK);
});

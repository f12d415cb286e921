/**
 * endProcess on real child processes: with nothing left open the loop drains and the process
 * exits with the code at once; a handle left open is reported and the exit is forced after
 * the grace period.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const lib = join(__dirname, '../dist/end-process.js');

function run(body: string): { status: number | null; stdout: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', `const { endProcess } = require(${JSON.stringify(lib)});\n${body}`], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, ms: Date.now() - t0 };
}

test('nothing left open: the exit code is kept, onForced is not called', () => {
  const r = run(`endProcess(3, { graceMs: 10_000, onForced: () => console.log('forced') });`);
  expect(r.status).toBe(3);
  expect(r.stdout).toBe('');
  expect(r.ms).toBeLessThan(10_000);
});

test('a handle left open: onForced names it and the exit is forced with the code', () => {
  const r = run(`setInterval(() => undefined, 1_000);\nendProcess(4, { graceMs: 200, onForced: (open) => console.log(JSON.stringify(open)) });`);
  expect(r.status).toBe(4);
  expect(JSON.parse(r.stdout) as string[]).toContain('Timeout');
});

/**
 * The `socp` binary in its non-interactive mode (`--json`): commands on stdin, events as JSON
 * lines on stdout. Used to script the client against servers that misbehave on purpose.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../harness/processes';
import { waitFor } from '../../harness/wait';
import { FORCED_EXIT_MARK } from '../../../services/client-cli/src/exit';

export type CliEvent = Record<string, unknown> & { event: string };

export class CliProcess {
  readonly events: CliEvent[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.events.push(JSON.parse(line) as CliEvent); // the JSON mode must print only JSON lines
      }
    });
    child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    child.on('exit', (code) => (this.exitCode = code));
  }

  static start(args: string[], env: Record<string, string>): CliProcess {
    const cli = join(repoRoot(), 'services/client-cli/dist/main.js');
    return new CliProcess(spawn(process.execPath, [cli, '--json', ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'pipe' }));
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  waitEvent(pred: (e: CliEvent) => unknown, what: string, timeoutMs = 20_000): Promise<CliEvent> {
    return waitFor(what, () => this.events.find(pred), timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\nevents: ${JSON.stringify(this.events, null, 1).slice(0, 4000)}\nstderr: ${this.stderr}`);
    });
  }

  /** The exit code; fails if socp had to force its exit (a handle left open, see services/client-cli/src/exit.ts). */
  async waitExit(timeoutMs = 20_000): Promise<number> {
    const code = await waitFor('socp to exit', () => (this.exitCode === undefined ? undefined : (this.exitCode ?? -1)), timeoutMs);
    if (this.stderr.includes(FORCED_EXIT_MARK)) throw new Error(`socp did not drain its event loop:\n${this.stderr}`);
    return code;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * Drive a real terminal program the way a person does: tmux runs it in a pseudo-terminal,
 * `type`/`press` send keystrokes, `screen()` reads what is shown (scrollback included), and
 * `waitFor` polls the screen with a deadline. Each test file uses its own tmux server (-L).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../harness/wait';

export class Terminal {
  private constructor(private readonly socket: string, readonly name: string) {}

  /** Start `argv` in a new 160×50 tmux session; the pane stays after exit and shows `[exit N]`. */
  static start(socket: string, name: string, dir: string, argv: string[], env: Record<string, string>): Terminal {
    const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
    const script = join(dir, `${name}.sh`);
    const exports = Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`).join('\n');
    writeFileSync(script, `${exports}\n${argv.map(q).join(' ')}\necho "[exit $?]"\nexec sleep 86400\n`, { mode: 0o700 });
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', `bash ${q(script)}`]);
    execFileSync('tmux', ['-L', socket, 'set-option', '-t', name, 'history-limit', '20000']);
    return new Terminal(socket, name);
  }

  /** Type literal text (no Enter). `--`: text starting with "-" (a random base64url password) is not a flag. */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, '-l', '--', text]);
  }
  press(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, ...keys]);
  }
  /** Type a line and press Enter. */
  line(text: string): void {
    this.type(text);
    this.press('Enter');
  }
  /** Everything on screen and in the scrollback, wrapped lines joined, colours stripped. */
  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-20000', '-t', this.name], { encoding: 'utf8' });
  }
  /** Wait until the screen matches; returns the match. */
  waitFor(what: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return waitFor(`${this.name} screen to show ${what}`, () => this.screen().match(what) ?? undefined, timeoutMs, 100).catch((e: Error) => {
      throw new Error(`${e.message}\n--- ${this.name} screen ---\n${this.screen().trimEnd()}`);
    });
  }
  /** How many times the screen shows `what`. */
  count(what: RegExp): number {
    return (this.screen().match(new RegExp(what.source, `${what.flags.replace('g', '')}g`)) ?? []).length;
  }

  static killServer(socket: string): void {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left
    }
  }
}

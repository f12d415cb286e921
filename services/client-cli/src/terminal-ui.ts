/**
 * Terminal front end. On a TTY: readline with history and tab completion; the screen is
 * output lines, then a status area with one progress bar per transfer, then the prompt.
 * Every write clears the status area and the prompt, prints, and redraws both, so incoming
 * lines never mangle what the user is typing. Colours only on a TTY.
 * Off a TTY: plain lines, no colours, no bars, commands from the shared stdin reader.
 */
import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from 'node:readline';
import { createColors } from 'picocolors';
import { complete } from './commands';
import type { ClientEvent } from './events';
import { formatEvent } from './format';
import type { LineReader } from './line-input';
import { ProgressLines } from './progress-lines';
import type { Ui } from './ui';

const HISTORY_SIZE = 500;
/** Progress redraws at most this often. */
const PROGRESS_REDRAW_MS = 100;

export class TerminalUi implements Ui {
  private rl: Interface | undefined;
  private readonly colors;
  private readonly progress = new ProgressLines();
  /** Status lines currently drawn above the prompt. */
  private drawn = 0;
  private lastDraw = 0;
  private pendingDraw: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly tty: boolean, private readonly prompt: string, private readonly reader: LineReader | undefined) {
    this.colors = createColors(tty && !process.env['NO_COLOR']);
  }

  readCommands(onLine: (line: string) => Promise<void>, onEnd: () => void, handles: () => string[]): void {
    if (!this.tty) {
      this.reader?.follow((l) => void onLine(l), onEnd);
      return;
    }
    const rl = createInterface({
      input: process.stdin, output: process.stdout, terminal: true, historySize: HISTORY_SIZE,
      completer: (line: string) => complete(line, handles()),
    });
    this.rl = rl;
    rl.setPrompt(this.colors.bold(this.prompt));
    rl.on('line', (l) => {
      // Enter moved the cursor below the typed line: take the status area and that line
      // away, keep the command in the scrollback as output, and draw the area again.
      const rows = Math.max(1, Math.ceil((this.prompt.length + l.length) / (process.stdout.columns || 80)));
      moveCursor(process.stdout, 0, -(rows + this.drawn));
      clearScreenDown(process.stdout);
      this.drawn = 0;
      this.write(`${this.colors.bold(this.prompt)}${l}`);
      void onLine(l).finally(() => this.redraw());
    });
    rl.on('close', () => {
      if (!this.closed) onEnd(); // Ctrl-D
    });
    rl.on('SIGINT', () => {
      if (rl.line.length > 0) {
        rl.write(null, { ctrl: true, name: 'u' }); // Ctrl-C on a half-typed line clears it, like a shell
        this.redraw();
      } else onEnd();
    });
    this.redraw();
  }

  show(e: ClientEvent): void {
    if (e.event === 'closed') this.closed = true; // no prompt after the last line
    const moved = this.tty && this.progress.apply(e);
    const text = formatEvent(e, this.colors);
    if (text !== undefined) this.write(text);
    else if (moved) this.scheduleRedraw();
  }

  /** Clear the status area and the prompt line, print `text`, redraw both. */
  private write(text: string | undefined): void {
    if (!this.rl) {
      if (text !== undefined) process.stdout.write(`${text}\n`);
      return;
    }
    cursorTo(process.stdout, 0);
    if (this.drawn > 0) moveCursor(process.stdout, 0, -this.drawn);
    clearScreenDown(process.stdout);
    if (text !== undefined) process.stdout.write(`${text}\n`);
    this.drawn = 0;
    if (this.closed) return;
    const lines = this.progress.lines();
    for (const l of lines) process.stdout.write(`${this.colors.dim(l)}\n`);
    this.drawn = lines.length;
    this.rl.prompt(true);
    this.lastDraw = Date.now();
  }

  private redraw(): void {
    this.write(undefined);
  }

  private scheduleRedraw(): void {
    if (this.pendingDraw) return;
    const wait = Math.max(0, PROGRESS_REDRAW_MS - (Date.now() - this.lastDraw));
    this.pendingDraw = setTimeout(() => {
      this.pendingDraw = undefined;
      this.redraw();
    }, wait);
  }

  close(): void {
    this.closed = true;
    if (this.pendingDraw) clearTimeout(this.pendingDraw);
    this.rl?.close();
  }
}

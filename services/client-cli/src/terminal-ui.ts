/**
 * Terminal front end. On a TTY: readline with history and tab completion, incoming lines
 * printed above the prompt (the line being typed is redrawn intact), colours, and progress
 * bars for transfers. Off a TTY: plain lines, no colours, commands from the shared reader.
 */
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { createColors } from 'picocolors';
import { complete } from './commands';
import type { ClientEvent } from './events';
import { formatEvent } from './format';
import type { LineReader } from './line-input';
import { safeLabel } from './display-text';
import type { Ui } from './ui';

const HISTORY_SIZE = 500;

export class TerminalUi implements Ui {
  private rl: Interface | undefined;
  private readonly colors;
  private bars: MultiBar | undefined;
  private readonly active = new Map<string, SingleBar>();
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
      void onLine(l).finally(() => this.reprompt());
    });
    rl.on('close', () => {
      if (!this.closed) onEnd(); // Ctrl-D
    });
    rl.on('SIGINT', () => {
      if (rl.line.length > 0) {
        // Ctrl-C on a half-typed line clears it, like a shell.
        process.stdout.write('^C\n');
        rl.write(null, { ctrl: true, name: 'u' });
        this.reprompt();
      } else onEnd();
    });
    rl.prompt();
  }

  show(e: ClientEvent): void {
    if (e.event === 'closed') this.closed = true; // no prompt after the last line
    if (this.tty) this.progress(e);
    const text = formatEvent(e, this.colors);
    if (text !== undefined) this.print(text);
  }

  private print(text: string): void {
    if (this.bars) {
      this.bars.log(`${text}\n`);
      return;
    }
    if (!this.rl || this.closed) {
      process.stdout.write(`${text}\n`);
      return;
    }
    clearLine(process.stdout, 0);
    cursorTo(process.stdout, 0);
    process.stdout.write(`${text}\n`);
    this.reprompt();
  }

  private reprompt(): void {
    if (!this.closed) this.rl?.prompt(true);
  }

  /** Progress bars (TTY only): one per transfer, in both directions. */
  private progress(e: ClientEvent): void {
    let id: string | undefined;
    let value = 0;
    let total = 0;
    let label = '';
    let finished = false;
    switch (e.event) {
      case 'file-offered': id = `in:${e.transfer.key}`; total = e.transfer.size; label = `← ${safeLabel(e.transfer.name, 24)}`; break;
      case 'file-data': id = `in:${e.transfer.key}`; value = e.transfer.received; total = e.transfer.size; break;
      case 'file-received':
      case 'file-failed': id = `in:${e.transfer.key}`; finished = true; break;
      case 'file-send-progress': id = `out:${e.fileId}`; value = e.sent; total = e.size; label = `→ ${safeLabel(e.to, 24)}`; break;
      case 'file-sent': id = `out:${e.fileId}`; finished = true; break;
      default: return;
    }
    const bar = this.active.get(id);
    if (finished) {
      if (!bar) return;
      bar.update(bar.getTotal());
      this.bars?.remove(bar);
      this.active.delete(id);
      if (this.active.size === 0) {
        this.bars?.stop();
        this.bars = undefined;
        this.reprompt();
      }
      return;
    }
    if (bar) {
      bar.update(value);
      return;
    }
    if (!this.bars) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
      this.bars = new MultiBar(
        { format: ' {label} [{bar}] {percentage}% {value}/{total} B', hideCursor: false, clearOnComplete: true, stopOnComplete: false, autopadding: true, stream: process.stdout },
        Presets.shades_classic,
      );
    }
    this.active.set(id, this.bars.create(Math.max(total, 1), value, { label }));
  }

  close(): void {
    this.closed = true;
    this.bars?.stop();
    this.bars = undefined;
    this.rl?.close();
  }
}

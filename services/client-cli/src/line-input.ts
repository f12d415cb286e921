/**
 * One line reader over a non-TTY stdin, shared by the prompts (name, password) and the
 * session's commands, so no buffered line is lost between them.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export class LineReader {
  private readonly lines: string[] = [];
  private waiter: ((l: string | undefined) => void) | undefined;
  private sink: { line: (l: string) => void; end: () => void } | undefined;
  private ended = false;

  constructor(input: Readable) {
    const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
    rl.on('line', (l) => {
      if (this.sink) this.sink.line(l);
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(l);
      } else this.lines.push(l);
    });
    rl.on('close', () => {
      this.ended = true;
      this.waiter?.(undefined);
      this.sink?.end();
    });
  }

  /** The next line, or undefined at end of input. */
  next(): Promise<string | undefined> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Switch to push mode: buffered lines first, then each new one. */
  follow(line: (l: string) => void, end: () => void): void {
    this.sink = { line, end };
    for (let l = this.lines.shift(); l !== undefined; l = this.lines.shift()) line(l);
    if (this.ended) end();
  }
}

/**
 * Asking for the user name and the password. On a terminal the password is read with echo
 * off; otherwise (scripts, tests) lines come from the shared stdin reader, and SOCP_PASSWORD
 * or --password-stdin spare the prompt.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { LineReader } from './line-input';

export interface Asker {
  line(query: string): Promise<string>;
  hidden(query: string): Promise<string>;
}

function ttyQuestion(query: string, muted: boolean): Promise<string> {
  let mute = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!mute) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true, historySize: 0 });
  return new Promise((resolve, reject) => {
    rl.on('SIGINT', () => {
      rl.close();
      process.stdout.write('\n');
      reject(new Error('cancelled'));
    });
    rl.question(query, (answer) => {
      mute = false;
      if (muted) process.stdout.write('\n');
      rl.close();
      resolve(answer);
    });
    mute = muted;
  });
}

export function ttyAsker(): Asker {
  return { line: (q) => ttyQuestion(q, false), hidden: (q) => ttyQuestion(q, true) };
}

export function pipeAsker(reader: LineReader): Asker {
  const read = async (): Promise<string> => {
    const l = await reader.next();
    if (l === undefined) throw new Error('input ended before the prompt was answered');
    return l;
  };
  return { line: read, hidden: read };
}

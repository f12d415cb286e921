/** The bench's handle on the load-generator child process (load-gen.ts): request/reply over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export class GeneratorClient {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();

  constructor(onProgress: (line: string) => void) {
    this.child = fork(join(__dirname, 'load-gen.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string; progress?: string }) => {
      if (m.progress !== undefined) return onProgress(m.progress);
      const p = this.pending.get(m.id!);
      this.pending.delete(m.id!);
      if (m.ok) p?.res(m.result);
      else p?.rej(new Error(`load generator: ${m.error}`));
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.rej(new Error(`load generator exited (${code})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((res, rej) => {
      this.pending.set(id, { res: res as (v: unknown) => void, rej });
      this.child.send({ id, cmd, args });
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

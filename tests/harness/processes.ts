/**
 * Child processes of the harness: spawned with their output captured to a log file and a
 * bounded in-memory tail, killed by id (never by name), and all killed when the harness
 * process exits — also when a test fails or jest tears the worker down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';

/** Lines of output each process keeps in memory (the full log is on disk). */
const TAIL_LINES = 400;

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
}

export interface SpawnOptions { env: Record<string, string>; cwd: string; logFile: string }

export class ManagedProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly log: WriteStream;
  private readonly lineWaiters = new Set<() => void>();
  exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(readonly name: string, cmd: string, args: string[], opts: SpawnOptions) {
    installExitHook();
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
    this.child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    let partial = '';
    const onData = (buf: Buffer): void => {
      this.log.write(buf);
      const text = partial + buf.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) {
        this.lines.push(l);
        if (this.lines.length > TAIL_LINES) this.lines.shift();
      }
      for (const w of [...this.lineWaiters]) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        for (const w of [...this.lineWaiters]) w();
        resolve();
      });
      this.child.once('close', () => this.log.end()); // after stdout/stderr drained
      this.child.once('error', (e) => {
        this.lines.push(`spawn error: ${e.message}`);
        this.exitCode = -1;
        live.delete(this);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get running(): boolean {
    return this.exitCode === undefined;
  }
  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Resolve with the first output line matching `re` (already printed or future). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = (): void => {
        for (; seen < this.lines.length; seen++) {
          const l = this.lines[seen]!;
          if (re.test(l)) return finish(() => resolve(l));
        }
        if (!this.running) finish(() => reject(new Error(`${this.name} exited (${this.exitCode}) before printing ${re}:\n${this.tail()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        this.lineWaiters.delete(check);
        f();
      };
      this.lineWaiters.add(check);
      check();
    });
  }

  /** Send `signal`, and SIGKILL if still alive after `graceMs`; resolves once it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    this.child.kill('SIGCONT'); // a paused (SIGSTOPped) process must run to act on the signal
    const timer = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
  /** Deliver a signal without waiting (e.g. SIGSTOP / SIGCONT to freeze a process). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }
  /** SIGKILL now (synchronous; used by the exit hook). */
  killNow(): void {
    if (!this.running) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
  }
}

/** Ports this process already handed out (never handed out twice, even once released). */
const handedOut = new Set<number>();

/** A TCP port free on 127.0.0.1 right now (the OS picks it), not handed out before by this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const p = await osFreePort(host);
    if (handedOut.has(p)) continue;
    handedOut.add(p);
    return p;
  }
}

function osFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < count) out.add(await freePort());
  return [...out];
}

/** The repository root (the directory whose package.json is the workspace root). */
export function repoRoot(): string {
  let d = __dirname;
  for (;;) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return d;
    const up = dirname(d);
    if (up === d) throw new Error('repository root not found above ' + __dirname);
    d = up;
  }
}

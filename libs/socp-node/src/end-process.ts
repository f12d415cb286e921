/**
 * How every SOCP process ends (the one process-level helper here; only the shells' main.ts
 * call it): set the exit code, let the event loop drain, and call process.exit() only when
 * something still holds the loop after a grace period.
 *
 * Why not process.exit() at once: in Node 24 it can hang forever (nodejs/node#54918). It joins
 * V8's worker threads while a concurrent compile job (Sparkplug, Maglev, wasm tier-up) waits in
 * CollectionBarrier::AwaitCollectionBackground for a main-thread GC that never comes. gdb on a
 * hung `socp login` showed exactly that, about 1 exit in 100 on a 2-core machine. A drained loop
 * tears the isolate down first, which releases such jobs.
 */

/** How long the loop may take to drain before the exit is forced. */
export const EXIT_GRACE_MS = 3_000;

export interface EndProcessOptions {
  graceMs?: number;
  /** Told what still held the loop (process.getActiveResourcesInfo()) just before the forced exit. */
  onForced: (stillOpen: string[]) => void;
}

export function endProcess(code: number, opts: EndProcessOptions): void {
  process.exitCode = code;
  setTimeout(() => {
    opts.onForced(process.getActiveResourcesInfo());
    process.exit(code);
  }, opts.graceMs ?? EXIT_GRACE_MS).unref();
}

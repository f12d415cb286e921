/**
 * Imported first by main.ts. The OPAQUE library is WebAssembly; Liftoff code alone is fast
 * enough for the few OPAQUE steps of a run, so V8's background tier-up is turned off: fewer
 * compile jobs on V8's worker threads when the process ends. (Such a job caused exit hangs under
 * process.exit(), about 1 run in 12 before this flag; the CLI now drains its loop instead, see
 * endProcess in @socp/node.)
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-wasm-tier-up');

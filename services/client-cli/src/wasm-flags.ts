/**
 * Imported first by main.ts. The OPAQUE library is WebAssembly; with V8's background tier-up
 * compiling it, process.exit() after a short session sometimes hung (about 1 exit in 12 on this
 * 2-core machine). Liftoff code only is fast enough for a few OPAQUE steps per run.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-wasm-tier-up');

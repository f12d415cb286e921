/**
 * Node/V8 flags every server process runs with: the Dockerfile's server CMD, the test and bench
 * harness (tests/harness/mesh.ts) and any other launcher pass exactly these before the script.
 * services/server/test/runtime-flags.test.ts checks that the Dockerfile says the same.
 *
 * --max-semi-space-size=8 (MB): V8 grows the young generation to 2 × 32 MB under a burst of short-
 * lived allocations (a presence storm builds one frame per known user per arrival) and keeps it.
 * Capped at 8 MB, a server with 1,000 users settled at 143–170 MB RSS instead of 250–264 MB, with
 * the same convergence time and DM throughput (docs/benchmarks/findings.md §7).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * @packageDocumentation
 * `@socp/node` — what needs Node's process, file system or OS, kept out of `@socp/protocol`
 * (which does no I/O): `endProcess` (how every program of ours exits). The RSA rate probe
 * (`crypto-rates.js`, `npm run bench:crypto`) and the vector tools (`emit-vectors.js`,
 * `decrypt-theirs.js`, run by tests/vectors/check-ours.sh) are programs of this package. The one
 * typed environment reader of the services' config.ts (`readEnv`, env-config.ts) is here too: it reads
 * `*_FILE` secrets from disk. So are the timer drivers of the liveness rules: `DialLoop`
 * (dial-loop.ts: the one dial loop, running the redial policy) and `keepAlive` (keep-alive.ts:
 * the one watch over a link's silence).
 */
export * from './end-process';
export * from './env-config';
export * from './dial-loop';
export * from './keep-alive';

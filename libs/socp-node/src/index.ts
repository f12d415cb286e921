/**
 * @packageDocumentation
 * `@socp/node` — what needs Node's process, file system or OS, kept out of `@socp/protocol`
 * (which does no I/O): `endProcess` (how every program of ours exits). The RSA rate probe
 * (`crypto-rates.js`, `npm run bench:crypto`) and the vector tools (`emit-vectors.js`,
 * `decrypt-theirs.js`, run by tests/vectors/check-ours.sh) are programs of this package.
 */
export * from './end-process';

#!/usr/bin/env node
/**
 * `npm run mesh:local -- --servers 3 [--introducers 1] [--heartbeat-ms N --dead-after-ms N] [--keep]`
 * Starts a local mesh of real processes (tests/harness/mesh.ts), prints every URL, and stops
 * everything on Ctrl-C (SIGINT) or SIGTERM. Logs, Redis data and the mesh's random key
 * passphrase (a 0600 file; its path is printed, never its value) live in the printed directory.
 */
import { startMesh, type Mesh, type MeshTimings } from './mesh';

const USAGE = 'usage: mesh:local [--servers N] [--introducers M] [--heartbeat-ms N] [--dead-after-ms N] [--keep]';

function parse(argv: string[]): { servers: number; introducers: number; timings: MeshTimings; keep: boolean } {
  const out = { servers: 3, introducers: 1, timings: {} as MeshTimings, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer\n${USAGE}`);
      return n;
    };
    if (a === '--servers') out.servers = num();
    else if (a === '--introducers') out.introducers = num();
    else if (a === '--heartbeat-ms') out.timings.heartbeatMs = num();
    else if (a === '--dead-after-ms') out.timings.deadAfterMs = num();
    else if (a === '--keep') out.keep = true;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`starting ${args.servers} server(s), ${args.introducers} introducer(s)…`);
  let mesh: Mesh | undefined;
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`\n${why}: stopping the mesh…`);
    await mesh?.stop();
    log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  mesh = await startMesh({ servers: args.servers, introducers: args.introducers, timings: args.timings, keepDir: args.keep });
  await mesh.waitReady();
  for (const i of mesh.introducers) log(`introducer ${i.index}  ws ${i.wsUrl}  admin ${i.adminUrl}  id ${i.id}`);
  for (const s of mesh.servers) log(`server ${s.index}      ws ${s.wsUrl}  admin ${s.adminUrl}  id ${s.id}  redis ${s.redisUrl}`);
  log(`logs and data: ${mesh.dir}${args.keep ? ' (kept after stop)' : ''}`);
  log(`key passphrase (random, this mesh only): in ${mesh.passphraseFile} (mode 0600)`);
  log('mesh ready. Connect a client, e.g.  SOCP_SERVER_URL=' + mesh.servers[0]!.wsUrl + ' node services/client-cli/dist/main.js');
  log('Ctrl-C stops everything.');
}

main().catch((e: unknown) => {
  process.stderr.write(`mesh:local failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

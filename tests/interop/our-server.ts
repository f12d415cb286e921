/**
 * Our side of the server-dialect tests and the soak (issue 14 items 4–6): our real server (and
 * introducer) processes on loopback (tests/harness/mesh.ts), by default with short liveness
 * timings, and how to count link flaps. No jest here (the soak runs it as a plain script).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMesh, type Mesh, type MeshOptions, type MeshTimings } from '../harness/mesh';
import { httpGet, metricValue } from '../harness/wait';

/** Heartbeat 500 ms, dead after 2 s: a test spans many dead windows in seconds. */
export const LIVENESS: Required<MeshTimings> = { heartbeatMs: 500, deadAfterMs: 2_000, backoffMs: [200, 500, 1_000], pruneAfterMs: 5_000 };
/** Heartbeats (and pings) in `windows` dead windows of LIVENESS. */
export const beatsIn = (windows: number): number => (windows * LIVENESS.deadAfterMs) / LIVENESS.heartbeatMs;

/** A one-server mesh of real processes, ready. `introducers: 0` when the server joins a stand-in (SOCP_BOOTSTRAP in serverEnv). */
export async function ourServer(o: Pick<MeshOptions, 'introducers' | 'serverEnv' | 'introducerEnv'> & { timings?: MeshTimings }): Promise<Mesh> {
  const mesh = await startMesh({ servers: 1, timings: LIVENESS, ...o });
  try {
    await mesh.waitReady();
  } catch (e) {
    const logs = mesh.logs();
    await mesh.stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return mesh;
}

export async function metric(mesh: Mesh, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue((await httpGet(`${mesh.servers[0]!.adminUrl}/metrics`)).text, name, labels);
}

/** Link flaps of server 0: dead verdicts (socp_peer_links_dead_total) and link up/down log lines. */
export async function linkEvents(mesh: Mesh): Promise<{ dead: number; up: number; down: number }> {
  const log = readFileSync(join(mesh.dir, 'server-0.log'), 'utf8');
  const count = (msg: string): number => log.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
  return { dead: await metric(mesh, 'socp_peer_links_dead_total'), up: count('server link up'), down: count('server link down') };
}


/** Small shared pieces of the integration lane (timings, admin probes). */
import { httpGet, metricValue } from '../harness/wait';
import type { MeshTimings } from '../harness/mesh';

/** Short timings so the lane runs in minutes: heartbeat 500 ms, dead after 2 s. */
export const FAST: Required<MeshTimings> = { heartbeatMs: 500, deadAfterMs: 2_000, backoffMs: [200, 500, 1_000], pruneAfterMs: 5_000 };

export async function metric(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue((await httpGet(`${adminUrl}/metrics`)).text, name, labels);
}

export async function readyz(adminUrl: string): Promise<{ status: number; checks: Record<string, boolean> }> {
  const r = await httpGet(`${adminUrl}/readyz`);
  return { status: r.status, checks: ((r.body as { checks?: Record<string, boolean> }).checks) ?? {} };
}

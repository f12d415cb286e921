/** Small shared pieces of the integration lane (timings, admin probes). */
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import { startMesh, type Mesh, type MeshTimings } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { httpGet, metricValue } from '../harness/wait';

/** Short timings so the lane runs in minutes: heartbeat 500 ms, dead after 2 s. */
export const FAST: Required<MeshTimings> = { heartbeatMs: 500, deadAfterMs: 2_000, backoffMs: [200, 500, 1_000], pruneAfterMs: 5_000 };

/**
 * Per-source connection caps high enough for tests that run many users from 127.0.0.1 (the
 * defaults, SOCP_MAX_CONNS_PER_IP 256 / SOCP_MAX_PENDING_PER_IP 32, protect a real deployment).
 */
export const LOOPBACK_CROWD_ENV: Readonly<Record<string, string>> = { SOCP_MAX_CONNS_PER_IP: '60000', SOCP_MAX_PENDING_PER_IP: '60000' };

export async function metric(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue((await httpGet(`${adminUrl}/metrics`)).text, name, labels);
}

export async function readyz(adminUrl: string): Promise<{ status: number; checks: Record<string, boolean> }> {
  const r = await httpGet(`${adminUrl}/readyz`);
  return { status: r.status, checks: ((r.body as { checks?: Record<string, boolean> }).checks) ?? {} };
}

/**
 * One mesh of real processes (FAST timings) for a test file: started with `keyCount` RSA-4096
 * keys generated alongside, before all tests; every user connected through `connect` and every
 * process stopped after them. Fields are set once `beforeAll` has run.
 */
export function useMesh(shape: { servers: number; introducers: number }, keyCount: number) {
  const fx = {
    mesh: undefined as unknown as Mesh,
    keys: [] as RsaPrivateKey[],
    users: [] as RawUser[],
    async connect(server: number, key: RsaPrivateKey, name: string, userId?: string): Promise<RawUser> {
      const u = await RawUser.connect(fx.mesh.servers[server]!.wsUrl, { key, name, ...(userId ? { userId } : {}) });
      fx.users.push(u);
      return u;
    },
  };
  beforeAll(async () => {
    [fx.mesh, fx.keys] = await Promise.all([
      startMesh({ ...shape, timings: FAST }),
      Promise.all(Array.from({ length: keyCount }, () => generateKeyPair())),
    ]);
    await fx.mesh.waitReady();
  });
  afterAll(async () => {
    for (const u of fx.users) u.sock.terminate();
    await fx.mesh?.stop();
  });
  return fx;
}

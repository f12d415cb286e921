/**
 * The Swarm stack (deploy/swarm/stack.yml) through its own script: deploy.sh initialises a
 * single-node swarm if needed, deploys our images, waits until every server is ready and
 * linked to the other two (checked inside the task containers), then removes the stack, its
 * volumes and the swarm it created. Exit status and its report are the assertions.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './compose-mesh';

const run = promisify(execFile);
const DEPLOY_MS = 12 * 60_000; // image build check + swarm init + three servers joining, loaded host
const localDir = mkdtempSync(join(tmpdir(), 'socp-swarm-'));
const env = { ...process.env, SOCP_SWARM_LOCAL_DIR: localDir, SOCP_STACK: `socp-ct-swarm-${process.pid}` };

afterAll(async () => {
  // deploy.sh removes the stack on exit; this covers a deploy.sh killed by the timeout.
  try {
    await run('bash', ['deploy/swarm/deploy.sh', '--rm'], { cwd: ROOT, env, timeout: 180_000 });
  } finally {
    rmSync(localDir, { recursive: true, force: true });
  }
}, 200_000);

test('the swarm stack deploys, every server becomes ready and links to the other two, and it is removed', async () => {
  const { stderr } = await run('bash', ['deploy/swarm/deploy.sh'], { cwd: ROOT, env, timeout: DEPLOY_MS, maxBuffer: 16 << 20 });
  const formed = /swarm mesh formed in \d+ s: ((?:[0-9a-f-]{36} ?){3})/.exec(stderr);
  expect(formed).not.toBeNull();
  expect(new Set(formed![1]!.trim().split(' ')).size).toBe(3);
  const { stdout: left } = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${env.SOCP_STACK}`]);
  expect(left.trim()).toBe('');
}, DEPLOY_MS + 60_000);

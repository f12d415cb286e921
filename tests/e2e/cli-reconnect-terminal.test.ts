/**
 * What a person sees in the terminal (tmux, a real TTY) when their server restarts under the
 * `socp` session: one dim line per reconnect attempt, then "reconnected", and the session goes
 * on — no password prompt, no exit. Then, with the server gone, /tell warns and /quit leaves.
 */
import { join } from 'node:path';
import { repoRoot } from '../harness/processes';
import { randomSecret } from '../harness/secrets';
import { waitFor } from '../harness/wait';
import { useE2eMesh } from './helpers/e2e-mesh';
import { Terminal } from './helpers/terminal';

jest.setTimeout(180_000);

const CLI = join(repoRoot(), 'services/client-cli/dist/main.js');
const SOCKET = `socp-e2e-reconnect-${process.pid}`;
const fx = useE2eMesh('reconnect-tty', { servers: 1 }, () => Terminal.killServer(SOCKET));

test('a server restart shows one line per attempt and "reconnected"; the session goes on', async () => {
  const t = Terminal.start(SOCKET, 'dana', fx.dir, [process.execPath, CLI, 'signup', '--name', 'dana'], {
    SOCP_HOME: join(fx.dir, 'home-dana'), SOCP_SERVER_URL: fx.mesh.servers[0]!.wsUrl, SOCP_PASSWORD: randomSecret(), TERM: 'xterm-256color', PATH: process.env['PATH'] ?? '',
  });
  await t.waitFor(/connected as dana \(/, 60_000);
  await fx.mesh.restart(0);
  await t.waitFor(/^… connection lost \(server closed the connection \(\d+[^)]*\)\); reconnecting in 1 s \(attempt 1\)$/m, 30_000);
  await t.waitFor(new RegExp(`^reconnected to server ${fx.mesh.servers[0]!.id.slice(0, 8)} at \\S+ \\(key matches the one pinned for it`, 'm'), 90_000);
  expect(t.screen()).not.toMatch(/password:/);
  t.line('/list');
  await t.waitFor(/1 online:\n\s+dana\s+server [0-9a-f]{8}\s+\S+ \(you\)/);

  await fx.mesh.stopServer(0);
  const lost = /^… connection lost \(.*\); reconnecting in \d+ s \(attempt 1\)$/m;
  await waitFor('a second loss', () => t.count(lost) === 2, 30_000);
  t.line('/tell dana hello?');
  await t.waitFor(/! not connected; reconnecting (in \d+ s|now) \[NOT_CONNECTED\]/);
  t.line('/quit');
  await t.waitFor(/\[exit 0\]/, 10_000);
});

/**
 * The CLI's transfer folder (issue 17.2, docs/client.md "Files in and out of a container"): a
 * relative `/file` path is resolved against SOCP_SEND_DIR, received files go to SOCP_DOWNLOADS,
 * and a missing file is `file not found: <path>` with its own code (SOCP_ERR_FILE_NOT_FOUND),
 * not a configuration error. The real binary against a stand-in server.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomSecret } from '../harness/secrets';
import { CliProcess } from './helpers/cli-process';
import { ScriptedServer } from './helpers/scripted-server';
import { useScriptedFixture } from './helpers/scripted-fixture';

jest.setTimeout(120_000);

const BOB = randomUUID();
const fx = useScriptedFixture('transfer', 1);

test('/file with a relative path sends from SOCP_SEND_DIR; a missing file is SOCP_ERR_FILE_NOT_FOUND', async () => {
  const [bobKey] = fx.keys;
  const transfer = join(fx.dir, 'transfer');
  mkdirSync(transfer);
  const note = randomBytes(1_000);
  writeFileSync(join(transfer, 'note.txt'), note);
  const fake = (fx.server = await ScriptedServer.listen(fx.serverKey));
  const cli = (fx.cli = CliProcess.start(['--server', fake.url, '--home', join(fx.dir, 'home'), 'signup', '--name', 'alice'], {
    SOCP_PASSWORD: randomSecret(), SOCP_SEND_DIR: transfer, SOCP_DOWNLOADS: join(transfer, 'received'),
  }));
  await cli.waitEvent((e) => e.event === 'ready', 'ready', 60_000);
  fake.push('USER_ADVERTISE', { user_id: BOB, server_id: fake.serverId, meta: { display_name: 'bob' }, pubkey: bobKey!.publicKey.b64url });
  await cli.waitEvent((e) => e.event === 'presence' && e['user_id'] === BOB, 'bob online');

  cli.send('/file bob missing.txt');
  const w = await cli.waitEvent((e) => e.event === 'warning', 'the missing-file warning');
  expect(w).toMatchObject({ code: 'SOCP_ERR_FILE_NOT_FOUND', detail: `file not sent: file not found: ${join(transfer, 'missing.txt')}` });

  cli.send('/file bob note.txt');
  expect(await cli.waitEvent((e) => e.event === 'file-sent', 'file sent', 60_000)).toMatchObject({ name: 'note.txt', size: note.length, sha256: createHash('sha256').update(note).digest('hex') });
  expect(fake.received.find((f) => f.type === 'FILE_START')?.payload).toMatchObject({ name: 'note.txt', size: note.length });
  cli.send('/quit');
  expect(await cli.waitExit()).toBe(0);
});

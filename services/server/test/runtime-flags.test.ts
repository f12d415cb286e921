import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../src/runtime-flags';

/** The image must start the server with the flags the harness (and so every test and bench) uses. */
test('the Dockerfile runs the server with SERVER_NODE_FLAGS', () => {
  const dockerfile = readFileSync(join(__dirname, '../../../Dockerfile'), 'utf8');
  const cmd = /^FROM \S+ AS server$[\s\S]*?^CMD (\[.*\])$/m.exec(dockerfile);
  expect(cmd).not.toBeNull();
  expect(JSON.parse(cmd![1]!)).toEqual(['node', ...SERVER_NODE_FLAGS, 'services/server/dist/main.js']);
});

/**
 * Attack: lock an account out by hammering LOGIN_START for its name (issue 13 item 4). The
 * attacker connects from 127.0.0.2, the owner from 127.0.0.1 (both loopback; the server counts
 * per source address). The attacker, who does not know the password, is held back after its
 * free failures; the owner logs in at once. Before the back-off was per source, six
 * LOGIN_STARTs from anywhere locked the name for 15 minutes for everyone.
 */
import { randomUUID } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { LOGIN_FREE_FAILURES_PER_NAME_SOURCE } from '../src/accounts/limits';
import { useOneServer } from './helpers/one-server';
import { accountHello, login, register } from './helpers/account-login';
import { waitFor } from './helpers/redis-process';
import { metricValue } from './helpers/test-server';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery';
const ATTACKS = 30;
beforeAll(() => opaque.ready);
const fx = useOneServer(2);

test('an attacker hammering LOGIN_START for a name from another address is held back; the owner still logs in', async () => {
  const alice = randomUUID();
  const reg = await fx.connect(alice, fx.keys[0]!, '127.0.0.1');
  await register(reg, fx.srv.node.serverId, 'alice', PASSWORD);
  reg.close();

  let challenged = 0;
  const held: string[] = [];
  for (let i = 0; i < ATTACKS; i++) {
    const a = await fx.connect(randomUUID(), fx.keys[1]!, '127.0.0.2');
    a.send({ type: 'LOGIN_START', from: randomUUID(), to: fx.srv.node.serverId, ts: Date.now(), payload: { username: 'alice', start_login_request: opaque.client.startLogin({ password: `guess-${i}` }).startLoginRequest } }, false);
    const r = await a.next((f) => f.type === 'LOGIN_CHALLENGE' || f.type === 'ERROR', 'challenge or refusal');
    a.close(); // a guess needs no LOGIN_FINISH: OPAQUE tells the client from the challenge alone
    if (r.type === 'LOGIN_CHALLENGE') {
      challenged++;
      await waitFor('the abandoned log-in counted as a failure', async () => (await metricValue(fx.srv.node, 'socp_login_failures_total')) >= challenged);
    } else {
      const e = r.payload as { code: string; detail?: string };
      expect(e.code).toBe('TIMEOUT');
      held.push(String(e.detail));
    }
  }

  // The owner, from her own address, right after: logs in and is online.
  const u = await fx.connect(alice, fx.keys[0]!, '127.0.0.1');
  const result = await login(u, fx.srv.node.serverId, 'alice', PASSWORD);
  accountHello(u, fx.srv.node.serverId, 'alice', result.nonce);
  await u.next((f) => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO', 'hello ACK');

  // The attacker's address got its free failures, then only refusals, each counted.
  expect(challenged).toBe(LOGIN_FREE_FAILURES_PER_NAME_SOURCE + 1);
  expect(held).toHaveLength(ATTACKS - challenged);
  expect(held[0]).toMatch(/too many login attempts for this name from your address; try again in \d+ s/);
  expect(await metricValue(fx.srv.node, 'socp_login_throttled_total', { scope: 'name_source' })).toBe(ATTACKS - challenged);
  expect(await metricValue(fx.srv.node, 'socp_frames_rejected_total', { type: 'LOGIN_START', reason: 'SOCP_ERR_RATE_LIMITED' })).toBe(ATTACKS - challenged);
  process.stdout.write(`${JSON.stringify({ attack: 'login-lockout', attackerLoginStarts: ATTACKS, attackerChallenges: challenged, attackerHeld: held.length, ownerLoggedIn: true })}\n`);
});

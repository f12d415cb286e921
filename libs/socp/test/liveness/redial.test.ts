import { REDIAL_START, redial, type RedialEvent, type RedialPolicy, type RedialState } from '@socp/protocol';

const P: RedialPolicy = { backoffMs: [100, 200, 500] };
const lost = (now = 0): RedialEvent => ({ kind: 'lost', now, random: 0.5 });
const failed = (now = 0): RedialEvent => ({ kind: 'failed', now, random: 0.5 });

/** Run events from `s`; the actions, and the last state. */
function run(events: RedialEvent[], s: RedialState = REDIAL_START, p = P): { actions: unknown[]; state: RedialState } {
  const actions: unknown[] = [];
  for (const e of events) {
    const r = redial(s, e, p);
    s = r.state;
    actions.push(r.action.kind === 'none' ? 'none' : r.action);
  }
  return { actions, state: s };
}

test('first dial at once; each failure waits the next step of the table, capped', () => {
  const { actions, state } = run([{ kind: 'dial-now' }, failed(10), { kind: 'due' }, failed(), { kind: 'due' }, failed(), { kind: 'due' }, failed(1000)]);
  expect(actions).toEqual([
    { kind: 'dial', attempt: 0 },
    { kind: 'wait', attempt: 1, delayMs: 100 }, { kind: 'dial', attempt: 1 },
    { kind: 'wait', attempt: 2, delayMs: 200 }, { kind: 'dial', attempt: 2 },
    { kind: 'wait', attempt: 3, delayMs: 500 }, { kind: 'dial', attempt: 3 },
    { kind: 'wait', attempt: 4, delayMs: 500 },
  ]);
  expect(state).toEqual({ phase: 'waiting', attempt: 4, dueAt: 1500 });
});

test('one dial in flight: nothing starts another while it runs or while a wait runs', () => {
  const dialing = run([{ kind: 'dial-now' }]).state;
  expect(run([{ kind: 'dial-now' }, lost(), { kind: 'due' }], dialing).actions).toEqual(['none', 'none', 'none']);
  const waiting = run([failed()], dialing).state;
  expect(run([{ kind: 'dial-now' }, lost(), failed(), { kind: 'connected' }], waiting).actions).toEqual(['none', 'none', 'none', 'none']);
  expect(run([{ kind: 'dial-now' }], waiting).state).toEqual(waiting);
});

test('a link that is lost waits before the next dial; connecting does not reset the backoff, hearing the peer does', () => {
  const up = run([{ kind: 'dial-now' }, failed(), { kind: 'due' }, { kind: 'connected' }]).state;
  expect(up).toMatchObject({ phase: 'up', attempt: 1 });
  expect(run([lost()], up).actions).toEqual([{ kind: 'wait', attempt: 2, delayMs: 200 }]);
  expect(run([{ kind: 'heard' }, lost()], up).actions).toEqual(['none', { kind: 'wait', attempt: 1, delayMs: 100 }]);
});

test('hearing the peer during a wait dials at once, from the first step', () => {
  const waiting = run([{ kind: 'dial-now' }, failed(), { kind: 'due' }, failed()]).state;
  expect(run([{ kind: 'heard' }], waiting)).toEqual({ actions: [{ kind: 'dial', attempt: 0 }], state: { phase: 'dialing', attempt: 0, dueAt: waiting.dueAt } });
});

test('a link never dialled by the loop (made elsewhere) is redialled after a wait when lost', () => {
  expect(run([lost(5)]).actions).toEqual([{ kind: 'wait', attempt: 1, delayMs: 100 }]);
});

test('maxAttempts: the loss or failure after that many waits gives up, and the loop is idle', () => {
  const p = { ...P, maxAttempts: 2 };
  const { actions, state } = run([lost(), { kind: 'due' }, failed(), { kind: 'due' }, failed()], REDIAL_START, p);
  expect(actions.at(-1)).toEqual({ kind: 'give-up', attempts: 2 });
  expect(state.phase).toBe('idle');
});

test('stop is for good', () => {
  const { actions, state } = run([{ kind: 'dial-now' }, { kind: 'stop' }, { kind: 'connected' }, lost(), { kind: 'heard' }, { kind: 'dial-now' }]);
  expect(actions.slice(1)).toEqual(['none', 'none', 'none', 'none', 'none']);
  expect(state.phase).toBe('stopped');
});

test('jitter comes from the random input (±20 % by default)', () => {
  expect(redial(REDIAL_START, { kind: 'lost', now: 0, random: 0 }, P).action).toEqual({ kind: 'wait', attempt: 1, delayMs: 80 });
  expect(redial(REDIAL_START, { kind: 'lost', now: 0, random: 0 }).action).toEqual({ kind: 'wait', attempt: 1, delayMs: 800 });
});

import { Roster, handleOf } from '@socp/protocol';
import { advertise, makePeers, type Peer } from './peers';

const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';

describe('Roster', () => {
  let alice: Peer, bob: Peer, bob2: Peer, carol: Peer;
  beforeAll(async () => {
    [alice, bob, bob2, carol] = await makePeers('alice', 'bob', 'bob', 'carol');
  }, 120_000);

  function filled(): Roster {
    const r = new Roster();
    for (const [p, s] of [[carol, S1], [bob, S1], [alice, S2], [bob2, S2]] as const) expect(r.upsert(advertise(p, s)).kind).toBe('added');
    return r;
  }

  it('lists online users sorted by name, then id, with their server', () => {
    const names = filled().list().map((e) => [e.name, e.serverId]);
    expect(names.map((n) => n[0])).toEqual(['alice', 'bob', 'bob', 'carol']);
    const bobs = filled().list().filter((e) => e.name === 'bob');
    expect(bobs[0]!.userId < bobs[1]!.userId).toBe(true);
  });

  it('resolves names, ids, id prefixes and name@serverprefix; a shared name is ambiguous', () => {
    const r = filled();
    expect(r.resolve('alice')).toMatchObject({ kind: 'found', entry: { userId: alice.userId } });
    expect(r.resolve('ALICE')).toMatchObject({ kind: 'found', entry: { userId: alice.userId } });
    expect(r.resolve(carol.userId)).toMatchObject({ kind: 'found', entry: { userId: carol.userId } });
    expect(r.resolve(carol.userId.slice(0, 8))).toMatchObject({ kind: 'found', entry: { userId: carol.userId } });
    const amb = r.resolve('bob');
    expect(amb.kind).toBe('ambiguous');
    expect(amb.kind === 'ambiguous' && amb.candidates.map((c) => c.userId).sort()).toEqual([bob.userId, bob2.userId].sort());
    expect(r.resolve('bob@2222')).toMatchObject({ kind: 'found', entry: { userId: bob2.userId } });
    expect(r.resolve('bob@1111')).toMatchObject({ kind: 'found', entry: { userId: bob.userId } });
    expect(r.resolve('dave').kind).toBe('not-found');
    expect(r.resolve('').kind).toBe('not-found');
  });

  it('offers unambiguous handles for completion', () => {
    const h = filled().handles();
    expect(h).toEqual(expect.arrayContaining(['alice', 'carol', `bob@${S1.slice(0, 8)}`, `bob@${S2.slice(0, 8)}`]));
    expect(handleOf({ userId: 'u', serverId: S1, name: 'two words', key: alice.key.publicKey }, false)).toBe('u');
  });

  it('refuses a different key for a known user id, even after the user left and came back', () => {
    const r = new Roster();
    r.upsert(advertise(alice, S1));
    expect(r.upsert(advertise(alice, S1, bob.key))).toMatchObject({ kind: 'key-changed', userId: alice.userId });
    expect(r.get(alice.userId)!.key.equals(alice.key.publicKey)).toBe(true);
    r.remove(alice.userId, S1);
    expect(r.upsert(advertise(alice, S2, bob.key)).kind).toBe('key-changed');
    expect(r.get(alice.userId)).toBeUndefined();
    expect(r.upsert(advertise(alice, S2)).kind).toBe('added');
  });

  it('refuses advertisements without a usable key', () => {
    const r = new Roster();
    expect(r.upsert({ user_id: alice.userId, server_id: S1, meta: {} }).kind).toBe('bad-key');
    expect(r.upsert({ user_id: alice.userId, server_id: S1, meta: {}, pubkey: 'AAAA' }).kind).toBe('bad-key');
    expect(r.size).toBe(0);
  });

  it('removes a user only when it is still mapped to the removing server', () => {
    const r = new Roster();
    r.upsert(advertise(alice, S1));
    expect(r.upsert(advertise(alice, S2)).kind).toBe('updated'); // moved
    expect(r.remove(alice.userId, S1)).toBeUndefined();
    expect(r.remove(alice.userId, S2)?.userId).toBe(alice.userId);
    expect(r.size).toBe(0);
  });

  it('is bounded', () => {
    const r = new Roster(1);
    r.upsert(advertise(alice, S1));
    expect(r.upsert(advertise(bob, S1)).kind).toBe('full');
  });
});

describe('roster after a reconnect', () => {
  let alice: Peer, bob: Peer, carol: Peer;
  beforeAll(async () => {
    [alice, bob, carol] = await makePeers('alice', 'bob', 'carol');
  }, 120_000);

  it('keeps who the new snapshot re-advertises and drops (to offline) who it does not', () => {
    const S1 = '11111111-1111-4111-8111-111111111111';
    const r = new Roster();
    for (const p of [alice, bob, carol]) r.upsert(advertise(p, S1));
    r.beginResync();
    r.upsert(advertise(alice, S1));
    r.upsert(advertise(carol, S1));
    expect(r.endResync().map((e) => e.name)).toEqual(['bob']);
    expect(r.list().map((e) => e.name)).toEqual(['alice', 'carol']);
    expect(r.resolveOffline('bob')?.userId).toBe(bob.userId); // a DM to bob may still queue
    expect(r.endResync()).toEqual([]);
  });
});

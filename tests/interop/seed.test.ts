/**
 * The seed (G43, the original Python implementation; peers/g43-server.ts, peers/g43-introducer.ts)
 * with our real server and introducer processes (issue 14 items 4 and 6, cells (a)–(c);
 * docs/protocol.md "Dialects"). The seed knows no admission tickets: the operator admits its
 * server by its key (SOCP_ADMIT). It never sends HEARTBEAT, writes to us only on a second socket
 * it opens after our SERVER_HELLO_LINK (silent until it has something to say), and its server
 * process exits when a socket is cut without a close frame.
 *
 * Our server joins the seed's introducer (unpinned in SOCP_BOOTSTRAP; unsigned WELCOME with
 * `clients` entries):
 *  - the seed's silent second socket is kept past HELLO_TIMEOUT_MS (it answers our pings) and
 *    the link lives through many dead windows: no dead verdict, one link up, no link down;
 *  - presence, DMs both ways, `/all` both ways, our file to the seed; its files name no sender
 *    on FILE_START / FILE_END, which our final-hop rule refuses with a code.
 * The seed's server joins OUR introducer:
 *  - its silent join socket lives through many dead windows (pongs), presence and DMs both ways;
 *  - our introducer stopping closes it with a close frame (1001), never a cut (1006).
 */
import { randomBytes } from 'node:crypto';
import { HELLO_TIMEOUT_MS, generateKeyPair } from '@socp/protocol';
import type { Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { exchange } from './exchange';
import { beatsIn, linkEvents, metric, ourServer } from './our-server';
import { G43Introducer } from './peers/g43-introducer';
import { G43Server } from './peers/g43-server';

jest.setTimeout(240_000);

/** The seed server's key and our user's, made while the processes start. */
const keys = Promise.all([generateKeyPair(), generateKeyPair()]);
const admitSeed = async (): Promise<{ SOCP_ADMIT: string }> => ({ SOCP_ADMIT: `key:${(await keys)[0].publicKey.fingerprint()}` });
let seed: G43Server | undefined;
let mesh: Mesh | undefined;
let alice: RawUser | undefined;
afterEach(() => alice?.sock.terminate());
const connectAlice = async (m: Mesh): Promise<RawUser> => (alice = await RawUser.connect(m.servers[0]!.wsUrl, { key: (await keys)[1], name: 'alice' }));
const stopAll = async (): Promise<void> => {
  await mesh?.stop();
  await seed?.close();
};

describe('our server joins the seed\'s introducer', () => {
  let intro: G43Introducer;
  let s: G43Server;
  let m: Mesh;
  beforeAll(async () => {
    intro = await G43Introducer.start();
    seed = s = await G43Server.start({ key: (await keys)[0] });
    await s.joinIntroducer(`ws://127.0.0.1:${intro.port}`, `127.0.0.1:${intro.port}`);
    mesh = m = await ourServer({ introducers: 0, serverEnv: { SOCP_BOOTSTRAP: JSON.stringify([{ host: '127.0.0.1', port: intro.port }]), ...(await admitSeed()) } });
  });
  afterAll(async () => {
    await stopAll();
    await intro?.close();
  });

  test('the seed\'s silent second socket is kept and answers our pings; the link lives through many dead windows', async () => {
    const channel = await s.openChannelTo(m.servers[0]!.id);
    // Kept sockets are pinged every heartbeat: this many pings span three dead windows after the hello timeout.
    await waitFor('three dead windows of pings on the kept socket (or its close)', () => channel.pings >= beatsIn(3) || channel.closeCode !== undefined, HELLO_TIMEOUT_MS + 60_000, 100);
    expect(channel.closeCode).toBeUndefined();
    expect(await linkEvents(m)).toEqual({ dead: 0, up: 1, down: 0 });
    // Our link to it was pinged too, and our HEARTBEATs went to its introducer (which ignores them).
    expect(s.inbound[0]!.pings).toBeGreaterThanOrEqual(beatsIn(3));
    expect(intro.ignored).toContain('HEARTBEAT');
    expect(await metric(m, 'socp_frames_rejected_total')).toBe(0);
  });

  test('presence, DMs and /all both ways, our file to the seed; its sender-less FILE_START / FILE_END are refused with a code', async () => {
    const bob = await s.login('bob');
    const a = await connectAlice(m);
    await exchange(a, s, bob);

    // Its /all: one MSG_DIRECT with public:true per user, signed like a DM.
    const mark = a.mark();
    s.all('bob', 'their side to all');
    const pub = await a.waitMessage(bob.id, 20_000, mark);
    expect(pub.text).toBe('their side to all');
    expect(pub.frame.payload).toMatchObject({ public: true });

    // Its file: the chunks name their sender, FILE_START and FILE_END do not, so no server can vouch for them.
    const refused = (): Promise<number> => metric(m, 'socp_frames_rejected_total', { type: 'SERVER_DELIVER', reason: 'SOCP_ERR_NOT_ALLOWED' });
    const before = await refused();
    s.sendFile('bob', a.id, 'theirs.bin', randomBytes(1_000));
    await waitFor('FILE_START and FILE_END refused', async () => (await refused()) - before >= 2, 20_000);
    await waitFor('the coded refusals reached the seed', () => s.unread.filter((f) => f.type === 'ERROR' && f.payload['code'] === 'INVALID_SIG').length >= 2, 20_000);

    expect(s.users.problems).toEqual([]);
    expect(await linkEvents(m)).toEqual({ dead: 0, up: 1, down: 0 });
  });
});

describe('the seed\'s server joins our introducer', () => {
  let s: G43Server;
  let m: Mesh;
  beforeAll(async () => {
    const admit = await admitSeed();
    mesh = m = await ourServer({ introducers: 1, serverEnv: admit, introducerEnv: admit });
    seed = s = await G43Server.start({ key: (await keys)[0] });
    await s.joinIntroducer(m.introducers[0]!.wsUrl, `127.0.0.1:${m.introducers[0]!.wsPort}`);
  });
  afterAll(stopAll);

  test('admitted by its key; its silent join socket and its link to our server live through many dead windows; presence and DMs both ways', async () => {
    await s.openChannelTo(m.servers[0]!.id);
    const join = s.join!;
    await waitFor('three dead windows of pings on the join socket (or its close)', () => join.pings >= beatsIn(3) || join.closeCode !== undefined, 60_000, 100);
    expect(join.closeCode).toBeUndefined();
    expect(await linkEvents(m)).toEqual({ dead: 0, up: 1, down: 0 });

    const bob = await s.login('bob');
    await exchange(await connectAlice(m), s, bob);
    expect(join.closeCode).toBeUndefined();
  });

  test('our introducer stopping closes the seed\'s join socket with a close frame, not a cut', async () => {
    await m.introducers[0]!.proc!.stop('SIGTERM');
    expect(await waitFor('the join socket closed', () => s.join!.closeCode, 10_000)).toBe(1001);
  });
});

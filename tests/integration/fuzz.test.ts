/**
 * Fuzzing a running server (docs/RELIABILITY.md "Fuzzing"): FUZZ_FRAMES (CI default 5,000; full
 * run 100,000) generated and mutated frames, 1 % as the first frame of a fresh connection, 69 %
 * on user connections (after a valid USER_HELLO), 30 % on a server link from a hostile peer.
 * Every frame must be answered (ERROR or response), end in a clean close, or be legitimate
 * (see tests/fuzz/wire-fuzzer.ts); the server never crashes, stays ready, and its RSS stays
 * bounded. Prints one JSON line of figures.
 *
 *   FUZZ_FRAMES=100000 npx jest --selectProjects integration tests/integration/fuzz.test.ts
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, type Frame, type RsaPrivateKey } from '@socp/protocol';
import { FrameSocket } from '../harness/frame-socket';
import { HostileServer } from '../harness/hostile-server';
import { startMesh, type Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { fuzzParams, fuzzStream, Rng } from '../fuzz/mutator';
import { serverSeeds, userSeeds } from '../fuzz/seeds';
import { CLEAN_CLOSE_CODES, emptyTally, fuzzBatch, rssKb, type FuzzTally } from '../fuzz/wire-fuzzer';
import { FAST, readyz } from './mesh-helpers';

const { frames: FRAMES, seed: SEED } = fuzzParams(5_000);
jest.setTimeout(Math.max(300_000, FRAMES * 20));

/** User connections get 200 frames/s, burst 400 (transport/limits.ts): rotate well inside the burst. */
const USER_FRAMES_PER_CONNECTION = 300;
const USER_BATCH = 50;
const SERVER_BATCH = 200;
const USER_LANES = 8;

let mesh: Mesh;
let keys: RsaPrivateKey[];
let mallory: HostileServer | undefined;
let maxRss = 0;
const sockets: FrameSocket[] = [];

beforeAll(async () => {
  [mesh, keys] = await Promise.all([
    startMesh({ servers: 1, introducers: 1, timings: FAST }),
    Promise.all(Array.from({ length: 3 }, () => generateKeyPair())),
  ]);
  await mesh.waitReady();
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await mallory?.close();
  await mesh?.stop();
});

const server = (): { url: string; pid: number } => ({ url: mesh.servers[0]!.wsUrl, pid: mesh.servers[0]!.proc!.pid! });
async function sampleRss(): Promise<void> {
  maxRss = Math.max(maxRss, await rssKb(server().pid));
}
function alive(): void {
  if (!mesh.servers[0]!.proc?.running) throw new Error(`the server crashed:\n${mesh.logs(60)}`);
}
const userAnswer = (f: Frame): boolean => f.type !== 'USER_ADVERTISE' && f.type !== 'USER_REMOVE' && f.type !== 'HEARTBEAT';

/** Frames from `stream`, the ones a closed connection never read first. */
class Feed {
  private readonly again: string[] = [];
  private fresh: number;
  constructor(private readonly stream: Iterator<string>, count: number) {
    this.fresh = count;
  }
  get left(): number {
    return this.fresh + this.again.length;
  }
  take(n: number): string[] {
    const out = this.again.splice(0, n);
    while (out.length < n && this.fresh > 0) {
      const r = this.stream.next();
      if (r.done) break;
      this.fresh--;
      out.push(r.value);
    }
    return out;
  }
  unread(texts: string[]): void {
    this.again.unshift(...texts);
  }
}

/** One lane: a user identity reconnecting as often as the fuzz closes it. */
async function userLane(lane: number, count: number, tally: FuzzTally): Promise<void> {
  const key = keys[0]!;
  const userId = randomUUID();
  const feed = new Feed(fuzzStream(new Rng(SEED + lane), userSeeds(key, userId), count, SEED + lane * 1_000_003), count);
  while (feed.left > 0) {
    const user = await waitFor(`user lane ${lane} reconnects`, async () => {
      const { user: u, answer } = await RawUser.hello(server().url, { key, userId });
      if (answer.type === 'ACK') return u;
      u.sock.terminate(); // the previous connection of this user id is still being closed
      return undefined;
    }, 20_000, 20);
    sockets.push(user.sock);
    tally.connections++;
    let budget = USER_FRAMES_PER_CONNECTION;
    while (budget > 0 && feed.left > 0) {
      const batch = feed.take(Math.min(USER_BATCH, budget));
      budget -= batch.length + 1;
      const unread = await fuzzBatch(user.sock, batch, key.publicKey, userAnswer, tally);
      if (unread) {
        feed.unread(unread);
        break;
      }
    }
    user.close();
    await user.sock.waitClosed(10_000);
    alive();
  }
}

test(`${FRAMES} fuzzed frames: every one answered or closed, no crash, bounded memory`, async () => {
  const t0 = Date.now();
  const firstCount = Math.max(20, Math.round(FRAMES * 0.01));
  const serverCount = Math.round(FRAMES * 0.3);
  const userCount = FRAMES - firstCount - serverCount;
  const rss0 = await rssKb(server().pid);
  const sampler = setInterval(() => void sampleRss().catch(() => undefined), 250);
  try {
    // 1. first frames of fresh connections (role not decided yet)
    const first = emptyTally();
    const firstStream = fuzzStream(new Rng(SEED - 1), userSeeds(keys[1]!, randomUUID()), firstCount, SEED - 1);
    for (const text of firstStream) {
      const s = await FrameSocket.connect(server().url);
      sockets.push(s);
      first.connections++;
      first.sent++;
      s.sendRaw(text);
      const answered = await s.waitFrame(() => true, 10_000).then(() => true, () => false);
      if (!answered && s.closeCode === undefined) first.unexplained++;
      else if (!answered) {
        first.closed++;
        if (!CLEAN_CLOSE_CODES.has(s.closeCode!)) first.badCloseCodes.push(s.closeCode!);
      } else first.answered++;
      s.terminate();
    }
    alive();
    const tFirst = Date.now();

    // 2. user connections (several lanes at once)
    const users = emptyTally();
    const per = Math.floor(userCount / USER_LANES);
    await Promise.all(Array.from({ length: USER_LANES }, (_, l) => userLane(l, l === 0 ? userCount - per * (USER_LANES - 1) : per, users)));
    alive();
    const tUsers = Date.now();

    // 3. a hostile server link (admitted, so accepted: the server dials back), re-linked whenever it is closed
    const link = emptyTally();
    mallory = await HostileServer.create(keys[2]!);
    await mallory.admit(mesh.introducers[0]!.wsUrl, mesh.joinSecret); // an admitted server turned hostile
    const serverStream = fuzzStream(new Rng(SEED + 99), serverSeeds(keys[2]!, mallory.id, keys[1]!), serverCount, SEED + 99);
    const feed = new Feed(serverStream, serverCount);
    while (feed.left > 0) {
      const sock = await mallory.link(server().url, mesh.servers[0]!.id);
      sockets.push(sock);
      link.connections++;
      if (link.connections === 1) await waitFor('the server dials back to the hostile peer', () => mallory!.inbound.length > 0, 15_000);
      for (;;) {
        const unread = await fuzzBatch(sock, feed.take(SERVER_BATCH), keys[2]!.publicKey, (f) => f.type === 'ERROR', link);
        if (unread) feed.unread(unread);
        if (unread || feed.left === 0) break;
      }
      sock.terminate();
      alive();
    }
    await sampleRss();
    const ready = await readyz(mesh.servers[0]!.adminUrl);
    const figures = {
      fuzz: 'server', seed: SEED, frames: FRAMES, seconds: { firstFrame: Math.round((tFirst - t0) / 1000), user: Math.round((tUsers - tFirst) / 1000), serverLink: Math.round((Date.now() - tUsers) / 1000) },
      firstFrame: first, user: users, serverLink: link,
      rssStartMb: Math.round(rss0 / 1024), rssMaxMb: Math.round(maxRss / 1024), readyAfter: ready.status,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    for (const t of [first, users, link]) {
      expect(t.unexplained).toBe(0);
      expect(t.badCloseCodes).toEqual([]);
      expect(t.answered + t.closed + t.legitimate).toBe(t.sent);
    }
    expect(first.sent + users.sent + link.sent).toBe(FRAMES);
    expect(ready.status).toBe(200);
    expect(maxRss).toBeLessThan(512 * 1024);
  } finally {
    clearInterval(sampler);
  }
});

/**
 * The exchange every server dialect is put through (issue 14 item 6): presence, DMs both ways,
 * our `/all` and our file to its user, between one of our users (a RawUser on our server) and a
 * user of a stand-in server (tests/interop/peers), each checked end to end where it arrives.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, type RsaPrivateKey } from '@socp/protocol';
import type { Mesh } from '../harness/mesh';
import { RawUser } from '../harness/raw-user';
import { waitFor } from '../harness/wait';
import { LIVENESS, ourServer } from './our-server';
import type { LocalUser, PeerUsers } from './peers/peer-users';
import type { SelfIntroducingPeer } from './peers/self-introducing-peer';

/** A stand-in server as the exchange drives it. */
export interface StandIn {
  readonly users: PeerUsers;
  tell(from: string, to: string, text: string): void;
  all(from: string, text: string): void;
  /** Returns the file_id. */
  sendFile(from: string, to: string, name: string, data: Buffer): string;
}

/**
 * Presence both ways, DMs both ways, our `/all` to its user, and our file to its user, all
 * checked end to end on the receiving side. Its `/all` and its files differ per dialect: the
 * tests check those themselves.
 */
export async function exchange(ours: RawUser, peer: StandIn, theirs: LocalUser): Promise<void> {
  await ours.waitForUser(theirs.id, 20_000);
  await peer.users.waitFor(ours.id);

  ours.sendDm(theirs.id, 'hello from our side');
  await waitFor('our DM at the stand-in', () => peer.users.got.find((g) => g.kind === 'dm' && g.from === ours.id && g.text === 'hello from our side'), 20_000);
  const m = ours.mark();
  peer.tell(theirs.name, ours.id, 'hello from their side');
  expect((await ours.waitMessage(theirs.id, 20_000, m)).text).toBe('hello from their side');

  ours.sendPublic(theirs.id, 'our side to all');
  await waitFor('our /all at the stand-in', () => peer.users.got.find((g) => g.kind === 'public' && g.from === ours.id && g.text === 'our side to all'), 20_000);

  const data = randomBytes(2_000);
  ours.sendFile(theirs.id, 'ours.bin', data);
  const file = await waitFor('our file at the stand-in', () => peer.users.files.find((f) => f.name === 'ours.bin'), 30_000);
  expect(file.data.equals(data)).toBe(true);
  expect(peer.users.problems).toEqual([]);
}

/** Its `/all` (per-recipient MSG_PUBLIC_CHANNEL) and its file reach our user, checked end to end (the profile's forms). */
export async function theirAllAndFile(ours: RawUser, peer: StandIn, theirs: LocalUser): Promise<void> {
  const m = ours.mark();
  peer.all(theirs.name, 'their side to all');
  expect((await ours.waitMessage(theirs.id, 20_000, m, 'public')).text).toBe('their side to all');
  const data = randomBytes(3_000);
  const fileId = peer.sendFile(theirs.name, ours.id, 'theirs.bin', data);
  expect((await ours.waitFile(fileId, theirs.id, 30_000)).bytes.equals(data)).toBe(true);
  expect(peer.users.problems).toEqual([]);
}

/**
 * A stand-in that is its own introducer (peers/self-introducing-peer.ts) with a user "bob", and
 * our server joined to it, its key pinned in SOCP_BOOTSTRAP (plus `serverEnv`); `connect()`
 * brings our user "alice" on. Set up before all tests of the file, torn down after.
 */
export function useJoinedPeer(start: (heartbeatMs: number) => Promise<SelfIntroducingPeer>, serverEnv: Record<string, string> = {}) {
  const fx = {
    peer: undefined as unknown as SelfIntroducingPeer,
    bob: undefined as unknown as LocalUser,
    mesh: undefined as unknown as Mesh,
    alice: undefined as RawUser | undefined,
    aliceKey: undefined as unknown as RsaPrivateKey,
    async connect(): Promise<RawUser> {
      fx.alice = await RawUser.connect(fx.mesh.servers[0]!.wsUrl, { key: fx.aliceKey, name: 'alice' });
      return fx.alice;
    },
  };
  beforeAll(async () => {
    [fx.peer, fx.aliceKey] = await Promise.all([start(LIVENESS.heartbeatMs), generateKeyPair()]);
    fx.bob = await fx.peer.login('bob');
    const bootstrap = JSON.stringify([{ host: '127.0.0.1', port: fx.peer.port, pubkey: fx.peer.pubkey }]);
    fx.mesh = await ourServer({ introducers: 0, serverEnv: { SOCP_BOOTSTRAP: bootstrap, ...serverEnv } });
  });
  afterAll(async () => {
    fx.alice?.sock.terminate();
    await fx.mesh?.stop();
    await fx.peer?.close();
  });
  return fx;
}

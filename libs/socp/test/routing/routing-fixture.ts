/**
 * A routing state seen from server S1 (SELF) with peer servers S2 and S3 linked and pinned,
 * and helpers to build verified frames and read effects. No sockets, no timers.
 */
import {
  NO_ADMIT_RULES, acceptUnsigned, createRoutingState, handleUserHello, helloProofOf, sealFrame, signContent, withBind,
  type Effect, type Frame, type RoutingCtx, type RoutingState, type RsaPrivateKey, type UnsignedFrame, type Verified,
} from '@socp/protocol';
import { testKeys } from '../helpers/fixtures';

export const SELF = '6b0f3c1e-8d52-4a7e-9f3a-2c4d5e6f7a81';
export const S2 = 'a1b2c3d4-0000-4000-8000-000000000001';
export const S3 = 'b1b2c3d4-0000-4000-8000-000000000002';
export const ALICE = '2e4f6a8c-1b3d-4e5f-9a7b-6c8d0e2f4a6b';
export const BOB = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
export const CAROL = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
export const NOW = 1_760_000_000_000;

export const ctx = (now = NOW): RoutingCtx => ({ now, selfId: SELF, selfPub: 'SELFPUB', random: (n) => Buffer.alloc(n, 1) });

/** alice = a local user's key; bob = server S2's key (and BOB's user key, hosted on S2). */
export function keys(): { alice: RsaPrivateKey; bob: RsaPrivateKey } {
  const k = testKeys();
  return { alice: k.alice, bob: k.bob };
}

/** The introducer key pinned by SELF (tickets it signs admit servers): the vectors have two keys, so alice's serves here too. */
export const introducerKey = (): RsaPrivateKey => testKeys().alice;

/** S2 and S3 linked, pinned and admitted (by ticket, until an hour after NOW); the introducer pinned. */
export function meshState(): RoutingState {
  const intro = introducerKey().publicKey;
  const s = createRoutingState({ trust: { issuers: new Map([[intro.fingerprint(), intro]]), rules: NO_ADMIT_RULES } });
  const { bob } = keys();
  for (const id of [S2, S3]) {
    s.serverPubkeys.set(id, bob.publicKey);
    s.serverAddrs.set(id, { host: '127.0.0.1', port: 9000 });
    s.servers.add(id);
    s.admitted.set(id, { basis: 'ticket', expires: NOW + 3_600_000 });
  }
  return s;
}

type Hello = Verified<Extract<Frame, { type: 'USER_HELLO' }>>;
/** A proven USER_HELLO: signed by its key, with payload.bind naming its envelope. */
export const provenHello = (from: string, key: RsaPrivateKey, meta?: Record<string, string>, ts = NOW, to = SELF): Hello =>
  sealFrame(withBind({ type: 'USER_HELLO', from, to, ts, payload: { pubkey: key.publicKey.toBase64Url(), ...(meta ? { meta } : {}) } }), key) as Hello;
/** An unproven (spec-only) USER_HELLO: unsigned. */
export const unprovenHello = (from: string, pubkey: string, meta?: Record<string, string>, ts = NOW): Hello =>
  acceptUnsigned({ type: 'USER_HELLO', from, to: SELF, ts, payload: { pubkey, ...(meta ? { meta } : {}) }, sig: '' } as Frame, 'unsigned-hello') as Hello;

/** The hello proof a server `host` would advertise for `user` holding `key` (routing/hello-proof.ts). */
export const proofFor = (user: string, key: RsaPrivateKey, host: string, ts = NOW): Record<string, unknown> => ({ ...helloProofOf(provenHello(user, key, undefined, ts, host)) });

/** Accept ALICE as a local user on connection c1 (a proven hello: her key is bound). */
export function withAlice(s: RoutingState): RoutingState {
  const r = handleUserHello(s, provenHello(ALICE, keys().alice, { username: 'alice' }), 'c1', ctx());
  if (!r.accepted) throw new Error('fixture: alice refused');
  return s;
}

/** BOB known as hosted by S2. */
export function withRemoteBob(s: RoutingState): RoutingState {
  s.userLocations.set(BOB, S2);
  s.userKeys.set(BOB, keys().bob.publicKey.toBase64Url());
  s.directory.set(BOB, { userId: BOB, serverId: S2, pubkey: keys().bob.publicKey.toBase64Url(), meta: {}, ts: NOW, proven: true });
  return s;
}

export const signedBy = (f: UnsignedFrame, k: RsaPrivateKey): Verified<Frame> => sealFrame(f, k) as Verified<Frame>;
export const unsigned = (f: UnsignedFrame): Verified<Frame> => acceptUnsigned({ ...f, sig: '' } as Frame, 'unsigned-user-content');

export function dm(to: string, ts = NOW, key = keys().alice): UnsignedFrame<'MSG_DIRECT'> {
  const ciphertext = Buffer.alloc(512, 5).toString('base64url');
  return { type: 'MSG_DIRECT', from: ALICE, to, ts, payload: { ciphertext, sender_pub: key.publicKey.toBase64Url(), content_sig: signContent(key, { ciphertext, from: ALICE, to, ts }) } };
}

/** A deep, comparable copy of everything a refusal must leave untouched. */
export function snapshot(s: RoutingState): unknown {
  return {
    servers: [...s.servers].sort(), pins: [...s.serverPubkeys.keys()].sort(), addrs: [...s.serverAddrs].sort(),
    local: [...s.localUsers].sort(), loc: [...s.userLocations].sort(), keys: [...s.userKeys].sort(), names: [...s.names].sort(),
    dir: [...s.directory.keys()].sort(), channel: { v: s.channel.version, m: [...s.channel.members].sort() },
  };
}

export const rejects = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: 'reject' }> => e.kind === 'reject').map((e) => e.reason);
export const errorCodes = (effects: Effect[]) =>
  effects.flatMap((e) => (e.kind === 'sendToConnection' && 'seal' in e.out && e.out.seal.type === 'ERROR' ? [(e.out.seal.payload as { code: string }).code] : []));
export const sealedOf = (effects: Effect[], kind: Effect['kind'], type: string) =>
  effects.flatMap((e) => ('out' in e && e.kind === kind && 'seal' in e.out && e.out.seal.type === type ? [{ effect: e, frame: e.out.seal }] : []));

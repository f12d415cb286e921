/**
 * The routing state of one server: the tables of SPEC.md §6 plus the extra state the profile
 * needs (pinned server keys, user→key bindings, name bindings, the directory of online users,
 * the public channel, the dedupe cache). Owned by the pure core; the shell only reads it.
 */
import { SeenCache } from '../wire/seen-cache';
import { NO_ADMIT_RULES, type AdmitRules } from '../admission/admit-rules';
import type { RsaPublicKey } from '../crypto/keys';
import type { Verified } from '../wire/envelope';
import type { FrameOf } from '../messages';
import type { HelloProof } from './hello-proof';

/** One online user anywhere in the mesh, as advertised (§9.2). */
export interface DirectoryEntry {
  userId: string;
  /** Hosting server id (our own id for local users). */
  serverId: string;
  /** base64url(DER SPKI) of the user's key (what keys are compared by). */
  pubkey: string;
  /**
   * The same key in the encoding the user sent it (or its server advertised it), when that is
   * not `pubkey`: relayed as is, because some peers read only base64url(PEM) (SPEC.md profile
   * additions, "Users' keys travel as the user sent them").
   */
  sentPubkey?: string;
  meta: Record<string, unknown>;
  /** ts of the advertisement we emit for this user (local) or received (remote). */
  ts: number;
  /**
   * The user proved possession of its key: to us (a signed, bound USER_HELLO or an account
   * log-in; routing/user-session.ts), or, for a remote user, by the hello proof its server
   * advertised (routing/hello-proof.ts). Only proven keys are bound for good; a proven hello
   * wins over an unproven session for the same id.
   */
  proven: boolean;
  /** The user's own bound hello, for users we host: sent in our advertisements (routing/hello-proof.ts). */
  proof?: HelloProof;
}

/** Why a server is admitted to this mesh (routing/admission.ts). */
export interface Admission {
  /** ticket: a valid ticket of a pinned introducer; welcome: listed by a pinned introducer; rule: SOCP_ADMIT. */
  basis: 'ticket' | 'welcome' | 'rule';
  /** Unix ms; Infinity when only a restart or a config change ends it. */
  expires: number;
}

/** The operator's trust configuration, fixed at start (routing/admission.ts). */
export interface TrustConfig {
  /** Pinned introducer keys by SHA-256 fingerprint: their tickets and WELCOMEs admit servers. */
  issuers: Map<string, RsaPublicKey>;
  /** Open-federation rules (SOCP_ADMIT): servers admitted without a ticket. */
  rules: AdmitRules;
}

/** A USER_ADVERTISE for a user another linked server hosts, applied once that server lets go (routing/server-frames.ts). */
export interface PendingClaim { frame: Verified<FrameOf<'USER_ADVERTISE'>>; linkServerId: string; at: number }

export interface RoutingState {
  /** §6 `servers`: ids of servers we hold at least one open link to. */
  servers: Set<string>;
  /** §6 `server_addrs`: advertised (host, port) for reconnect. */
  serverAddrs: Map<string, { host: string; port: number }>;
  /** Pinned server keys (first key wins; never overwritten). Pinned is not admitted: see `admitted`. */
  serverPubkeys: Map<string, RsaPublicKey>;
  /** §6 `local_users`: user_id → connection id. */
  localUsers: Map<string, string>;
  /** §6 `user_locations`: user_id → "local" or the hosting server's id. */
  userLocations: Map<string, string>;
  /**
   * user_id → the key it is bound to for good (b64url DER SPKI): the first key whose holder
   * PROVED possession (here or, as its server attests, elsewhere), or an account's key.
   * Persisted. An unproven user's key lives only in its directory entry (`keyOfUser`).
   */
  userKeys: Map<string, string>;
  /** Account names (name → user_id): registered, permanent; no hello may claim them. */
  names: Map<string, string>;
  /** Names claimed in a USER_HELLO's meta by users online here without an account: held while online only. */
  onlineNames: Map<string, string>;
  /** Admitted servers (routing/admission.ts); operator rules are checked besides. */
  admitted: Map<string, Admission>;
  /** Servers known to bind their envelopes (wire/bind.ts): their frames without `bind` are refused. */
  bindingServers: Set<string>;
  /** Servers whose latest hello (or ticket) says they take SERVER_DELIVER_BATCH (routing/deliver-batch.ts). */
  batchingServers: Set<string>;
  /** Claims on users hosted by another linked server, waiting for that server to let go. */
  pendingClaims: Map<string, PendingClaim>;
  trust: TrustConfig;
  /** Online users anywhere, for presence snapshots and LIST_RESPONSE. */
  directory: Map<string, DirectoryEntry>;
  /** §10.3 public channel: version, members, and this server's random 32-byte group key. */
  channel: { version: number; members: Set<string>; key: Buffer | undefined };
  /** §12 seen_ids. */
  seen: SeenCache;
  /** When a peer's HELLO_LINK last made us replay our local users to it (ms). */
  helloReplayAt: Map<string, number>;
  /** Users with a password account on THIS server (docs/accounts.md): their DMs queue here while offline. */
  accounts: Set<string>;
  /** Home server of remote account users (USER_ADVERTISE meta.home); outlives presence. */
  homes: Map<string, string>;
  /** peer server id → SERVER_DELIVER dedupe key → DM awaiting that peer's ACK (send order). */
  inflight: Map<string, Map<string, InflightDm>>;
  /** Peers that have ACKed a SERVER_DELIVER (G43 never does): their silence is reported. */
  ackingPeers: Set<string>;
  /** Connected account users whose hello asked to ACK queued DMs (routing/queue-acks.ts). */
  queueAcks: Map<string, QueueAckSession>;
}

/** The queue-ACK state of one connected account user (routing/queue-acks.ts). */
export interface QueueAckSession {
  connId: string;
  /** queue_ref → the raw queue entry it names (the store removes it by exact value). */
  pending: Map<string, string>;
  /** Characters of the raw entries in `pending` (bounded by MAX_PENDING_QUEUE_BYTES). */
  bytes: number;
  /** Refs handed out on this connection so far (numbers the next one). */
  issued: number;
}

/** A DM of a local user handed to a peer server and not yet ACKed (routing/delivery-acks.ts). */
export interface InflightDm {
  /** The local user who sent it. */
  sender: string;
  to: string;
  /** The user's frame ts and dedupe key (what the sender can match a report against). */
  ts: number;
  userRef: string;
  sentAt: number;
}

/** Inputs from the outside world (S1: time and randomness are inputs). */
export interface RoutingCtx {
  now: number;
  selfId: string;
  /** Our server key as we advertise it (b64url DER, or b64url PEM when configured). */
  selfPub: string;
  /** Cryptographically random bytes. */
  random: (n: number) => Buffer;
}

export function createRoutingState(init: { dedupeTtlMs?: number; dedupeCapacity?: number; trust?: TrustConfig } = {}): RoutingState {
  return {
    servers: new Set(),
    serverAddrs: new Map(),
    serverPubkeys: new Map(),
    localUsers: new Map(),
    userLocations: new Map(),
    userKeys: new Map(),
    names: new Map(),
    onlineNames: new Map(),
    admitted: new Map(),
    bindingServers: new Set(),
    batchingServers: new Set(),
    pendingClaims: new Map(),
    trust: init.trust ?? { issuers: new Map(), rules: NO_ADMIT_RULES },
    directory: new Map(),
    channel: { version: 0, members: new Set(), key: undefined },
    seen: new SeenCache(init.dedupeTtlMs, init.dedupeCapacity),
    helloReplayAt: new Map(),
    accounts: new Set(),
    homes: new Map(),
    inflight: new Map(),
    ackingPeers: new Set(),
    queueAcks: new Map(),
  };
}

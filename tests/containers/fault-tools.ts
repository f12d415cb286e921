/**
 * Fault injection on the compose mesh (docs/RELIABILITY.md): docker pause / network disconnect
 * of one service's container, and a receiver that runs the CLI client's own transfer logic
 * (the user core + Downloads) on a raw user's verified frames.
 */
import { createUserState, handleIncoming, linkLost, verifyFrame, type UserState } from '@socp/protocol';
import type { ComposeMesh } from './compose-mesh';
import { dockerSh } from './compose-mesh';
import type { RawUser } from '../harness/raw-user';
import { Downloads, storeFileEvent } from '../../services/client-cli/src/downloads';
import type { ClientEvent } from '../../services/client-cli/src/events';

export async function containerId(mesh: ComposeMesh, service: string): Promise<string> {
  return (await mesh.compose('ps', '-q', service)).trim();
}

/** Cut `service` off the mesh network (all its peers, its Redis, the host port) and put it back under its DNS names. */
export async function partition(mesh: ComposeMesh, service: string): Promise<() => Promise<void>> {
  const id = await containerId(mesh, service);
  const net = `${mesh.project}_mesh`;
  await dockerSh(`docker network disconnect -f ${net} ${id}`);
  return async () => {
    await dockerSh(`docker network connect --alias ${service} --alias socp-server ${net} ${id}`);
  };
}

export async function dockerPause(mesh: ComposeMesh, service: string): Promise<() => Promise<void>> {
  const id = await containerId(mesh, service);
  await dockerSh(`docker pause ${id}`);
  return async () => {
    await dockerSh(`docker unpause ${id}`);
  };
}

/**
 * The CLI's receiving logic on a RawUser: every frame verified under the pinned server key goes
 * through the user core (handleIncoming), file events through Downloads (temp `.part` file, committed only when size
 * and SHA-256 match); on a lost connection the open transfers are reported and discarded,
 * exactly as the CLI session does.
 */
export class ClientReceiver {
  readonly events: ClientEvent[] = [];
  private cursor = 0;
  readonly state: UserState;
  readonly downloads: Downloads;

  constructor(private readonly user: RawUser, dir: string) {
    this.state = createUserState({ userId: user.id, name: user.name ?? 'receiver', key: user.key });
    this.downloads = new Downloads(dir);
  }

  /** Feed frames received since the last call. */
  pump(now = Date.now()): ClientEvent[] {
    const out: ClientEvent[] = [];
    for (; this.cursor < this.user.sock.received.length; this.cursor++) {
      const f = this.user.sock.received[this.cursor]!.frame;
      if (!f || !this.user.serverPub) continue;
      const v = verifyFrame(f, this.user.serverPub);
      if (!v.ok) continue;
      for (const e of handleIncoming(this.state, v.value, { now }).events) out.push(storeFileEvent(e, this.downloads, this.state));
    }
    this.events.push(...out);
    return out;
  }

  /** The connection is gone: every open transfer is incomplete. */
  disconnected(): ClientEvent[] {
    this.pump();
    const out = linkLost(this.state).map((e) => storeFileEvent(e, this.downloads, this.state)); // what the CLI session does on close
    this.events.push(...out);
    return out;
  }
}

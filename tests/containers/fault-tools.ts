/**
 * Fault injection on the compose mesh (docs/RELIABILITY.md): docker pause / network disconnect
 * of one service's container, and a receiver that runs the CLI client's own transfer logic
 * (Inbound + Downloads) on a raw user's verified frames.
 */
import { Roster, verifyFrame } from '@socp/protocol';
import type { ComposeMesh } from './compose-mesh';
import { dockerSh } from './compose-mesh';
import type { RawUser } from '../harness/raw-user';
import { Inbound } from '../../services/client-cli/src/inbound';
import { Downloads } from '../../services/client-cli/src/downloads';
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
 * through Inbound, file events through Downloads (temp `.part` file, committed only when size
 * and SHA-256 match); on a lost connection the open transfers are reported and discarded,
 * exactly as the CLI session does.
 */
export class ClientReceiver {
  readonly events: ClientEvent[] = [];
  private cursor = 0;
  readonly inbound: Inbound;
  readonly downloads: Downloads;

  constructor(private readonly user: RawUser, dir: string) {
    this.inbound = new Inbound({ userId: user.id, name: user.name ?? 'receiver', key: user.key }, new Roster());
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
      for (const e of this.inbound.handle(v.value, now)) {
        if (e.event === 'file-offered') this.downloads.begin(e.transfer);
        if (e.event === 'file-data') this.downloads.append(e.transfer, e.append);
        if (e.event === 'file-received') this.downloads.commit(e.transfer);
        if (e.event === 'file-failed') this.downloads.discard(e.transfer);
        out.push(e);
      }
    }
    this.events.push(...out);
    return out;
  }

  /** The connection is gone: every open transfer is incomplete. */
  disconnected(): ClientEvent[] {
    this.pump();
    const out = this.inbound.disconnected(); // what the CLI session does on close
    for (const e of out) if (e.event === 'file-failed') this.downloads.discard(e.transfer);
    this.events.push(...out);
    return out;
  }
}

/**
 * What a user's frame costs in RSA-4096 signatures, mesh-wide, charged to its connection's
 * signature budget (USER_SIGNATURES_PER_SEC). Every frame a server emits is signed (§8.1), so:
 *  - MSG_PUBLIC_CHANNEL to "public"/"*": one USER_DELIVER per local user, one copy to every
 *    server, and there one USER_DELIVER per user again → everyone online plus the servers;
 *  - PUBLIC_CHANNEL_KEY_SHARE: one copy per listed member plus one per server;
 *  - FILE_CHUNK: one, charged to the chunk budget instead (USER_FILE_CHUNKS_PER_SEC);
 *  - ACK, ERROR, CTRL_CLOSE: nothing signed in answer;
 *  - anything else (MSG_DIRECT, per-recipient MSG_PUBLIC_CHANNEL, FILE_START/END, LIST_REQUEST,
 *    and whatever is refused with an ERROR): one.
 * A cost is an estimate from the routing state at the time (who is online), never a promise.
 */
import type { Frame, RoutingState } from '@socp/protocol';

export function signatureCost(state: RoutingState, f: Frame): number {
  switch (f.type) {
    case 'MSG_PUBLIC_CHANNEL':
      return f.to === 'public' || f.to === '*' ? state.directory.size + state.servers.size : 1;
    case 'PUBLIC_CHANNEL_KEY_SHARE':
      return f.payload.shares.length + state.servers.size;
    case 'FILE_CHUNK':
    case 'ACK':
    case 'ERROR':
    case 'CTRL_CLOSE':
      return 0;
    default:
      return 1;
  }
}

/**
 * How we give up on a socket (issue 14 item 4): a close frame with a code first, and the socket
 * cut only if the close handshake has not finished CLOSE_GRACE_MS later (ws itself would wait
 * 30 s). A socket still connecting has no handshake to finish and is cut at once. One peer's
 * server process exits when its socket is cut without a close frame.
 */
import type { WebSocket } from 'ws';
import { CLOSE_GRACE_MS } from '@socp/protocol';

export function closePolitely(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CONNECTING) return ws.terminate();
  if (ws.readyState === ws.OPEN) {
    try {
      ws.close(code, reason.slice(0, 120));
    } catch {
      return ws.terminate(); // a code ws refuses: cut now rather than leave it open
    }
  }
  setTimeout(() => ws.readyState !== ws.CLOSED && ws.terminate(), CLOSE_GRACE_MS).unref();
}

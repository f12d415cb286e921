/** A real loopback WebSocket pair (server side + client), for tests of one connection's transport. */
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** `serverSocket`: the TCP socket under `serverSide`, as the `connection` event hands it over (req.socket). */
export interface WsPair { wss: WebSocketServer; client: WebSocket; serverSide: WebSocket; serverSocket: Socket }

export async function openWsPair(): Promise<WsPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((res) => wss.once('listening', () => res()));
  const accepted = new Promise<{ ws: WebSocket; socket: Socket }>((res) => wss.once('connection', (ws, req) => res({ ws, socket: req.socket })));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const { ws: serverSide, socket: serverSocket } = await accepted;
  if (client.readyState !== WebSocket.OPEN) await new Promise((res) => client.once('open', res));
  return { wss, client, serverSide, serverSocket };
}

export async function closeWsPair(p: WsPair | undefined): Promise<void> {
  if (p === undefined) return;
  p.client.terminate();
  await new Promise<void>((res) => p.wss.close(() => res()));
}

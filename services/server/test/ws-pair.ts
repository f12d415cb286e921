/** A real loopback WebSocket pair (server side + client), for tests of one connection's transport. */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export interface WsPair { wss: WebSocketServer; client: WebSocket; serverSide: WebSocket }

export async function openWsPair(): Promise<WsPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((res) => wss.once('listening', () => res()));
  const accepted = new Promise<WebSocket>((res) => wss.once('connection', (ws) => res(ws)));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const serverSide = await accepted;
  if (client.readyState !== WebSocket.OPEN) await new Promise((res) => client.once('open', res));
  return { wss, client, serverSide };
}

export async function closeWsPair(p: WsPair | undefined): Promise<void> {
  if (p === undefined) return;
  p.client.terminate();
  await new Promise<void>((res) => p.wss.close(() => res()));
}

// A server the operator never admitted, for tests/containers/admission.test.ts. Runs in the
// socp/server image on the compose mesh network (so `@socp/protocol` and `ws` resolve from
// /app): `node /app/hello-link.cjs <server-host> <wait-ms> <own-host>`. With a fresh RSA-4096
// key and no mesh join secret it opens a link to a real server with a self-signed
// SERVER_HELLO_LINK that names its own listener (<own-host>: its container name, which stops
// resolving once it is gone; an IP would be reused by the next container), then reports on stdout, as JSON lines, what came back: ERROR frames,
// the close of its link, and whether the server dialled back to it (what a server does once
// it accepted the link). Exits after <wait-ms>, or at once when the server dialled back.
const { randomUUID } = require('node:crypto');
const { networkInterfaces } = require('node:os');
const { WebSocket, WebSocketServer } = require('ws');
const { encodeFrame, generateKeyPair, sealFrame } = require('@socp/protocol');

const PORT = 9101;
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const myIp = () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal).address;
const [host, waitMs, ownHost] = [process.argv[2], Number(process.argv[3] ?? 20000), process.argv[4] ?? myIp()];

generateKeyPair().then((key) => {
  const id = randomUUID();
  const listener = new WebSocketServer({ host: '0.0.0.0', port: PORT });
  listener.on('connection', (ws) => ws.once('message', (d) => {
    let type = 'unparsed';
    try { type = JSON.parse(String(d)).type; } catch { /* raw text */ }
    say({ event: 'dial-back', type });
    setTimeout(() => process.exit(0), 200);
  }));
  const ws = new WebSocket(`ws://${host}:${PORT}`);
  ws.on('open', () => {
    const hello = sealFrame({ type: 'SERVER_HELLO_LINK', from: id, to: '*', ts: Date.now(), payload: { host: ownHost, port: PORT, pubkey: key.publicKey.toBase64Url() } }, key);
    ws.send(encodeFrame(hello));
    say({ event: 'sent', type: 'SERVER_HELLO_LINK', id });
  });
  ws.on('message', (d) => {
    try {
      const f = JSON.parse(String(d));
      say({ event: 'frame', type: f.type, code: f.payload && f.payload.code });
    } catch { say({ event: 'frame', type: 'unparsed' }); }
  });
  ws.on('close', (code) => say({ event: 'closed', code }));
  ws.on('error', (e) => say({ event: 'error', message: e.message }));
  setTimeout(() => process.exit(0), waitMs);
});

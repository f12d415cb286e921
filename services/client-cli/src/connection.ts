/**
 * The socket (thin shell): connect, USER_HELLO, pin the server key, then hand every frame
 * that decodes (decodeFrame) and verifies under the pinned server key (verifyFrame) to the
 * session. Nothing the server sends can throw out of here: bad frames become warnings.
 *
 * Handshake (docs/contracts.md): we send a signed USER_HELLO; the server answers
 * ACK {msg_ref:"USER_HELLO", server_id, server_pub} signed with its key, or ERROR (e.g.
 * NAME_IN_USE); other servers' forms are in @socp/protocol user/hello.ts (USER_HELLO_OK, no ACK at all with
 * a key given out of band). The key must verify the answer and equal the key pinned for this
 * URL, if any (else it is pinned now: trust on first use). Frames arriving before the answer
 * are held (bounded) and verified once the key is known.
 */
import WebSocket from 'ws';
import {
  decodeFrame, encodeFrame, helloAnswer, helloDraft, helloTimeout, helloTo, sealDraftAsync, sealFrame, verifyFrame, HELLO_TIMEOUT_MS, MAX_FRAME_BYTES, SocpError,
  type Frame, type RsaPublicKey, type UserIdentity, type Verified,
} from '@socp/protocol';
import { keepAlive } from '@socp/node';
import { expectedServerKey, pinFor, savePin } from './server-pins';
import { LINK_DEAD_AFTER_MS, SEND_HIGH_WATER_BYTES } from './limits';
import type { PreHello } from './account-remote';

const MAX_EARLY_FRAMES = 20_000;
/** Our USER_HELLO's `client`. */
const CLIENT_NAME = 'socp-cli/0.1';

export interface ConnectionHandlers {
  frame(f: Verified<Frame>): void;
  warning(code: string, detail: string): void;
  closed(reason: string): void;
}

export interface Handshake { serverId: string; serverKey: RsaPublicKey; pinned: 'new' | 'known' }

export interface OpenOptions {
  /** $SOCP_HOME: known_servers.json holds the pins. */
  home: string;
  /** After an account exchange (account-remote.ts): its socket (absent: dial anew) and the nonce the hello carries. */
  pre?: PreHello | undefined;
  /** The server's key given out of band (--server-key): verifies a server that sends no hello ACK. */
  serverKey?: RsaPublicKey | undefined;
  /** Our key in the hello: b64url DER (default) or PEM-b64url (SOCP_KEY_FORMAT). */
  keyFormat?: 'der' | 'pem';
  timeoutMs?: number;
}

export class Connection {
  private handlers: ConnectionHandlers | undefined;
  private closing = false;
  private constructor(readonly url: string, private readonly ws: WebSocket, private readonly me: UserIdentity, readonly handshake: Handshake, private early: Frame[]) {}

  /** Frames between the ACK and start() (the caller may save the keystore in between). */
  private readonly holdEarly = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (isBinary || this.early.length >= MAX_EARLY_FRAMES) return;
    const r = decodeFrame(data as Buffer);
    if (r.ok) this.early.push(r.value);
  };

  /** Open the socket and complete the handshake; rejects with a SocpError (NAME_IN_USE, BAD_KEY, TIMEOUT, …). */
  static async open(url: string, me: UserIdentity, o: OpenOptions): Promise<Connection> {
    const timeoutMs = o.timeoutMs ?? HELLO_TIMEOUT_MS;
    const { home, pre } = o;
    const expected = await expectedServerKey(home, url, o.serverKey);
    const pinnedId = (await pinFor(home, url))?.server_id;
    return new Promise((resolve, reject) => {
      let settled = false;
      const early: Frame[] = [];
      // After an account exchange (account-remote.ts) the socket may already be open and the hello carries its nonce.
      const ws = pre?.ws ?? new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: timeoutMs });
      const fail = (e: SocpError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('message');
        ws.on('error', () => undefined);
        ws.terminate();
        reject(e);
      };
      const timer = setTimeout(() => fail(helloTimeout(url, timeoutMs, expected)), timeoutMs);
      ws.on('error', (e) => fail(new SocpError('TIMEOUT', `cannot connect to ${url}: ${e.message}`)));
      ws.on('close', (code) => fail(new SocpError('TIMEOUT', `${url} closed the connection (code ${code}) before accepting us`)));
      const hello = (): void => {
        // queueAck: our server keeps each queued DM until we acknowledge it (queue-acks.ts).
        void sealDraftAsync(helloDraft(me, helloTo(pinnedId), Date.now(), { client: CLIENT_NAME, name: me.name, queueAck: true, nonce: pre?.nonce, keyFormat: o.keyFormat }), me.key)
          .then((f) => ws.send(encodeFrame(f)))
          .catch((e: unknown) => fail(new SocpError('SOCP_ERR_INTERNAL', `could not send USER_HELLO: ${String(e)}`)));
      };
      if (pre?.ws) hello();
      else ws.on('open', hello);
      const accepted = async (serverId: string, key: RsaPublicKey): Promise<void> => {
        let pinned: 'new' | 'known' = 'known';
        if (!(await pinFor(home, url))) {
          await savePin(home, url, { server_id: serverId, pubkey: key.b64url, pinned_at: Date.now() });
          pinned = 'new';
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        const conn = new Connection(url, ws, me, { serverId, serverKey: key, pinned }, early);
        // Until start(), keep what arrives (the presence snapshot follows the ACK at once).
        ws.on('message', conn.holdEarly);
        ws.on('error', () => undefined);
        resolve(conn);
      };
      let answered = false;
      ws.on('message', (data, isBinary) => {
        if (settled || isBinary) return;
        const r = decodeFrame(data as Buffer);
        if (!r.ok) return;
        // Once answered, frames wait for the session (the pin is being saved meanwhile).
        const a = answered ? ({ kind: 'hold' } as const) : helloAnswer(r.value, expected, url);
        if (a.kind === 'refused') return fail(a.error);
        if (a.kind === 'hold' || a.keep) {
          if (early.length < MAX_EARLY_FRAMES) early.push(r.value);
          if (a.kind === 'hold') return;
        }
        answered = true;
        accepted(a.serverId, a.key).catch((e: unknown) => fail(e instanceof SocpError ? e : new SocpError('SOCP_ERR_KEYSTORE', `could not pin the server key: ${String(e)}`)));
      });
    });
  }

  /**
   * Start delivering frames (the held early ones first). A socket silent for `deadAfterMs`
   * (no frame, no pong to the WebSocket pings sent every third of it) is closed as dead
   * (@socp/node keepAlive: the one dead-link rule).
   */
  start(h: ConnectionHandlers, deadAfterMs = LINK_DEAD_AFTER_MS): void {
    this.handlers = h;
    this.ws.off('message', this.holdEarly);
    this.ws.removeAllListeners('error');
    let heard = Date.now();
    let silent: string | undefined;
    const watch = keepAlive({ everyMs: Math.max(1, Math.floor(deadAfterMs / 3)), deadAfterMs }, {
      lastHeard: () => heard,
      beat: () => this.ws.ping(),
      dead: (silentMs) => {
        silent = `no answer from the server for ${Math.round(silentMs / 1000)} s`;
        this.ws.terminate();
      },
    });
    this.ws.on('pong', () => (heard = Date.now()));
    this.ws.on('message', (data, isBinary) => {
      heard = Date.now();
      if (isBinary) h.warning('UNKNOWN_TYPE', 'binary message from server ignored');
      else this.accept(decodeFrame(data as Buffer));
    });
    this.ws.on('error', (e) => h.warning('TIMEOUT', `socket error: ${e.message}`));
    this.ws.on('close', (code, reason) => {
      watch.stop();
      h.closed(this.closing ? 'bye' : (silent ?? `server closed the connection (${code}${reason.length ? ` ${reason.toString('utf8').slice(0, 100)}` : ''})`));
    });
    const early = this.early;
    this.early = [];
    for (const f of early) this.accept({ ok: true, value: f });
  }

  private accept(r: ReturnType<typeof decodeFrame>): void {
    const h = this.handlers!;
    if (!r.ok) return h.warning(r.error.wire ?? r.error.code, `bad frame from server ignored: ${r.error.message}`);
    if (r.value.type === 'CTRL_CLOSE') return;
    const v = verifyFrame(r.value, this.handshake.serverKey);
    if (!v.ok) return h.warning('INVALID_SIG', `${r.value.type} not signed by your server's pinned key; ignored`);
    try {
      h.frame(v.value);
    } catch (e) {
      h.warning('SOCP_ERR_INTERNAL', `could not handle ${r.value.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Send one frame; waits while more than SEND_HIGH_WATER_BYTES are queued on the socket. */
  async send(f: Frame): Promise<void> {
    if (!this.open) throw new SocpError('TIMEOUT', 'not connected');
    while (this.ws.bufferedAmount > SEND_HIGH_WATER_BYTES && this.open) await new Promise((r) => setTimeout(r, 5));
    await new Promise<void>((resolve, reject) => this.ws.send(encodeFrame(f), (e) => (e ? reject(e) : resolve())));
  }

  /** CTRL_CLOSE then a normal 1000 close (§3). */
  close(): Promise<void> {
    this.closing = true;
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      const bye = sealFrame({ type: 'CTRL_CLOSE', from: this.me.userId, to: this.handshake.serverId, ts: Date.now(), payload: {} }, this.me.key);
      this.ws.send(encodeFrame(bye), () => this.ws.close(1000, 'bye'));
    });
  }
}

/** A raw WebSocket user speaking SOCP frames, recording everything it receives. */
import WebSocket from 'ws';
import { decodeFrame, directDraft, encodeFrame, sealFrame, signDraftContent, withBind, type Frame, type RsaPrivateKey, type UnsignedFrame } from '@socp/protocol';
import { waitFor } from './redis-process';

export class RawUser {
  readonly frames: Frame[] = [];
  closedWith: number | undefined;
  private constructor(readonly ws: WebSocket, readonly id: string, readonly key: RsaPrivateKey) {}

  /** `localAddress` (e.g. 127.0.0.2) makes the connection come from another source address on loopback. */
  static async connect(port: number, id: string, key: RsaPrivateKey, localAddress?: string): Promise<RawUser> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, localAddress === undefined ? {} : { localAddress });
    const u = new RawUser(ws, id, key);
    ws.on('message', (d: Buffer) => {
      const r = decodeFrame(d);
      if (r.ok) u.frames.push(r.value);
    });
    ws.on('close', (code) => (u.closedWith = code));
    ws.on('error', () => undefined);
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    return u;
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }
  send(f: UnsignedFrame, signed = true): void {
    this.ws.send(encodeFrame(signed ? sealFrame(f, this.key) : { ...f, sig: '' } as Frame));
  }
  /** A proven USER_HELLO as our CLI sends it: signed, envelope bound (payload.bind), to "*"; `bind: false` = a spec-only signed hello. */
  hello(meta?: Record<string, string>, pubkey = this.key.publicKey.toBase64Url(), o: { bind?: boolean } = {}): void {
    const f: UnsignedFrame<'USER_HELLO'> = { type: 'USER_HELLO', from: this.id, to: '*', ts: Date.now(), payload: { client: 'test', pubkey, enc_pubkey: pubkey, ...(meta ? { meta } : {}) } };
    this.send(o.bind === false ? f : withBind(f));
  }
  /**
   * A MSG_DIRECT as a client builds it (the user core's builder), with a real variant-C content_sig;
   * encrypted to our own key, since only `to`'s id is known here (servers never decrypt).
   */
  dm(to: string, ts = Date.now()): UnsignedFrame<'MSG_DIRECT'> {
    return signDraftContent(directDraft({ userId: this.id, key: this.key }, { userId: to, key: this.key.publicKey }, Buffer.from('hi', 'utf8'), ts), this.key);
  }
  async next(pred: (f: Frame) => boolean, what: string, timeoutMs = 10_000): Promise<Frame> {
    return waitFor(what, () => this.frames.find(pred), timeoutMs);
  }
  async error(code: string, timeoutMs = 10_000): Promise<Frame> {
    return this.next((f) => f.type === 'ERROR' && f.payload.code === code, `ERROR ${code}`, timeoutMs);
  }
  async closed(): Promise<number> {
    return waitFor('socket close', () => this.closedWith, 10_000);
  }
  close(): void {
    this.ws.terminate();
  }
}

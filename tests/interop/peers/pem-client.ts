/**
 * A stand-in for another implementation's client (issue 14's "PEM-key, variant-A client"),
 * written from the wire facts in the issue and SPEC.md:
 *  - its key is base64url of the PEM text (LS0tLS1CRUdJTi…), in USER_HELLO and as sender_pub;
 *    the hello is unsigned (`sig: ""`) and addressed to "*";
 *  - it loads ONLY PEM-b64url keys — an advertised or sender key in DER fails ("no start line");
 *  - it signs content in variant A (PSS over canonical JSON {ciphertext, from, to, ts}; the
 *    public form drops `to`) and verifies ONLY variant A, under the payload's sender_pub;
 *  - its `/all` puts base64url of the PLAINTEXT in "ciphertext" (its own fault, kept as is);
 *  - its files are spec form: FILE_CHUNK {file_id, index, ciphertext}, 190-byte chunks, no
 *    sender_pub / content_sig; it checks the SHA-256 of what it receives.
 * What it could not use is recorded in `rejected`, never thrown.
 */
import { createHash, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { b64urlDecode, b64urlEncode, contentSigMessage, generateKeyPair, importPublicKey, type RsaPrivateKey, type RsaPublicKey } from '@socp/protocol';
import { waitFor } from '../../harness/wait';

/** The chunk size this client sends (plaintext bytes). */
export const PEM_CLIENT_CHUNK_BYTES = 190;

interface Wire { type: string; from: string; to: string; ts: number; payload: Record<string, unknown>; sig?: string }
export interface Got { kind: 'dm' | 'public'; from: string; text: string }
interface FileIn { name: string; size: number; sha256: string; chunks: Map<number, Buffer> }

/** Their key loader: PEM-b64url only. */
function loadPem(encoded: unknown): RsaPublicKey {
  if (typeof encoded !== 'string' || !encoded.startsWith('LS0tLS1CRUdJTi')) throw new Error('no start line');
  return importPublicKey(encoded);
}

export class PemClient {
  readonly id = randomUUID();
  readonly roster = new Map<string, { name: string | undefined; key: RsaPublicKey }>();
  readonly got: Got[] = [];
  readonly files: Array<{ from: string; name: string; data: Buffer }> = [];
  readonly rejected: string[] = [];
  private readonly incoming = new Map<string, FileIn>();
  private constructor(private readonly ws: WebSocket, readonly key: RsaPrivateKey, readonly name: string) {
    ws.on('message', (d) => this.onFrame(JSON.parse(String(d)) as Wire));
  }

  static async connect(url: string, name: string): Promise<PemClient> {
    const key = await generateKeyPair();
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const c = new PemClient(ws, key, name);
    c.raw({ type: 'USER_HELLO', to: '*', payload: { client: 'pem-client', pubkey: c.pub, enc_pubkey: c.pub, meta: { display_name: name } } });
    return c;
  }

  get pub(): string {
    return this.key.publicKey.toPemBase64Url();
  }

  close(): void {
    this.ws.terminate();
  }

  private raw(f: Omit<Wire, 'from' | 'ts'> & { ts?: number }): void {
    this.ws.send(JSON.stringify({ from: this.id, ts: Date.now(), sig: '', ...f }));
  }

  private sign(ciphertext: string, to: string | undefined, ts: number): string {
    return b64urlEncode(this.key.sign(contentSigMessage({ ciphertext, from: this.id, to, ts }, 'A')!));
  }

  private verify(senderPub: unknown, ciphertext: string, from: string, to: string | undefined, ts: number, sig: unknown): boolean {
    const key = loadPem(senderPub);
    const m = contentSigMessage({ ciphertext, from, to, ts }, 'A');
    return typeof sig === 'string' && !!m && key.verify(m, b64urlDecode(sig) ?? Buffer.alloc(0));
  }

  /** The user id of a roster entry by name (throws if absent: the caller waits first). */
  idOf(name: string): string {
    for (const [id, u] of this.roster) if (u.name === name) return id;
    throw new Error(`${name} is not in the roster`);
  }

  waitFor(name: string, timeoutMs = 20_000): Promise<string> {
    return waitFor(`${name} in ${this.name}'s roster`, () => [...this.roster].find(([, u]) => u.name === name)?.[0], timeoutMs);
  }

  tell(to: string, text: string): void {
    const ts = Date.now();
    const ciphertext = b64urlEncode(this.roster.get(to)!.key.encrypt(Buffer.from(text)));
    this.raw({ type: 'MSG_DIRECT', to, ts, payload: { ciphertext, sender_pub: this.pub, content_sig: this.sign(ciphertext, to, ts) } });
  }

  /** Their /all: one MSG_PUBLIC_CHANNEL per known user, "ciphertext" = base64url of the plaintext. */
  all(text: string): void {
    for (const to of this.roster.keys()) {
      const ts = Date.now();
      const ciphertext = b64urlEncode(Buffer.from(text));
      this.raw({ type: 'MSG_PUBLIC_CHANNEL', to, ts, payload: { ciphertext, sender_pub: this.pub, content_sig: this.sign(ciphertext, undefined, ts) } });
    }
  }

  /** A spec-form transfer: 190-byte chunks without sender_pub / content_sig. */
  sendFile(to: string, name: string, data: Buffer): void {
    const file_id = randomUUID();
    const key = this.roster.get(to)!.key;
    this.raw({ type: 'FILE_START', to, payload: { file_id, name, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mode: 'dm' } });
    for (let index = 0; index * PEM_CLIENT_CHUNK_BYTES < data.length; index++) {
      const plain = data.subarray(index * PEM_CLIENT_CHUNK_BYTES, (index + 1) * PEM_CLIENT_CHUNK_BYTES);
      this.raw({ type: 'FILE_CHUNK', to, payload: { file_id, index, ciphertext: b64urlEncode(key.encrypt(plain)) } });
    }
    this.raw({ type: 'FILE_END', to, payload: { file_id } });
  }

  private onFrame(f: Wire): void {
    const p = f.payload;
    try {
      switch (f.type) {
        case 'USER_ADVERTISE':
          if (p['user_id'] !== this.id) this.roster.set(String(p['user_id']), { name: (p['meta'] as { display_name?: string } | undefined)?.display_name, key: loadPem(p['pubkey']) });
          return;
        case 'USER_REMOVE':
          this.roster.delete(String(p['user_id']));
          return;
        case 'USER_DELIVER':
        case 'MSG_PUBLIC_CHANNEL': {
          const isPublic = f.type === 'MSG_PUBLIC_CHANNEL';
          const from = String(isPublic ? f.from : p['sender']);
          const ct = String(p['ciphertext']);
          if (!this.verify(p['sender_pub'], ct, from, isPublic ? undefined : this.id, f.ts, p['content_sig'])) throw new Error('invalid content_sig');
          this.got.push({ kind: isPublic ? 'public' : 'dm', from, text: this.key.decrypt(Buffer.from(ct, 'base64url')).toString('utf8') });
          return;
        }
        case 'FILE_START':
          this.incoming.set(String(p['file_id']), { name: String(p['name']), size: Number(p['size']), sha256: String(p['sha256']), chunks: new Map() });
          return;
        case 'FILE_CHUNK': {
          const t = this.incoming.get(String(p['file_id']));
          const ct = String(p['ciphertext']);
          if (!t) return;
          if (p['content_sig'] !== undefined && !this.verify(p['sender_pub'], ct, f.from, this.id, f.ts, p['content_sig'])) throw new Error('invalid content_sig on a chunk');
          t.chunks.set(Number(p['index']), this.key.decrypt(Buffer.from(ct, 'base64url')));
          return;
        }
        case 'FILE_END': {
          const t = this.incoming.get(String(p['file_id']));
          if (!t) return;
          const data = Buffer.concat([...t.chunks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b));
          if (data.length !== t.size || createHash('sha256').update(data).digest('hex') !== t.sha256) throw new Error(`file ${t.name} is corrupt`);
          this.files.push({ from: f.from, name: t.name, data });
          return;
        }
        default:
          return;
      }
    } catch (e) {
      this.rejected.push(`${f.type} from ${f.from}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * The users a stand-in server of another implementation hosts (tests/interop/peers/*-server.ts,
 * *-peer.ts): each with a real RSA-4096 key; what they send is real OAEP ciphertext with a
 * variant-C content_sig (the form G43 and we both send), and what reaches them is decrypted and
 * checked end to end (content_sig of any accepted variant under the sender's advertised key,
 * which must equal `sender_pub` by value; files reassembled and checked against the FILE_START
 * size and sha256). Whatever fails is recorded in `problems`, never thrown: the tests assert it
 * stays empty.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  advertisedName, advertisedPubkey, b64urlDecode, b64urlEncode, generateKeyPair, importPublicKey, originalTs, signContent, verifyContent,
  type RsaPrivateKey, type RsaPublicKey, type UserAdvertisePayload,
} from '@socp/protocol';
import { waitFor } from '../../harness/wait';

export interface LocalUser { id: string; name: string; key: RsaPrivateKey; pubkey: string }
export interface RemoteUser { id: string; serverId: string; key: RsaPublicKey; name: string | undefined }
export interface Got { kind: 'dm' | 'public'; from: string; to: string; text: string }
export interface GotFile { from: string; to: string; name: string; data: Buffer }
/** The inner content of a DM or a per-recipient public message, as it travels in SERVER_DELIVER. */
export interface Content { ciphertext: string; sender: string; sender_pub: string; content_sig: string }
export type FileFrame = { type: 'FILE_START' | 'FILE_CHUNK' | 'FILE_END'; ts: number; payload: Record<string, unknown> };

interface Incoming { from: string; to: string; name: string; size: number; sha256: string; chunks: Map<number, Buffer> }

export class PeerUsers {
  readonly local = new Map<string, LocalUser>();
  readonly roster = new Map<string, RemoteUser>();
  readonly got: Got[] = [];
  readonly files: GotFile[] = [];
  readonly problems: string[] = [];
  private readonly incoming = new Map<string, Incoming>();

  /** `keyFormat`: how these users' keys travel (base64url of DER, or of PEM). */
  constructor(private readonly keyFormat: 'der' | 'pem') {}

  async add(name: string): Promise<LocalUser> {
    const key = await generateKeyPair();
    const u = { id: randomUUID(), name, key, pubkey: this.keyFormat === 'pem' ? key.publicKey.toPemBase64Url() : key.publicKey.toBase64Url() };
    this.local.set(u.id, u);
    return u;
  }

  byName(name: string): LocalUser {
    const u = [...this.local.values()].find((x) => x.name === name);
    if (!u) throw new Error(`no local user ${name}`);
    return u;
  }

  /** A USER_ADVERTISE about a remote user, from `serverId`. */
  learn(p: UserAdvertisePayload, serverId: string): void {
    if (this.local.has(p.user_id)) return;
    const pk = advertisedPubkey(p);
    if (pk === undefined) return void this.problems.push(`USER_ADVERTISE of ${p.user_id} carries no key`);
    this.roster.set(p.user_id, { id: p.user_id, serverId, key: importPublicKey(pk), name: advertisedName(p.meta) });
  }

  forget(userId: string, serverId: string): void {
    if (this.roster.get(userId)?.serverId === serverId) this.roster.delete(userId);
  }

  /** Wait until a remote user is in the roster. */
  waitFor(userId: string, timeoutMs = 20_000): Promise<RemoteUser> {
    return waitFor(`${userId} advertised to the stand-in`, () => this.roster.get(userId), timeoutMs);
  }

  /** A DM (or, `publicForm`, a per-recipient public message: content_sig without `to`) from a local user. */
  content(from: LocalUser, to: string, text: string, ts: number, publicForm = false): Content {
    return this.seal(from, to, Buffer.from(text, 'utf8'), ts, publicForm);
  }

  /** FILE_START, chunks of `chunkBytes` (OAEP each, variant-C content_sig), FILE_END. */
  fileFrames(from: LocalUser, to: string, name: string, data: Buffer, chunkBytes: number): FileFrame[] {
    const file_id = randomUUID();
    const frames: FileFrame[] = [{ type: 'FILE_START', ts: Date.now(), payload: { file_id, name, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), mode: 'dm' } }];
    for (let index = 0, off = 0; off < data.length; index++, off += chunkBytes) {
      const ts = Date.now();
      frames.push({ type: 'FILE_CHUNK', ts, payload: { file_id, index, ...this.seal(from, to, data.subarray(off, off + chunkBytes), ts, false) } });
    }
    frames.push({ type: 'FILE_END', ts: Date.now(), payload: { file_id } });
    return frames;
  }

  private seal(from: LocalUser, to: string, plain: Buffer, ts: number, publicForm: boolean): Content {
    const r = this.roster.get(to);
    if (!r) throw new Error(`${to} is not in the stand-in's roster`);
    const ciphertext = b64urlEncode(r.key.encrypt(plain));
    return { ciphertext, sender: from.id, sender_pub: from.pubkey, content_sig: signContent(from.key, { ciphertext, from: from.id, to: publicForm ? undefined : to, ts }) };
  }

  /** Something delivered to local user `to`: the inner frame type, its payload (sender, sender_pub, …) and envelope ts. */
  receive(type: string, to: string, p: Record<string, unknown>, envelopeTs: number): void {
    const user = this.local.get(to);
    if (!user) return void this.problems.push(`${type} for ${to}, who is not here`);
    const sender = String(p['sender']);
    try {
      if (type === 'MSG_DIRECT' || type === 'MSG_PUBLIC_CHANNEL') {
        // G43's /all is a MSG_DIRECT with public:true, signed like a DM; the per-recipient MSG_PUBLIC_CHANNEL drops `to`.
        const publicForm = type === 'MSG_PUBLIC_CHANNEL';
        this.check(sender, to, p, originalTs(p, envelopeTs), publicForm);
        const text = user.key.decrypt(b64urlDecode(String(p['ciphertext']))!).toString('utf8');
        this.got.push({ kind: publicForm || p['public'] === true ? 'public' : 'dm', from: sender, to, text });
      } else if (type === 'FILE_START') {
        this.incoming.set(String(p['file_id']), { from: sender, to, name: String(p['name']), size: Number(p['size']), sha256: String(p['sha256']), chunks: new Map() });
      } else if (type === 'FILE_CHUNK') {
        const f = this.incoming.get(String(p['file_id']));
        if (!f) return void this.problems.push('FILE_CHUNK of an unknown file');
        this.check(sender, to, p, originalTs(p, envelopeTs), false);
        f.chunks.set(Number(p['index']), user.key.decrypt(b64urlDecode(String(p['ciphertext']))!));
      } else if (type === 'FILE_END') {
        const f = this.incoming.get(String(p['file_id']));
        if (!f) return void this.problems.push('FILE_END of an unknown file');
        const data = Buffer.concat([...f.chunks.keys()].sort((a, b) => a - b).map((i) => f.chunks.get(i)!));
        if (data.length !== f.size || createHash('sha256').update(data).digest('hex') !== f.sha256) return void this.problems.push(`file ${f.name}: size or sha256 mismatch`);
        this.files.push({ from: f.from, to: f.to, name: f.name, data });
      }
    } catch (e) {
      this.problems.push(`${type} from ${sender}: ${(e as Error).message}`);
    }
  }

  /** sender_pub is the sender's advertised key, and the content_sig verifies under it (any accepted variant). */
  private check(sender: string, to: string, p: Record<string, unknown>, ts: number, publicForm: boolean): void {
    const known = this.roster.get(sender);
    if (!known) throw new Error('sender not advertised');
    if (!importPublicKey(String(p['sender_pub'])).equals(known.key)) throw new Error('sender_pub is not the advertised key');
    const input = { ciphertext: String(p['ciphertext']), from: sender, to: publicForm ? undefined : to, ts };
    if (verifyContent(known.key, input, String(p['content_sig'])) === undefined) throw new Error('content_sig does not verify');
  }
}

/**
 * Seed frames for fuzzing the client's frame handling: what a server sends a user (presence,
 * a delivered DM and public message with real OAEP ciphertext and content_sig, a whole file,
 * errors), sealed by the server key so they pass the client's transport check until mutated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { b64urlEncode, encodeFrame, sealFrame, signContent, type RsaPrivateKey, type UnsignedFrame } from '@socp/protocol';

export interface ClientSeedKeys { server: RsaPrivateKey; me: RsaPrivateKey; peer: RsaPrivateKey }

export function clientSeeds(k: ClientSeedKeys, ids: { serverId: string; me: string; peer: string }): string[] {
  const { serverId, me, peer } = ids;
  const ppub = k.peer.publicKey.toBase64Url();
  const ts = Date.now();
  const enc = (text: string): string => b64urlEncode(k.me.publicKey.encrypt(Buffer.from(text)));
  const dmCt = enc('hello from peer');
  const pubCt = enc('hello everyone');
  const bytes = Buffer.from('file body '.repeat(40));
  const file_id = randomUUID();
  const chunkCt = b64urlEncode(k.me.publicKey.encrypt(bytes));
  const frames: UnsignedFrame[] = [
    { type: 'USER_ADVERTISE', from: serverId, to: '*', ts, payload: { user_id: peer, server_id: serverId, meta: { display_name: 'peer', pubkey: ppub }, pubkey: ppub } },
    { type: 'USER_ADVERTISE', from: serverId, to: '*', ts, payload: { user_id: randomUUID(), server_id: randomUUID(), meta: { display_name: 'peer' }, pubkey: ppub } },
    { type: 'USER_REMOVE', from: serverId, to: '*', ts, payload: { user_id: peer, server_id: serverId } },
    { type: 'USER_DELIVER', from: serverId, to: me, ts, payload: { ciphertext: dmCt, sender: peer, sender_pub: ppub, content_sig: signContent(k.peer, { ciphertext: dmCt, from: peer, to: me, ts }) } },
    { type: 'USER_DELIVER', from: serverId, to: me, ts, payload: { ciphertext: pubCt, sender: peer, sender_pub: ppub, group_id: 'public', content_sig: signContent(k.peer, { ciphertext: pubCt, from: peer, ts }) } },
    { type: 'FILE_START', from: peer, to: me, ts, payload: { file_id, name: 'report.txt', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mode: 'dm', sender: peer } },
    { type: 'FILE_CHUNK', from: peer, to: me, ts, payload: { file_id, index: 0, ciphertext: chunkCt, sender: peer, sender_pub: ppub, content_sig: signContent(k.peer, { ciphertext: chunkCt, from: peer, to: me, ts }) } },
    { type: 'FILE_END', from: peer, to: me, ts, payload: { file_id, sender: peer } },
    { type: 'ERROR', from: serverId, to: me, ts, payload: { code: 'USER_NOT_FOUND', detail: 'no such user' } },
    { type: 'LIST_RESPONSE', from: serverId, to: me, ts, payload: { online_users: [peer], users: [{ user_id: peer, server_id: serverId, display_name: 'peer' }] } },
  ];
  return frames.map((f) => encodeFrame(sealFrame(f, k.server)));
}

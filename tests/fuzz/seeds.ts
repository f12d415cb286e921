/**
 * Seed frames for mutation: real, correctly signed frames of the shapes a user or a server
 * link sends, addressed to users that do not exist (so even a frame that survives mutation
 * intact is refused with USER_NOT_FOUND, never delivered to anyone).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { b64urlEncode, encodeFrame, sealFrame, signContent, type RsaPrivateKey, type UnsignedFrame } from '@socp/protocol';

const ct = (): string => b64urlEncode(randomBytes(512));

/** Frames a user `from` (signed with `key`) sends: DM, public, file, list, hello. */
export function userSeeds(key: RsaPrivateKey, from: string): string[] {
  const pub = key.publicKey.toBase64Url();
  const ts = Date.now();
  const to = randomUUID();
  const ciphertext = ct();
  const content_sig = signContent(key, { ciphertext, from, to, ts });
  const file_id = randomUUID();
  const frames: UnsignedFrame[] = [
    { type: 'MSG_DIRECT', from, to, ts, payload: { ciphertext, sender_pub: pub, content_sig } },
    { type: 'MSG_PUBLIC_CHANNEL', from, to, ts, payload: { ciphertext, sender_pub: pub, content_sig, group_id: 'public' } },
    { type: 'FILE_START', from, to, ts, payload: { file_id, name: 'notes.txt', size: 1000, sha256: 'ab'.repeat(32), mode: 'dm' } },
    { type: 'FILE_CHUNK', from, to, ts, payload: { file_id, index: 0, ciphertext, sender: from, sender_pub: pub, content_sig } },
    { type: 'FILE_END', from, to, ts, payload: { file_id } },
    { type: 'LIST_REQUEST', from, to: '*', ts, payload: {} },
    { type: 'USER_HELLO', from, to: '*', ts, payload: { client: 'fuzz', pubkey: pub, enc_pubkey: pub } },
  ];
  return frames.map((f) => encodeFrame(sealFrame(f, key)));
}

/** Frames a server link `from` (signed with `key`) sends: gossip, delivery, liveness. */
export function serverSeeds(key: RsaPrivateKey, from: string, userKey: RsaPrivateKey): string[] {
  const pub = key.publicKey.toBase64Url();
  const upub = userKey.publicKey.toBase64Url();
  const ts = Date.now();
  const user_id = randomUUID();
  const ciphertext = ct();
  const content_sig = signContent(userKey, { ciphertext, from: user_id, to: randomUUID(), ts });
  const frames: UnsignedFrame[] = [
    { type: 'USER_ADVERTISE', from, to: '*', ts, payload: { user_id, server_id: from, meta: { display_name: 'fuzz', pubkey: upub }, pubkey: upub } },
    { type: 'USER_REMOVE', from, to: '*', ts, payload: { user_id, server_id: from } },
    { type: 'SERVER_DELIVER', from, to: randomUUID(), ts, payload: { user_id: randomUUID(), ciphertext, sender: user_id, sender_pub: upub, content_sig } },
    { type: 'SERVER_ANNOUNCE', from, to: '*', ts, payload: { host: '127.0.0.1', port: 1, pubkey: pub } },
    { type: 'HEARTBEAT', from, to: '*', ts, payload: {} },
    { type: 'MSG_PUBLIC_CHANNEL', from, to: '*', ts, payload: { ciphertext, sender_pub: upub, content_sig, group_id: 'public', sender: user_id } },
  ];
  return frames.map((f) => encodeFrame(sealFrame(f, key)));
}

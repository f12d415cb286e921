/**
 * Reverse-direction vectors (S14): frames, content signatures, key-share signatures,
 * ciphertexts, key encodings, canonical JSON and dedupe keys made by OUR library, written
 * as JSON for tests/vectors/verify_ours.py to check with Python `cryptography`.
 *
 *   node libs/socp/dist/tools/emit-vectors.js --keys tests/vectors/keys.json --out /tmp/ours.json
 *
 * Signs with the TEST-ONLY alice key and encrypts to the TEST-ONLY bob key of keys.json, so
 * the Python side can verify with alice's public key and decrypt with bob's private key.
 * Each category also carries one tampered copy (`expect: false`) so the checker proves it
 * can fail.
 *
 * `file_chunks`: multi-block FILE_CHUNKs (docs/protocol.md "Multi-block file chunks") as our
 * builder makes them for a recipient that declared `file-blocks`, sealed: Python checks the
 * frame sig, the variant-C content_sig over the whole ciphertext, splits it into 512-byte blocks
 * and decrypts each with bob's key to the chunk's plaintext (a copy with one block byte changed
 * must fail).
 *
 * `multi_prime`: fresh keys of 2, 3 and 4 primes made by OUR generator (generateKeyPair; RFC
 * 8017 multi-prime for 3 and 4), each with a sealed frame and a content signature (plus tampered
 * copies) for Python to verify, an OAEP ciphertext to it, and its TEST-ONLY private key (PKCS#1
 * and PKCS#8 DER, made for this run only) so Python can try to load it and decrypt-theirs.js can
 * decrypt what Python encrypts to it. The output file lives in check-ours.sh's temp dir.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  canonicalJson, b64urlDecode, b64urlEncode, dedupeKey, encodeFrame, fileChunkDraft, sealDraft, sealFrame, sealFrameAsync, generateKeyPair, importPrivateKey,
  MAX_FILE_CHUNK_BLOCKS, MAX_MULTI_BLOCK_CHUNK_BYTES, RSA_PRIME_COUNTS, signContent, signContentAsync, signKeyShare, OAEP_MAX_PLAINTEXT_BYTES,
  type UnsignedFrame, type RsaPrivateKey,
} from '@socp/protocol';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`usage: emit-vectors --keys <keys.json> --out <file>  (missing ${name})`);
  return v;
}

/** One byte of a base64url value changed (XOR 0x01 in the middle). */
function flip(b64: string): string {
  const raw = b64urlDecode(b64)!;
  raw[raw.length >> 1]! ^= 0x01;
  return b64urlEncode(raw);
}

/** Vectors made with one of our own fresh keys of `primes` primes (see the header). */
function multiPrimeVectors(primes: number, key: RsaPrivateKey, ids: { from: string; to: string; server: string }) {
  const { from, to, server } = ids;
  const pub = key.publicKey.toBase64Url();
  const frame = JSON.parse(encodeFrame(sealFrame({ type: 'USER_ADVERTISE', from: server, to: '*', ts: 1760000500000, payload: { user_id: from, server_id: server, pubkey: pub, meta: { display_name: `${primes} primes`, pubkey: pub } } }, key))) as { sig: string };
  const ts = 1760000600000;
  const ct = b64urlEncode(key.publicKey.encrypt(Buffer.from(`to our ${primes}-prime key`, 'utf8')));
  const sig = signContent(key, { ciphertext: ct, from, to, ts });
  return {
    name: `${primes} primes`, primes, spki_b64url: pub,
    private_pkcs1_der_b64url: b64urlEncode(key.toPkcs1Der()), private_pkcs8_der_b64url: b64urlEncode(key.toPkcs8Der()),
    frames: [{ name: 'USER_ADVERTISE', text: JSON.stringify(frame), expect: true }, { name: 'USER_ADVERTISE, sig byte changed', text: JSON.stringify({ ...frame, sig: flip(frame.sig) }), expect: false }],
    content_sigs: [
      { name: 'DM variant C', ciphertext: ct, from, to, ts, sig, expect: true },
      { name: 'DM variant C, ts changed', ciphertext: ct, from, to, ts: ts + 1, sig, expect: false },
    ],
    ciphertext: { plaintext_hex: Buffer.from(`to our ${primes}-prime key`, 'utf8').toString('hex'), ciphertext: ct },
  };
}

async function main(): Promise<void> {
  const keys = JSON.parse(readFileSync(arg('--keys'), 'utf8')) as Record<'alice' | 'bob', { private_pkcs8_pem: string; user_id: string }>;
  const alice = importPrivateKey(keys.alice.private_pkcs8_pem);
  const bob = importPrivateKey(keys.bob.private_pkcs8_pem);
  const A = keys.alice.user_id;
  const B = keys.bob.user_id;
  const S = '6b0f3c1e-8d52-4a7e-9f3a-2c4d5e6f7a81';
  const P = 'a1b2c3d4-0000-4000-8000-000000000001';
  const pub = alice.publicKey.toBase64Url();

  const unsigned: UnsignedFrame[] = [
    { type: 'HEARTBEAT', from: S, to: P, ts: 1760000002000, payload: {} },
    { type: 'SERVER_ANNOUNCE', from: S, to: '*', ts: 1760000000900, payload: { host: '127.0.0.1', port: 9101, pubkey: pub } },
    { type: 'USER_ADVERTISE', from: S, to: '*', ts: 1760000100000, payload: { user_id: B, server_id: S, pubkey: pub, meta: { display_name: 'Zoë 😀', username: 'zoë', pubkey: pub, '\uffff': 1, '😀': 2 } } },
    { type: 'SERVER_WELCOME', from: S, to: P, ts: 1760000000400, payload: { assigned_id: P, servers: [{ server_id: S, host: 'h', port: 1, pubkey: pub }], clients: [{ server_id: S, host: 'h', port: 1, pubkey: pub }] } },
    { type: 'ERROR', from: S, to: B, ts: 1760000900000, payload: { code: 'USER_NOT_FOUND', detail: 'ctl\u0001 del\u007f tab\t "q" \\ é' } },
    { type: 'ACK', from: S, to: B, ts: 1760000800000, payload: { msg_ref: 'USER_HELLO', server_id: S, nums: [0.5, 1e-7, 1.5e300, 1e16, 123.456, -17] } as never },
  ];
  const frames: Array<{ name: string; text: string; expect: boolean }> = unsigned.map((f) => ({ name: f.type, text: encodeFrame(sealFrame(f, alice)), expect: true }));
  frames.push({ name: 'HEARTBEAT via sealFrameAsync (threadpool)', text: encodeFrame(await sealFrameAsync(unsigned[0]!, alice)), expect: true });
  const t = JSON.parse(frames[2]!.text) as { sig: string };
  frames.push({ name: 'USER_ADVERTISE, sig byte changed', text: JSON.stringify({ ...t, sig: flip(t.sig) }), expect: false });

  const ts = 1760000400000;
  const ct = b64urlEncode(bob.publicKey.encrypt(Buffer.from('hi bob from the TS side', 'utf8')));
  const contentSigs = [
    { name: 'DM variant C', ciphertext: ct, from: A, to: B, ts, sig: signContent(alice, { ciphertext: ct, from: A, to: B, ts }), expect: true },
    { name: 'public form variant C', ciphertext: ct, from: A, to: null, ts, sig: signContent(alice, { ciphertext: ct, from: A, ts }), expect: true },
    { name: 'DM variant C via signContentAsync', ciphertext: ct, from: A, to: B, ts, sig: await signContentAsync(alice, { ciphertext: ct, from: A, to: B, ts }), expect: true },
  ];
  contentSigs.push({ ...contentSigs[0]!, name: 'DM variant C, ts changed', ts: ts + 1, expect: false });
  contentSigs.push({ ...contentSigs[0]!, name: 'DM variant C, sig byte changed', sig: flip(contentSigs[0]!.sig), expect: false });

  const shares = [{ member: B, wrapped_public_channel_key: b64urlEncode(bob.publicKey.encrypt(Buffer.alloc(32, 7))) }];
  const ks = signKeyShare(alice, shares, pub);
  const keyShares = [
    { name: 'key share', shares, creator_pub: pub, sig: ks, expect: true },
    { name: 'key share, sig byte changed', shares, creator_pub: pub, sig: flip(ks), expect: false },
  ];

  const plaintexts: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['utf-8 text', Buffer.from('Zoë says hi 😀', 'utf8')],
    ['446 bytes (limit)', Buffer.alloc(OAEP_MAX_PLAINTEXT_BYTES, 0xa5)],
    ['binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ];
  const ciphertexts = plaintexts.map(([name, pt]) => ({ name, plaintext_hex: pt.toString('hex'), ciphertext: b64urlEncode(bob.publicKey.encrypt(pt)), expect: true }));
  ciphertexts.push({ ...ciphertexts[1]!, name: 'utf-8 text, ciphertext byte changed', ciphertext: flip(ciphertexts[1]!.ciphertext), expect: false });

  // Multi-block FILE_CHUNKs from alice to bob, who declared file-blocks: 16 blocks, and a last chunk of 3.
  const toBob = { userId: B, key: bob.publicKey, dialect: { variant: 'C' as const, pemSenderPub: false, fileBlocks: MAX_FILE_CHUNK_BLOCKS } };
  const fileChunks = [MAX_MULTI_BLOCK_CHUNK_BYTES, 2 * OAEP_MAX_PLAINTEXT_BYTES + 7].map((n, index) => {
    const plain = Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + index) % 256));
    const f = sealDraft(fileChunkDraft({ userId: A, key: alice }, toBob, 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff', index, plain, 1760000700000 + index), alice);
    return { name: `FILE_CHUNK of ${Math.ceil(n / OAEP_MAX_PLAINTEXT_BYTES)} blocks`, text: encodeFrame(f), plaintext_hex: plain.toString('hex'), expect: true };
  });
  const fc = JSON.parse(fileChunks[0]!.text) as { payload: { ciphertext: string } };
  fileChunks.push({ ...fileChunks[0]!, name: 'FILE_CHUNK of 16 blocks, a block byte changed', text: JSON.stringify({ ...fc, payload: { ...fc.payload, ciphertext: flip(fc.payload.ciphertext) } }), expect: false });

  const canonInputs: unknown[] = [
    { b: { z: 1, a: [3, { y: null, x: true }] }, a: false },
    { '\uffff': 1, '\ue000': 2, '😀': 3, a: 4, 'ÿ': 5, '𐀀': 6 },
    { ctl: '\u0000\u001f\b\f\n\r\t', del: 'x\u007fy', q: '"\\/' },
    { f: [0.5, 1e-7, 1.5e300, 1e16, 123.456, -0.25, 1e-5, 0.0001, 1e22, 1 / 3], i: [0, -17, 9007199254740991] },
    { name: 'Zoë 😀 漢字', deep: { a: { b: { c: [[['x']]] } } } },
  ];
  // Python must find our canonical text a fixed point: json.loads then its own canonical dumps
  // gives the same bytes (catches key order, escaping and number formatting differences).
  const canonical = canonInputs.map((v) => ({ input_json: canonicalJson(v), canonical: canonicalJson(v) }));

  const dedupe = unsigned.map((f) => ({ ts: f.ts, from: f.from, to: f.to, payload_json: canonicalJson(f.payload), key: dedupeKey(f) }));
  const pubkeys = { spki_b64url: pub, pem_b64url: alice.publicKey.toPemBase64Url() };

  const ours = await Promise.all(RSA_PRIME_COUNTS.map((p) => generateKeyPair(p)));
  const multiPrime = ours.map((key, i) => multiPrimeVectors(RSA_PRIME_COUNTS[i]!, key, { from: A, to: B, server: S }));

  writeFileSync(arg('--out'), JSON.stringify({ frames, content_sigs: contentSigs, key_shares: keyShares, ciphertexts, file_chunks: fileChunks, canonical, dedupe, pubkeys, multi_prime: multiPrime }, null, 1), { mode: 0o600 });
}

main().catch((e: unknown) => {
  process.stderr.write(`emit-vectors: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

#!/usr/bin/python3
"""Check what OUR TypeScript library produced (libs/socp/dist/tools/emit-vectors.js) with an
independent implementation: Python `cryptography` (Debian's, 38) and the `json` module.

    /usr/bin/python3 tests/vectors/verify_ours.py OURS.json [tests/vectors/keys.json] [--theirs THEIRS.json]

PSS is verified the way G43 verifies, with salt_length=PSS.MAX_LENGTH (cryptography 38 has
no AUTO; our max-salt signatures satisfy it). OAEP is decrypted with bob's TEST-ONLY key.
Every entry carries `expect`; a tampered entry (`expect: false`) must FAIL. Prints a one-line
summary; exits 1 on any mismatch.

`multi_prime` holds fresh keys of 2, 3 and 4 primes made by OUR generator (RFC 8017 multi-prime
for 3 and 4): their public keys must be plain RSA-4096 / e = 65537, their signatures must
verify, and with --theirs we OAEP-encrypt to each public key for decrypt-theirs.js to decrypt.
We also try to load each TEST-ONLY private key (PKCS#1 and PKCS#8 DER) and report what happened:
Debian's cryptography 38 (OpenSSL 3.0) loads multi-prime keys; newer releases may refuse them.
A key that loads must decrypt our ciphertext to it.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PSS_MAX = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"))


def verifies(pub, sig_b64, data):
    try:
        pub.verify(b64u_dec(sig_b64), data, PSS_MAX, hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def private_key_note(mp, ct, check):
    """Try Python's loader on our TEST-ONLY multi-prime private key; say what happened."""
    notes = []
    for form in ("pkcs1", "pkcs8"):
        try:
            priv = serialization.load_der_private_key(b64u_dec(mp[f"private_{form}_der_b64url"]), None)
        except (ValueError, TypeError) as e:
            notes.append(f"{form.upper()} not loaded ({type(e).__name__}: {e})")
            continue
        ok = priv.decrypt(b64u_dec(ct["ciphertext"]), OAEP).hex() == ct["plaintext_hex"]
        check("multi_prime", f'{mp["name"]}: the {form.upper()} key Python loaded decrypts our ciphertext', ok)
        nums = priv.private_numbers()
        seen = "all primes" if nums.p * nums.q == nums.public_numbers.n else "p and q only (p*q != n)"
        notes.append(f"{form.upper()} loaded, decrypts, private_numbers() shows {seen}")
    return f'{mp["name"]}: ' + "; ".join(notes)


def check_multi_prime(ours, check, theirs_path):
    """Our generator's keys: plain RSA-4096 publics, verifying signatures; encrypt to them for decrypt-theirs.js."""
    theirs, notes = [], []
    for mp in ours.get("multi_prime", []):
        name = mp["name"]
        pub = serialization.load_der_public_key(b64u_dec(mp["spki_b64url"]))
        check("multi_prime", f"{name}: public key is RSA-4096, e = 65537",
              isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 4096 and pub.public_numbers().e == 65537)
        for fr in mp["frames"]:
            env = json.loads(fr["text"])
            check("multi_prime", f'{name}: {fr["name"]}', verifies(pub, env["sig"], canon(env["payload"]).encode()), fr["expect"])
        for c in mp["content_sigs"]:
            msg = hashlib.sha256(b64u_dec(c["ciphertext"]) + (c["from"] + c["to"] + str(c["ts"])).encode()).digest()
            check("multi_prime", f'{name}: {c["name"]}', verifies(pub, c["sig"], msg), c["expect"])
        for label, pt in (("empty", b""), ("utf-8 text", "Zoë says hi 😀".encode()), ("446 bytes (limit)", os.urandom(446))):
            theirs.append({"key": name, "name": label, "plaintext_hex": pt.hex(), "ciphertext": b64u(pub.encrypt(pt, OAEP)), "expect": True})
        bad = bytearray(b64u_dec(theirs[-1]["ciphertext"]))
        bad[len(bad) // 2] ^= 0x01
        theirs.append({**theirs[-1], "name": "446 bytes, ciphertext byte changed", "ciphertext": b64u(bytes(bad)), "expect": False})
        notes.append(private_key_note(mp, mp["ciphertext"], check))
    if theirs_path:
        with open(theirs_path, "w", encoding="utf-8") as f:
            json.dump({"oaep_to_ours": theirs}, f)
    for n in notes:
        print(f"verify_ours: private key load: {n}")


def main():
    args = sys.argv[1:]
    theirs_path = None
    if "--theirs" in args:
        i = args.index("--theirs")
        theirs_path = args[i + 1]
        del args[i:i + 2]
    ours_path = args[0]
    keys_path = args[1] if len(args) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys.json")
    with open(ours_path, encoding="utf-8") as f:
        ours = json.load(f)
    with open(keys_path, encoding="utf-8") as f:
        keys = json.load(f)
    alice = serialization.load_pem_private_key(keys["alice"]["private_pkcs8_pem"].encode(), None)
    bob = serialization.load_pem_private_key(keys["bob"]["private_pkcs8_pem"].encode(), None)
    apub = alice.public_key()
    apub_der = apub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    results = []  # (category, name, ok, tampered)

    def check(cat, name, got, want=True):
        results.append((cat, name, got == want, not want))

    for fr in ours["frames"]:
        env = json.loads(fr["text"])
        ok = set(env) == {"type", "from", "to", "ts", "payload", "sig"} and not fr["text"].endswith("\n")
        check("frame", fr["name"], ok and verifies(apub, env["sig"], canon(env["payload"]).encode()), fr["expect"])

    for c in ours["content_sigs"]:
        tail = (c["from"] + (c["to"] or "") + str(c["ts"])).encode()
        msg = hashlib.sha256(b64u_dec(c["ciphertext"]) + tail).digest()  # variant C, as G43 builds it
        check("content_sig", c["name"], verifies(apub, c["sig"], msg), c["expect"])

    for k in ours["key_shares"]:
        msg = hashlib.sha256(canon(k["shares"]).encode() + k["creator_pub"].encode()).digest()
        check("key_share", k["name"], verifies(apub, k["sig"], msg), k["expect"])

    for c in ours["ciphertexts"]:
        try:
            ct = b64u_dec(c["ciphertext"])
            got = len(ct) == 512 and bob.decrypt(ct, OAEP).hex() == c["plaintext_hex"]
        except ValueError:
            got = False
        check("oaep", c["name"], got, c["expect"])

    for c in ours.get("file_chunks", []):
        # Multi-block FILE_CHUNK (docs/protocol.md): frame sig, variant-C content_sig over the whole
        # ciphertext, then 512-byte blocks, each OAEP under bob's key, concatenated = the chunk.
        env = json.loads(c["text"])
        p = env["payload"]
        try:
            raw = b64u_dec(p["ciphertext"])
            tail = (env["from"] + env["to"] + str(env["ts"])).encode()
            ok = verifies(apub, env["sig"], canon(p).encode()) and verifies(apub, p["content_sig"], hashlib.sha256(raw + tail).digest())
            blocks = [raw[i:i + 512] for i in range(0, len(raw), 512)]
            ok = ok and len(raw) % 512 == 0 and 1 <= len(blocks) <= 16
            got = ok and b"".join(bob.decrypt(b, OAEP) for b in blocks).hex() == c["plaintext_hex"]
        except ValueError:
            got = False
        check("file_chunk", c["name"], got, c["expect"])

    for c in ours["canonical"]:
        check("canonical", c["input_json"][:40], canon(json.loads(c["input_json"])) == c["canonical"])

    for d in ours["dedupe"]:
        want = f'{d["ts"]}|{d["from"]}|{d["to"]}|{hashlib.sha256(canon(json.loads(d["payload_json"])).encode()).hexdigest()}'
        check("dedupe", d["key"][:30], d["key"] == want)

    pk = ours["pubkeys"]
    der = b64u_dec(pk["spki_b64url"])
    check("pubkey", "spki_b64url is alice's DER SPKI", der == apub_der and pk["spki_b64url"].startswith("MIICIjANBgkq")
          and len(pk["spki_b64url"]) == 734)
    pem_key = serialization.load_pem_public_key(b64u_dec(pk["pem_b64url"]))
    check("pubkey", "pem_b64url loads to alice's key",
          pem_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == apub_der)

    check_multi_prime(ours, check, theirs_path)

    failed = [r for r in results if not r[2]]
    for cat, name, _, _ in failed:
        print(f"verify_ours: FAIL {cat}: {name}", file=sys.stderr)
    cats = sorted({r[0] for r in results})
    tampered = [r for r in results if r[3]]
    print(f"verify_ours: {len(results) - len(failed)}/{len(results)} checks passed, {len(failed)} failed "
          f"({', '.join(cats)}; {sum(1 for r in tampered if r[2])}/{len(tampered)} tampered copies rejected)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Check what OUR TypeScript library produced (libs/socp/dist/tools/emit-vectors.js) with an
independent implementation: Python `cryptography` (Debian's, 38) and the `json` module.

    /usr/bin/python3 tests/vectors/verify_ours.py OURS.json [tests/vectors/keys.json]

PSS is verified the way G43 verifies, with salt_length=PSS.MAX_LENGTH (cryptography 38 has
no AUTO; our max-salt signatures satisfy it). OAEP is decrypted with bob's TEST-ONLY key.
Every entry carries `expect`; a tampered entry (`expect: false`) must FAIL. Prints a one-line
summary; exits 1 on any mismatch.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

PSS_MAX = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


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


def main():
    ours_path = sys.argv[1]
    keys_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys.json")
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

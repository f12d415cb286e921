#!/usr/bin/env bash
# Reverse-direction vectors: our library (built dist) signs, encrypts and canonicalises;
# Python cryptography (tests/vectors/verify_ours.py) checks the result, and encrypts to fresh
# keys of our generator (2, 3, 4 primes) for our library to decrypt. Needs `npm run build`.
# Exits non-zero on any failure; prints a one-line summary.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EMIT="$ROOT/libs/socp-node/dist/emit-vectors.js"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -f "$EMIT" ] || { echo "check-ours: $EMIT missing (run npm run build)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node "$EMIT" --keys "$HERE/keys.json" --out "$tmp/ours.json"
# Python verifies ours and encrypts to our fresh 2-, 3- and 4-prime keys; we decrypt that.
"$PY" "$HERE/verify_ours.py" "$tmp/ours.json" "$HERE/keys.json" --theirs "$tmp/theirs.json"
node "$ROOT/libs/socp-node/dist/decrypt-theirs.js" --ours "$tmp/ours.json" --theirs "$tmp/theirs.json"

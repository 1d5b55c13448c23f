#!/usr/bin/env bash
# Compares hsdecode with tshark, per TCP stream, on every capture of
# testdata/pcaps/ and of the shared corpus (../shared/corpus, when present),
# and on their rewritten versions (internal/rewrite, seed 1 unless
# HSDECODE_TSHARK_SEEDS says otherwise): tshark runs with its TCP reassembly
# preferences on, out-of-order segments included. Prints the agreement
# counts; fails on a disagreement that
# testdata/tshark-reassembly-known-differences.md does not list with a
# reason. Takes a few minutes (tshark runs some 450 times).
#
#   bash scripts/tshark-agreement.sh
#   HSDECODE_TSHARK_SEEDS=1,2,3 bash scripts/tshark-agreement.sh   # more rewritten versions (unlisted seeds will disagree)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "tshark is needed (apt-get install tshark)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
HSDECODE_TSHARK=1 go test -count=1 -timeout 60m -run 'TestTsharkReassembly$' -v ./cmd/hsdecode >"$out" 2>&1 || status=$?
grep -E 'disagrees with tshark|stale known difference' "$out" || true
grep -E 'with out-of-order reassembly, per TCP stream' "$out" | sed 's/^ *tshark_reassembly_test.go:[0-9]*: //'
if [[ $status -ne 0 ]]; then
	tail -n 20 "$out"
fi
exit $status

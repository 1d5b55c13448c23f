#!/usr/bin/env bash
# Issue 11: a live capture that cannot keep up never reports violations
# that did not happen. Replays a capture onto lo with tcpreplay at a rate
# (1000 Mbit/s by default) while hsdecode captures it with a small kernel
# buffer (-B, 512 KiB by default), so that the kernel drops packets, and
# counts the connections reported and the violations among them.
#
#   sudo scripts/live-loss.sh CAPTURE [HSDECODE]
#   MBPS=1000 BUF_KIB=512
#
# CAPTURE is best the benchmark capture (scripts/make-bench-capture.sh):
# its handshakes have no violation, so every one reported is false.
# Measures; prints the counts and the kernel's drops; exits 1 on a
# violation.
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:?usage: scripts/live-loss.sh CAPTURE [HSDECODE]}
bin=${2:-}
mbps=${MBPS:-1000} buf=${BUF_KIB:-512}
command -v tcpreplay >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -z $bin ]]; then
	go build -o "$work/hsdecode" ./cmd/hsdecode
	bin=$work/hsdecode
fi
"$bin" -i lo -B "$buf" --format json 'tcp' >"$work/report.json" 2>"$work/err" &
pid=$!
sleep 2
tcpreplay -q -i lo --mbps "$mbps" "$capture" >/dev/null 2>&1
sleep 3
kill -INT "$pid"
wait "$pid" || true
conns=$(grep -c '"outcome"' "$work/report.json" || true)
violations=$(grep -c '"outcome":"violation"' "$work/report.json" || true)
echo "live-loss: $violations violations of $conns connections at $mbps Mbit/s, -B $buf"
grep -i "dropped by kernel" "$work/err" | head -1
[[ $violations -eq 0 ]]

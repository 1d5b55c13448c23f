#!/usr/bin/env bash
# make-bench-capture.sh: record a benchmark capture of about SIZE_MB MiB,
# a realistic mix of TLS connections: with bulk data (issue 5), or mostly
# short ones (issue 18's handshake-heavy mix).
#
# Usage: scripts/make-bench-capture.sh SIZE_MB
#   MIX=bulk               bulk: about 15k connections per GB, bulk data
#                          dominates; handshake: about 33k per GB, 60% of
#                          the successful ones one short exchange
#   SEED=1                 seed of the connection plan (same mix, size and
#                          seed: same plan; keys, randoms, ports and timing
#                          differ)
#   OUT=/tmp/hsdecode-bench  where the capture goes (never in the repository)
#   CONCURRENCY=32         simulated clients at once
#
# It writes, in OUT (bench-hs-... for MIX=handshake):
#   bench-<SIZE>MB-seed<SEED>.pcap            the capture
#   bench-<SIZE>MB-seed<SEED>.pcap.plan.txt   the plan's summary (counts per kind) and how the run went
#   bench-<SIZE>MB-seed<SEED>.pcap.conns.tsv  one line per connection: kind, expected outcome, addresses, what the client saw
#   bench-<SIZE>MB-seed<SEED>.pcap.keys       the clients' key log (hsdecode --keylog)
# scripts/bench.sh checks hsdecode's report against the .conns.tsv file.
#
# The traffic is made by scripts/benchgen (Go crypto/tls servers and
# clients) on the loopback interface of a network namespace of its own,
# with MTU 1500 and segmentation offloads off so that segments are
# Ethernet-sized, and recorded there by tcpdump. Needs root (network
# namespaces, tcpdump) and Debian; tcpdump, ethtool and ip are installed with
# apt-get when missing. The Go toolchain must be there (it builds benchgen).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
SIZE=${1:-}
SEED=${SEED:-1}
MIX=${MIX:-bulk}
OUT=${OUT:-/tmp/hsdecode-bench}
CONCURRENCY=${CONCURRENCY:-32}

log() { printf '%s\n' "== $*" >&2; }
die() { printf '%s\n' "make-bench-capture: $*" >&2; exit 1; }

[[ $SIZE =~ ^[0-9]+$ && $SIZE -gt 0 ]] || die "usage: $0 SIZE_MB   (MIX, SEED, OUT, CONCURRENCY in the environment)"
case $MIX in
bulk) PREFIX=bench ;;
handshake) PREFIX=bench-hs ;;
*) die "MIX=$MIX: want bulk or handshake" ;;
esac
[[ $(id -u) == 0 ]] || die "needs root (network namespace, tcpdump)"
command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build scripts/benchgen"

# ---------------------------------------------------------------- tools
install_missing tcpdump:tcpdump ethtool:ethtool ip:iproute2

mkdir -p "$OUT"
CAP=$OUT/$PREFIX-${SIZE}MB-seed${SEED}.pcap
WORK=$(mktemp -d /tmp/hsdecode-benchgen.XXXXXX)
NS=hsbench-$$
TCPDUMP_PID=

cleanup() {
	if [[ -n $TCPDUMP_PID ]]; then
		kill "$TCPDUMP_PID" 2>/dev/null || true
		wait "$TCPDUMP_PID" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building benchgen"
(cd "$ROOT" && go build -o "$WORK/benchgen" ./scripts/benchgen)

# ------------------------------------------------------------ namespace
log "network namespace $NS: lo up, MTU 1500, offloads off"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" ip link set lo mtu 1500
# Each offload separately, so that one the driver refuses does not hide
# the others; what stays on is said below.
for off in tso gso gro; do
	ip netns exec "$NS" ethtool -K lo "$off" off 2>/dev/null || true
done
still_on=$(ip netns exec "$NS" ethtool -k lo |
	awk -F': ' '/^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):/ && $2 ~ /^on/ {print $1}' | xargs)
if [[ -n $still_on ]]; then
	log "WARNING: could not turn off on lo: $still_on (segments may be larger than Ethernet's)"
fi

# -------------------------------------------------------------- capture
log "recording to $CAP"
rm -f "$CAP"
# -B: a 64 MiB kernel buffer, so that tcpdump keeps up with loopback;
# -Z root: write the file without dropping privileges.
ip netns exec "$NS" tcpdump -i lo -s 0 -U -B 65536 -Z root -w "$CAP" tcp 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
	grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break
	kill -0 "$TCPDUMP_PID" 2>/dev/null || { cat "$WORK/tcpdump.err" >&2; die "tcpdump did not start"; }
	sleep 0.1
done

log "running the plan: mix $MIX, size $SIZE MB, seed $SEED, concurrency $CONCURRENCY"
ip netns exec "$NS" "$WORK/benchgen" -mix "$MIX" -size-mb "$SIZE" -seed "$SEED" -concurrency "$CONCURRENCY" \
	-manifest "$CAP.conns.tsv" -keylog "$CAP.keys" | tee "$CAP.plan.txt"

sleep 1 # the last FINs and ACKs
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=
cat "$WORK/tcpdump.err" | grep -E "packets (captured|received|dropped)" | sed 's/^/tcpdump: /' | tee -a "$CAP.plan.txt"
dropped=$(awk '/packets dropped by kernel/ {print $1}' "$WORK/tcpdump.err")
if [[ ${dropped:-0} != 0 ]]; then
	log "WARNING: tcpdump dropped $dropped packets: the capture has holes (try a lower CONCURRENCY)"
fi
echo "capture: $CAP, $(stat -c %s "$CAP") bytes" | tee -a "$CAP.plan.txt"

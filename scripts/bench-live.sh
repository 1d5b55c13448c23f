#!/usr/bin/env bash
# bench-live.sh: how fast can packets come before a live capture loses
# some (issue 18)? Replays a capture with tcpreplay into a veth pair, at
# rates stepped up, once with `tcpdump -w /dev/null` capturing the other
# end and once with `hsdecode -i --format json -o FILE`, and compares
# their drops; hsdecode's report is checked against the capture's plan.
#
# Usage: sudo scripts/bench-live.sh [CAPTURE]
#   CAPTURE          $CAPTURE or /tmp/hsdecode-bench/bench-100MB-seed1.pcap
#                    (made with scripts/make-bench-capture.sh 100 when missing)
#   RATES="100 250 500 1000 2000 top"   tcpreplay --mbps per step; "top" is
#                    --topspeed, NNNpps is --pps NNN
#   TOOLS="tcpdump hsdecode"
#   BUF_KIB=         the kernel buffer (-B) of both; empty: each one's default
#                    (tcpdump's 2 MiB, hsdecode's 16 MiB)
#   HSDECODE_ARGS=   extra hsdecode flags (e.g. "--workers 1")
#   REV=             build hsdecode from this commit rather than the work tree
#
# It prints per rate and tool the rate tcpreplay reached (on 2 cores a
# capture that takes CPU time slows tcpreplay down: compare the rates, not
# the steps), the packets lost and the tool's CPU time, then the highest
# lossless rate of each and their ratio.
#
# The veth pair (hsla, hslb) lives in a network namespace hslive-PID of its
# own, removed on exit: tcpreplay writes to hsla, the capture reads hslb.
# The replay rewrites nothing, so the addresses of the report are those of
# CAPTURE.conns.tsv, which `benchgen -check` compares it with. A rate is
# lossless for a tool when it captured every packet tcpreplay sent (no
# kernel or interface drop), and for hsdecode when its report is also
# every connection as planned. Needs root (namespaces, capture); tcpreplay,
# tcpdump, ethtool and ip are installed with apt-get when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
CAP=${1:-${CAPTURE:-/tmp/hsdecode-bench/bench-100MB-seed1.pcap}}
RATES=${RATES:-100 250 500 1000 2000 top}
TOOLS=${TOOLS:-tcpdump hsdecode}
BUF_KIB=${BUF_KIB:-}
HSDECODE_ARGS=${HSDECODE_ARGS:-}
REV=${REV:-}

log() { printf '%s\n' "bench-live: $*" >&2; }
die() { printf '%s\n' "bench-live: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root (network namespace, capture)"
install_missing tcpreplay:tcpreplay tcpdump:tcpdump ethtool:ethtool ip:iproute2
if [[ ! -f $CAP ]]; then
	[[ $CAP == /tmp/hsdecode-bench/bench-100MB-seed1.pcap ]] || die "no capture $CAP"
	log "making $CAP"
	"$ROOT/scripts/make-bench-capture.sh" 100
fi

NS=hslive-$$
WORK=$(mktemp -d /tmp/hsdecode-bench-live.XXXXXX)
CAPTURER=
cleanup() {
	if [[ -n $CAPTURER ]]; then
		kill -INT "$CAPTURER" 2>/dev/null || true
		wait "$CAPTURER" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_hsdecode "$ROOT" "$REV" "$WORK"
(cd "$ROOT" && go build -o "$WORK/benchgen" ./scripts/benchgen)

ip netns add "$NS"
# No router solicitation or neighbour discovery of the veth's own: every
# packet captured is one tcpreplay sent.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
ip -n "$NS" link add hsla type veth peer name hslb
for dev in hsla hslb; do
	# No offload may merge or split what tcpreplay sends: each frame of
	# the capture arrives as it was recorded.
	for off in tso gso gro; do
		ip netns exec "$NS" ethtool -K "$dev" "$off" off 2>/dev/null || true
	done
	ip -n "$NS" link set "$dev" mtu 9000 up
done
in_ns() { ip netns exec "$NS" "$@"; }

buf=()
[[ -n $BUF_KIB ]] && buf=(-B "$BUF_KIB")

# capture TOOL: starts TOOL capturing hslb in the background (CAPTURER),
# its standard error in $WORK/err, and waits until it listens.
capture() {
	: >"$WORK/err"
	case $1 in
	# Started as ip's own child (not in a function's subshell, which
	# would ignore SIGINT), so that $! is the capture itself.
	tcpdump) ip netns exec "$NS" tcpdump -i hslb -s 0 -n "${buf[@]}" -w /dev/null 2>"$WORK/err" & ;;
	hsdecode) ip netns exec "$NS" "$WORK/hsdecode" -i hslb "${buf[@]}" --format json -o "$WORK/report.jsonl" $HSDECODE_ARGS 2>"$WORK/err" & ;;
	esac
	CAPTURER=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$WORK/err" && return
		sleep 0.1
	done
	die "$1 did not start: $(cat "$WORK/err")"
}

# replay RATE: tcpreplay's options for a rate.
replay_opts() {
	case $1 in
	top) echo --topspeed ;;
	*pps) echo "--pps ${1%pps}" ;;
	*) echo "--mbps $1" ;;
	esac
}

# One row per rate and tool: rate tool sent captured dropped check seconds.
rows=$WORK/rows
: >"$rows"
log "$CAP: $(stat -c %s "$CAP") bytes; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "RATES=\"$RATES\" TOOLS=\"$TOOLS\" BUF_KIB=\"$BUF_KIB\" HSDECODE_ARGS=\"$HSDECODE_ARGS\""
for rate in $RATES; do
	for tool in $TOOLS; do
		capture "$tool"
		# shellcheck disable=SC2046 # replay_opts is words
		in_ns tcpreplay -i hsla $(replay_opts "$rate") "$CAP" >"$WORK/replay" 2>&1 || die "tcpreplay failed: $(tail -3 "$WORK/replay")"
		# tcpdump reads the kernel's ring a block at a time, and a block
		# is handed over when full or a second after its first packet: the
		# last one needs that second. What hsdecode's workers still hold
		# needs no wait: the end of the capture reports it.
		sleep 2.5
		# Its CPU time (user and system, clock ticks) so far: how much of
		# the two cores it took from tcpreplay and the kernel.
		cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$CAPTURER/stat")
		kill -INT "$CAPTURER"
		wait "$CAPTURER" || true
		CAPTURER=
		sent=$(awk '/Actual:/ {print $2; exit}' "$WORK/replay")
		secs=$(awk '/Actual:/ {for (i = 1; i <= NF; i++) if ($i == "in") {print $(i + 1); exit}}' "$WORK/replay")
		# tcpdump's and hsdecode's words: "N packets captured", "N dropped
		# by kernel", "N dropped by interface".
		# tcpdump's lines are one count each ("1222 packets dropped by
		# kernel"), hsdecode's one line of them ("0 dropped by kernel").
		read -r got kdrop ifdrop < <(awk '
			{gsub(",", "")}
			/packets captured/ {for (i = 1; i < NF; i++) if ($(i + 1) == "packets" && $(i + 2) == "captured") c = $i}
			/dropped by kernel/ {for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+$/ && ($(i + 1) == "dropped" || $(i + 2) == "dropped") && ($(i + 3) == "kernel" || $(i + 4) == "kernel")) k = $i}
			/dropped by interface/ {for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+$/ && ($(i + 1) == "dropped" || $(i + 2) == "dropped") && ($(i + 3) == "interface" || $(i + 4) == "interface")) f = $i}
			END {print c + 0, k + 0, f + 0}' "$WORK/err")
		check=-
		if [[ $tool == hsdecode && -f $CAP.conns.tsv ]]; then
			if "$WORK/benchgen" -check "$CAP.conns.tsv" -report "$WORK/report.jsonl" >"$WORK/check" 2>&1; then
				check=ok
			else
				check=MISMATCH
				grep -m3 '^check:  ' "$WORK/check" | sed -n '/MISMATCHES/,$p' >&2 || true
			fi
			cp "$WORK/check" "$WORK/check.$rate"
		fi
		echo "$rate $tool $sent $got $((kdrop + ifdrop)) $check $secs $cpu" >>"$rows"
		log "$(printf '%-6s %-9s sent %9s in %9s s, captured %9s, dropped %8s, check %-8s, CPU %6s s' "$rate" "$tool" "$sent" "$secs" "$got" "$((kdrop + ifdrop))" "$check" "$cpu")"
	done
done

echo
# Per rate and tool: the rate tcpreplay reached while that tool captured
# (on 2 cores a busy capture slows tcpreplay down), the packets lost
# (sent but not captured, the kernel's drops among them) and the tool's
# CPU time; then hsdecode's check.
awk -v tools="$TOOLS" '
	BEGIN {n = split(tools, T, " ")}
	{
		r = $1; t = $2
		if (!(r in seen)) {seen[r] = 1; order[++nr] = r}
		pps[r, t] = ($7 > 0) ? $3 / $7 : 0
		lost[r, t] = ($3 - $4 > $5) ? $3 - $4 : $5
		if (lost[r, t] < 0) lost[r, t] = 0
		chk[r, t] = $6; cpu[r, t] = $8
		ok = ($4 >= $3 && $5 == 0 && ($6 == "-" || $6 == "ok"))
		if (ok && pps[r, t] > best[t]) {best[t] = pps[r, t]; bestr[t] = r}
	}
	END {
		printf "%-6s", "rate"
		for (i = 1; i <= n; i++) printf " | %16s %8s %6s", T[i] " pkts/s", "lost", "CPU s"
		printf " | %s\n", "check"
		for (j = 1; j <= nr; j++) {
			r = order[j]; c = "-"
			printf "%-6s", r
			for (i = 1; i <= n; i++) {
				t = T[i]
				printf " | %16.0f %8d %6s", pps[r, t], lost[r, t], cpu[r, t]
				if (chk[r, t] != "" && chk[r, t] != "-") c = chk[r, t]
			}
			printf " | %s\n", c
		}
		print ""
		for (i = 1; i <= n; i++) {
			t = T[i]
			if (best[t] > 0) printf "highest lossless rate of %-9s %-6s %10.0f packets/s\n", t ":", bestr[t], best[t]
			else printf "highest lossless rate of %-9s none\n", t ":"
		}
		if (best["tcpdump"] > 0 && ("hsdecode" in best))
			printf "ratio hsdecode / tcpdump: %.2f (target: at least 0.90)\n", best["hsdecode"] / best["tcpdump"]
	}' "$rows"

#!/usr/bin/env bash
# soak.sh: run hsdecode's live capture on lo for a while under a steady load
# of real TLS handshakes, and print its memory (RSS) every 10 seconds, to
# show that it stays flat: connections are dropped once reported.
#
# Usage: sudo scripts/soak.sh [MINUTES]      (default 10)
# Environment: SOAK_PORT (first of 5 ports, default 47401), SOAK_EVERY
# (seconds between samples, default 10), KEEP_WORK=1 keeps the temp dir.
#
# Not a test: it asserts nothing, it measures. It needs root (capture),
# openssl and curl; it only uses loopback. The load, one client at a time in
# each of three loops, cycles through: a TLS 1.3 handshake (openssl
# s_client), a TLS 1.2 one (curl), a refused cipher (server alert), a
# missing client certificate (server alert), and the start of a ClientHello
# that the client abandons (the server answers decode_error). A fourth loop
# keeps an openssl s_client waiting 40s for an answer to its ClientHello
# from a server that never gives one (s_server serves one connection at a
# time, and it is kept busy by a connection that never finishes its first
# record): --idle-timeout (30s) reports it incomplete, idle.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINUTES=${1:-10}
PORT=${SOAK_PORT:-47401}
EVERY=${SOAK_EVERY:-10}
P13=$PORT P12=$((PORT + 1)) PNC=$((PORT + 2)) PMTLS=$((PORT + 3)) PSTALL=$((PORT + 4))
WORK=$(mktemp -d /tmp/hsdecode-soak.XXXXXX)

log() { printf '%s\n' "== $*" >&2; }
die() { printf '%s\n' "soak: $*" >&2; exit 1; }

PIDS=()
HSD_PID=
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	[[ -n $HSD_PID ]] && kill -INT "$HSD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	[[ -n ${KEEP_WORK:-} ]] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "live capture needs root"
bash "$ROOT/scripts/deps.sh"
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -gt 0 ]] || die "MINUTES must be a positive whole number"

cd "$WORK"
log "building hsdecode and throwaway keys in $WORK"
(cd "$ROOT" && go build -o "$WORK/hsdecode" ./cmd/hsdecode)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout ca.key -out ca.crt -subj "/CN=hsdecode soak CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout srv.key -out srv.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.crt 2>/dev/null

# Servers, for as many connections as come.
server() {
	openssl s_server -accept "127.0.0.1:$1" -cert srv.crt -key srv.key -www -quiet "${@:2}" \
		</dev/null >/dev/null 2>>servers.log &
	PIDS+=($!)
}
server "$P13" -tls1_3
server "$P12" -no_tls1_3
server "$PNC" -no_tls1_3 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
server "$PMTLS" -no_tls1_3 -Verify 1 -CAfile ca.crt
server "$PSTALL"
for p in "$P13" "$P12" "$PNC" "$PMTLS" "$PSTALL"; do
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break
		sleep 0.1
	done
done
# Keep the stall server busy for good: later connections wait in its
# accept queue, their ClientHellos unanswered.
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PSTALL; printf '\x16\x03\x01\x00\xc8\x01\x00' >&3; exec sleep infinity" &
PIDS+=($!)

./hsdecode -i lo --format json --idle-timeout 30s \
	-f "tcp port $P13 or tcp port $P12 or tcp port $PNC or tcp port $PMTLS or tcp port $PSTALL" \
	>reports.jsonl 2>hsdecode.err &
HSD_PID=$!
for _ in $(seq 100); do
	grep -q '^listening on' hsdecode.err && break
	kill -0 "$HSD_PID" 2>/dev/null || { cat hsdecode.err >&2; die "hsdecode did not start"; }
	sleep 0.1
done
grep -q '^listening on' hsdecode.err || die "hsdecode is not listening"

# One round of the five kinds of connection; failures are the point of some.
round() {
	timeout 10 openssl s_client -connect "127.0.0.1:$P13" -servername localhost -CAfile ca.crt -tls1_3 </dev/null >/dev/null 2>&1 || true
	timeout 10 curl -sS -o /dev/null --tlsv1.2 --tls-max 1.2 --cacert ca.crt \
		--resolve "localhost:$P12:127.0.0.1" "https://localhost:$P12/" 2>/dev/null || true
	timeout 10 openssl s_client -connect "127.0.0.1:$PNC" -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 </dev/null >/dev/null 2>&1 || true
	timeout 10 openssl s_client -connect "127.0.0.1:$PMTLS" -tls1_2 -CAfile ca.crt </dev/null >/dev/null 2>&1 || true
	# The first bytes of a ClientHello record, then the client gives up.
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P13; printf '\x16\x03\x01\x00\xc8\x01\x00' >&3; sleep 0.05" 2>/dev/null || true
}
stall() {
	while :; do
		timeout 40 openssl s_client -connect "127.0.0.1:$PSTALL" -servername localhost </dev/null >/dev/null 2>&1 || true
	done
}
loop() { while :; do round; done; }
for _ in 1 2 3; do
	loop &
	PIDS+=($!)
done
stall &
PIDS+=($!)

rss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
samples=$((MINUTES * 60 / EVERY))
log "soak for $MINUTES min: hsdecode pid $HSD_PID, a sample every ${EVERY}s"
printf '%8s %10s %10s %9s %9s\n' elapsed rss_kib anon_kib reports per_s
start=$(date +%s)
prev=0
declare -a RSS
for i in $(seq 0 "$samples"); do
	if ((i > 0)); then
		sleep $((start + i * EVERY - $(date +%s))) 2>/dev/null || true
	fi
	kill -0 "$HSD_PID" 2>/dev/null || { cat hsdecode.err >&2; die "hsdecode exited"; }
	r=$(rss "$HSD_PID" VmRSS) a=$(rss "$HSD_PID" RssAnon) n=$(wc -l <reports.jsonl)
	RSS+=("$r")
	printf '%7ss %10s %10s %9s %9s\n' $(($(date +%s) - start)) "$r" "$a" "$n" $(((n - prev) / EVERY))
	prev=$n
done

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
PIDS=()
sleep 1
kill -INT "$HSD_PID"
status=0
wait "$HSD_PID" || status=$?
HSD_PID=
log "hsdecode exit status $status (1: alerts were reported, as intended); its standard error:"
cat hsdecode.err >&2
log "outcomes"
grep -o '"outcome":"[a-z_]*"' reports.jsonl | sort | uniq -c >&2
log "closed"
grep -o '"closed":"[a-z_]*"' reports.jsonl | sort | uniq -c >&2
n=${#RSS[@]}
printf 'RSS (KiB): start %s, middle %s, end %s, max %s\n' "${RSS[1]:-${RSS[0]}}" "${RSS[n / 2]}" "${RSS[n - 1]}" \
	"$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)"

#!/usr/bin/env bash
# A CI job's TLS handshake gate, recording included: tcpdump records the
# loopback traffic of a test run, then hsdecode reads the capture, writes
# its report and a JUnit file, and its exit status decides the job. The
# GitHub Action (action.yml) and the GitLab CI template
# (ci/gitlab/hsdecode.gitlab-ci.yml) run its last step on your captures.
#
#   bash scripts/ci-gate-example.sh                   # the stand-in test run below
#   bash scripts/ci-gate-example.sh -- make test      # your own tests, captured the same way
#   bash scripts/ci-gate-example.sh --demo-failure    # also a handshake that fails: the gate must say 1
#
# Environment: OUT (where the capture, reports and JUnit file go;
# ci-artifacts), PORT (the stand-in server's port, 28443), PORTS (the
# tcpdump filter's ports, space-separated; PORT), FAIL_ON (hsdecode's
# --fail-on), HSDECODE (a built binary;
# otherwise ./cmd/hsdecode is built). tcpdump runs through sudo when not
# root. The exit status is hsdecode's: 0 no finding, 1 findings, 2 error.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-ci-artifacts}
PORT=${PORT:-28443}
PORTS=${PORTS:-$PORT}
FAIL_ON=${FAIL_ON:-violation,alert,legacy-version,weak-cipher,expired-cert}
demo_failure=0
tests=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--demo-failure) demo_failure=1; shift ;;
	--) shift; tests=("$@"); break ;;
	*) echo "usage: $0 [--demo-failure] [-- TEST COMMAND...]" >&2; exit 2 ;;
	esac
done

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
mkdir -p "$OUT"
rm -f "$OUT/tls.pcap" "$OUT/hsdecode.txt" "$OUT/hsdecode-junit.xml" "$OUT/hsdecode.html"

hsdecode=${HSDECODE:-}
if [[ -z $hsdecode ]]; then
	go build -o "$OUT/hsdecode" ./cmd/hsdecode
	hsdecode="$OUT/hsdecode"
fi

pids=()
cleanup() {
	for p in "${pids[@]}"; do $sudo kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# 1. Start capturing before the tests, on loopback, only the tests' ports;
#    wait for tcpdump's "listening on" so no handshake is missed.
#    --immediate-mode: without it packets wait in the kernel's ring for
#    a block to fill, and those still waiting when tcpdump stops are lost.
#    -Z root: tcpdump would otherwise switch to its own user first, which
#    may not write in $OUT.
filter=$(printf 'tcp port %s or ' $PORTS)
filter=${filter% or }
$sudo tcpdump -i lo --immediate-mode -B 16384 -U -s 0 -Z root -w "$OUT/tls.pcap" "$filter" 2>"$OUT/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 100); do
	grep -q "listening on" "$OUT/tcpdump.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "listening on" "$OUT/tcpdump.log" || { cat "$OUT/tcpdump.log" >&2; echo "tcpdump did not start" >&2; exit 2; }

# 2. The test run.
if [[ ${#tests[@]} -gt 0 ]]; then
	"${tests[@]}" || echo "ci-gate-example: the test command failed with status $?" >&2
else
	# Stand-in tests: a TLS server with a fresh certificate, and clients
	# that handshake with it as a test suite's would.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
	openssl s_server -quiet -accept "$PORT" -cert "$OUT/cert.pem" -key "$OUT/key.pem" -www \
		-cipher 'ECDHE+AESGCM' >/dev/null 2>&1 &
	pids+=("$!")
	for _ in $(seq 100); do
		curl -s -o /dev/null --cacert "$OUT/cert.pem" "https://localhost:$PORT/" && break
		sleep 0.1
	done
	url="https://localhost:$PORT/"
	curl -sS -o /dev/null --cacert "$OUT/cert.pem" "$url"                                 # TLS 1.3
	curl -sS -o /dev/null --cacert "$OUT/cert.pem" --tls-max 1.2 "$url"                   # TLS 1.2
	curl -sS -o /dev/null --cacert "$OUT/cert.pem" --http1.1 "$url"                       # ALPN http/1.1
	echo | openssl s_client -connect "localhost:$PORT" -servername localhost -tls1_2 >/dev/null 2>&1
	if [[ $demo_failure -eq 1 ]]; then
		# A client that offers only a suite the server refuses: handshake_failure.
		echo | openssl s_client -connect "localhost:$PORT" -servername localhost -tls1_2 \
			-cipher AES128-SHA >/dev/null 2>&1 || true
	fi
fi

# 3. Stop the capture; tcpdump writes what it holds on SIGINT.
sleep 0.5
$sudo kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

# 4. The gate: a readable report in the log, JUnit for the CI dashboard,
#    an HTML page to open from the job's artifacts, and hsdecode's exit
#    status as the job's.
set +e
"$hsdecode" --fail-on "$FAIL_ON" --junit "$OUT/hsdecode-junit.xml" --html "$OUT/hsdecode.html" "$OUT/tls.pcap" | tee "$OUT/hsdecode.txt"
status=${PIPESTATUS[0]}
set -e
echo "ci-gate-example: hsdecode exit status $status (0: no finding, 1: findings, 2: error)"
exit "$status"

#!/usr/bin/env bash
# make-keylog-testdata.sh: record the TLS 1.3 captures hsdecode decrypts
# with a key log (issue 13) into testdata/pcaps/, each with its NSS key log
# beside it (NAME.keys), and a pcapng with the key log injected as a
# Decryption Secrets Block, and rewrites their section of MANIFEST.md (from
# its "## Captures with key logs" heading to the end) with how each was made,
# what hsdecode must report with its key log, and what tshark sees with it.
# scripts/make-testdata.sh writes the rest of MANIFEST.md: run this one
# after it.
#
# Rerunnable on Debian as root (tcpdump needs it): OpenSSL's s_server and
# s_client on loopback, ports 44340-44346 and 44360-44363, throwaway keys in
# a temp dir.
# The captures are reproducible in kind, not byte for byte.
#
# Usage: scripts/make-keylog-testdata.sh [NUMBER...]
# With numbers (e.g. 39 40), only the captures whose names begin with them
# are recorded again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-keylog.XXXXXX)
REQ='GET /hello.txt HTTP/1.0\r\n\r\n'

log() { printf '%s\n' "== $*" >&2; }
die() { printf '%s\n' "make-keylog-testdata: $*" >&2; exit 1; }

CAP_PID= SRV_PID=
ROWS=()
cleanup() {
	local p
	for p in $SRV_PID $CAP_PID; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "tcpdump needs root"
for cmd in tcpdump openssl tshark editcap ss timeout; do
	command -v $cmd >/dev/null || die "missing $cmd"
done

cd "$WORK"
printf 'hello\n' >hello.txt
cat >client.ext <<-'X'
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
X
q=(-days 2 -nodes)
for ca in ca otherca; do
	openssl req -x509 -newkey rsa:2048 "${q[@]}" -keyout $ca.key -out $ca.crt -subj "/CN=hsdecode test $ca" 2>/dev/null
done
openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >server.ext
openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out rsa.crt 2>/dev/null
# untrusted.crt: a client certificate from a CA the server does not trust.
openssl req -newkey rsa:2048 -nodes -keyout untrusted.key -out untrusted.csr -subj "/CN=hsdecode untrusted client" 2>/dev/null
openssl x509 -req -in untrusted.csr -CA otherca.crt -CAkey otherca.key -CAcreateserial -days 2 -extfile client.ext -out untrusted.crt 2>/dev/null

# selected NAME: whether this run records NAME.
selected() {
	local n
	((${#ONLY[@]} == 0)) && return 0
	for n in "${ONLY[@]}"; do
		[[ $1 == "$n"-* ]] && return 0
	done
	return 1
}

# capture NAME PORT EXPECT SERVER-ARGS -- CLIENT-ARGS: one s_server/s_client
# conversation on PORT, recorded to NAME.pcap, the client's key log to
# NAME.keys; EXPECT is what hsdecode must report with it. V is the
# version flag of both peers, -tls1_3 unless set.
capture() {
	local name=$1 port=$2 expect=$3 i seq v=${V:--tls1_3}
	shift 3
	selected "$name" || return 0
	local srv=() cli=()
	while [[ $1 != -- ]]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	rm -f "$OUT/$name.pcap" "$WORK/$name.keys"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$name.pcap" "tcp port $port" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	timeout 30 openssl s_server -naccept 1 -WWW -accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key "${srv[@]}" >server.log 2>&1 </dev/null &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	printf "$REQ" | timeout 10 openssl s_client -servername localhost -ign_eof -connect 127.0.0.1:$port $v \
		-keylogfile "$WORK/$name.keys" "${cli[@]}" >>client.log 2>&1 || true
	for i in $(seq 20); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	grep -v '^#' "$WORK/$name.keys" >"$OUT/$name.keys"
	seq=$(tshark -r "$OUT/$name.pcap" -o "tls.keylog_file:$OUT/$name.keys" -d "tcp.port==$port,tls" -Y tls -T fields -e tcp.srcport -e _ws.col.Info 2>/dev/null |
		awk -v port=$port '{side = ($1 == port) ? "S" : "C"; $1 = ""; printf "%s:%s;", side, $0}' | sed 's/;$//')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | server: \`openssl s_server -naccept 1 -WWW -accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key ${srv[*]}\`; client: \`openssl s_client -servername localhost -ign_eof -connect 127.0.0.1:$port $v -keylogfile $name.keys ${cli[*]}\` | $expect | $seq |")
}

# capture_resumed NAME PORT EXPECT SERVER-ARGS -- CLIENT1-ARGS -- CLIENT2-ARGS:
# two s_client conversations with one s_server on PORT, both in NAME.pcap
# and NAME.keys: the first saves its session (-sess_out), the second
# resumes it (-sess_in) and may send early.txt as 0-RTT data. s_server
# refuses -early_data with -WWW, so it runs in its plain mode, its stdin a
# FIFO held open so that it serves both; each client sends the request and
# stays a second to read the server's tickets.
capture_resumed() {
	local name=$1 port=$2 expect=$3 i seq
	shift 3
	selected "$name" || return 0
	local srv=() c1=() c2=()
	while [[ $1 != -- ]]; do srv+=("$1"); shift; done
	shift
	while [[ $1 != -- ]]; do c1+=("$1"); shift; done
	shift
	c2=("$@")
	rm -f "$OUT/$name.pcap" "$WORK/$name.keys" "$WORK/$name.sess" "$WORK/srv.in"
	printf "$REQ" >early.txt
	mkfifo "$WORK/srv.in"
	exec 3<>"$WORK/srv.in"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$name.pcap" "tcp port $port" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	timeout 30 openssl s_server -naccept 2 -accept 127.0.0.1:$port -tls1_3 -cert rsa.crt -key rsa.key "${srv[@]}" >server.log 2>&1 <"$WORK/srv.in" &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	(printf "$REQ"; sleep 1) | timeout 10 openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 \
		-keylogfile "$WORK/$name.keys" -sess_out "$WORK/$name.sess" "${c1[@]}" >>client.log 2>&1 || true
	[[ -s $WORK/$name.sess ]] || die "$name: the first client saved no session"
	(printf "$REQ"; sleep 1) | timeout 10 openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 \
		-keylogfile "$WORK/$name.keys" -sess_in "$WORK/$name.sess" "${c2[@]}" >>client.log 2>&1 || true
	for i in $(seq 20); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	exec 3>&-
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	grep -v '^#' "$WORK/$name.keys" >"$OUT/$name.keys"
	seq=$(tshark -r "$OUT/$name.pcap" -o "tls.keylog_file:$OUT/$name.keys" -d "tcp.port==$port,tls" -Y tls -T fields -e tcp.stream -e tcp.srcport -e _ws.col.Info 2>/dev/null |
		awk -v port=$port '{conn = "#" ($1 + 1); side = ($2 == port) ? "S" : "C"; $1 = $2 = ""; sub(/^ +/, ""); printf "%s %s: %s;", conn, side, $0}' | sed 's/;$//')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | server: \`openssl s_server -naccept 2 -accept 127.0.0.1:$port -tls1_3 -cert rsa.crt -key rsa.key ${srv[*]}\`; client 1: \`openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 -keylogfile $name.keys -sess_out $name.sess ${c1[*]}\`; client 2: \`openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 -keylogfile $name.keys -sess_in $name.sess ${c2[*]}\` (early.txt holds the request) | $expect | $seq |")
}

capture 32-tls13-keylog-full 44340 "with --keylog: outcome=established; keys=found; decrypted: encrypted_extensions, certificate, certificate_verify, finished (server), finished (client)" --
capture 33-tls13-keylog-mtls-no-cert 44341 "with --keylog: outcome=alert; keys=found; client_certificate=empty (decrypted empty certificate); alert fatal certificate_required from server, decrypted" -Verify 1 -CAfile ca.crt --
capture 34-tls13-keylog-mtls-untrusted 44342 "with --keylog: outcome=alert; keys=found; client_certificate=sent (CN=hsdecode untrusted client, issued by otherca); alert fatal unknown_ca from server, decrypted" -Verify 1 -CAfile ca.crt -verify_return_error -- -cert untrusted.crt -key untrusted.key
capture 37-tls13-keylog-hrr 44344 "with --keylog: outcome=established; keys=found; a HelloRetryRequest (the server takes only P-256), so each Finished covers message_hash in place of the first ClientHello" -groups P-256 -- -groups X25519:P-256
V=-tls1_2 capture 38-tls12-keylog-full 44345 "with --keylog: outcome=established; keys=found (CLIENT_RANDOM); both finished decrypted and verified" --
capture_resumed 43-tls13-keylog-psk-dhe 44360 "2 connections, both with --keylog: keys=found, outcome=established. #1 resumed=false, the full ladder of 32. #2 resumed=true: ServerHello with pre_shared_key and key_share (psk_dhe_ke); the server's flight decrypted is encrypted_extensions, finished: no certificate, certificate_verify" -- -- --
capture_resumed 44-tls13-keylog-psk-ke 44361 "2 connections, both with --keylog: keys=found, outcome=established. #2 resumed=true: the client offers psk_ke (-allow_no_dhe_kex) and only P-256, which the server does not take, so the ServerHello has pre_shared_key and no key_share (psk_ke, RFC 8446 4.2.9); encrypted_extensions, finished decrypted" -allow_no_dhe_kex -groups X25519 -- -- -allow_no_dhe_kex -groups P-256
capture_resumed 45-tls13-keylog-early-accepted 44362 "2 connections, both with --keylog: keys=found, outcome=established. #2 resumed=true, early_data=accepted: the client's 0-RTT request after its ClientHello is application_data decrypted with CLIENT_EARLY_TRAFFIC_SECRET (early_data flag), the server's encrypted_extensions carries early_data, and the client's end_of_early_data (early data key) comes before its finished" -early_data -- -- -early_data early.txt
capture_resumed 46-tls13-keylog-early-rejected 44363 "2 connections, both with --keylog: keys=found, outcome=established. #2 resumed=true, early_data=rejected: the tickets allow 0-RTT (-max_early_data) but the server without -early_data refuses it; the client's 0-RTT request is still decrypted with CLIENT_EARLY_TRAFFIC_SECRET (early_data flag), encrypted_extensions has no early_data, and the client sends no end_of_early_data" -max_early_data 16384 -- -- -early_data early.txt
capture 35-tls13-wrong-keylog 44343 "with --keylog: keys=wrong (the key log files this connection's client random with 32's secrets, so nothing decrypts); outcome=established by the keyless rule, the ladder as without keys" --

# 35's key log keeps its client random but takes 32's secrets: keys that
# belong to another session, which decrypt nothing of this one.
if selected 35-tls13-wrong-keylog; then
	awk 'NR == FNR { s[$1] = $3; next } { print $1, $2, s[$1] }' "$OUT/32-tls13-keylog-full.keys" "$OUT/35-tls13-wrong-keylog.keys" >"$WORK/wrong.keys"
	mv "$WORK/wrong.keys" "$OUT/35-tls13-wrong-keylog.keys"
fi

# 36: a conversation of its own (the same as 32's would share its Zeek
# uid) with its key log in a Decryption Secrets Block; its pcap is not kept.
if selected 36-tls13-injected-secrets; then
	capture 36-tls13-injected-secrets 44346 "" --
	unset 'ROWS[-1]'
	editcap --inject-secrets "tls,$OUT/36-tls13-injected-secrets.keys" "$OUT/36-tls13-injected-secrets.pcap" "$OUT/36-tls13-injected-secrets.pcapng"
	rm "$OUT/36-tls13-injected-secrets.pcap"
	chown --reference="$OUT" "$OUT"/36-*
	ROWS+=("| \`36-tls13-injected-secrets.pcapng\` (+ \`36-tls13-injected-secrets.keys\`, the key log it carries) | as 32 on port 44346, then \`editcap --inject-secrets tls,36-tls13-injected-secrets.keys 36.pcap 36-tls13-injected-secrets.pcapng\` | with no flag: outcome=established, keys=found, the ladder of 32; the same report as its packets in a pcap with --keylog | as 32 |")
fi

M=$OUT/MANIFEST.md
if ((${#ONLY[@]} > 0)); then
	# Keep the rows of the captures not recorded again.
	for row in "${ROWS[@]}"; do
		name=${row#'| `'}
		name=${name%%[.\`]*}
		grep -vF "| \`$name." "$M" >"$WORK/manifest" || true
		cp "$WORK/manifest" "$M"
	done
	mapfile -t kept < <(sed -n '/^## Captures with key logs$/,$p' "$M" | grep '^| `')
	ROWS=("${kept[@]}" "${ROWS[@]}")
fi
mapfile -t ROWS < <(printf '%s\n' "${ROWS[@]}" | sort -t'`' -k2,2)
sed -i '/^## Captures with key logs$/,$d' "$M"
{
	printf '## Captures with key logs\n\n'
	printf 'Written by `scripts/make-keylog-testdata.sh`: TLS 1.3 (and 1.2) with OpenSSL, each\n'
	printf 'with the NSS key log s_client wrote (NAME.keys), ports 44340-44346; 43-46 (ports\n'
	printf '44360-44363) hold two connections, the second resuming the first'"'"'s session. `ca.crt`\n'
	printf 'signs `rsa.crt`; `untrusted.crt` is a client certificate from `otherca.crt`.\n'
	printf 'Without their key logs they report as 12, 31 and 15 do; the last column is\n'
	printf "what tshark shows given the key log.\n\n"
	printf '| file | made with | report | tshark with the key log |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s.\n' "$(openssl version | cut -d' ' -f1-2)"
} >>"$M"
log "done"

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
# s_client on loopback, each capture on ports of its own in 44340-44399
# (53-57 also GnuTLS, curl and Go's crypto/tls); throwaway keys in a temp
# dir. The captures are reproducible in kind, not byte for byte.
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

NAME=make-keylog-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "tcpdump needs root"
need_commands tcpdump openssl tshark editcap ss timeout gnutls-cli gnutls-serv curl go

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
# client.crt: a client certificate the server trusts; ec.crt: an ECDSA
# server certificate, for the ECDHE_ECDSA suites (AES-CCM in TLS 1.2).
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=hsdecode client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out client.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr -subj /CN=localhost 2>/dev/null
openssl x509 -req -in ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out ec.crt 2>/dev/null
(cd "$ROOT" && go build -o "$WORK/tlspeer" ./scripts/tlspeer)

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

# feed STEP...: each STEP is DELAY:LINE, a line written after DELAY
# seconds; the stdin of an s_server or s_client whose lines are commands
# (k, K: KeyUpdate without and with update_requested; c: the server's
# post-handshake CertificateRequest; Q: the client's close_notify).
feed() {
	local s
	for s in "$@"; do
		sleep "${s%%:*}"
		printf '%s\n' "${s#*:}"
	done
}

# interact NAME PORT EXPECT SERVER-STEPS CLIENT-STEPS SERVER-ARGS -- CLIENT-ARGS:
# as capture (V the version flag), with an interactive s_server (no -WWW,
# so it reads commands) and s_client, each fed its steps (feed); the
# server's stdin stays open until the client is done, since its end closes
# the connection.
interact() {
	local name=$1 port=$2 expect=$3 sfeed=$4 cfeed=$5 i seq v=${V:--tls1_3}
	local -a ssteps csteps cli srv=()
	read -ra ssteps <<<"$4"
	read -ra csteps <<<"$5"
	shift 5
	selected "$name" || return 0
	while [[ $1 != -- ]]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	rm -f "$OUT/$name.pcap" "$WORK/$name.keys"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$name.pcap" "tcp port $port" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	rm -f srv.in
	mkfifo srv.in
	timeout 30 openssl s_server -naccept 1 -accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key "${srv[@]}" <srv.in >server.log 2>&1 &
	SRV_PID=$!
	(feed "${ssteps[@]}"; exec sleep 30) >srv.in &
	FEED_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	feed "${csteps[@]}" | timeout 20 openssl s_client -servername localhost -connect 127.0.0.1:$port $v \
		-keylogfile "$WORK/$name.keys" "${cli[@]}" >>client.log 2>&1 || true
	for i in $(seq 20); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$FEED_PID" "$SRV_PID" 2>/dev/null || true
	wait "$FEED_PID" 2>/dev/null || true
	FEED_PID=
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
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | server: \`openssl s_server -naccept 1 -accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key ${srv[*]}\` fed \`$sfeed\`; client: \`openssl s_client -servername localhost -connect 127.0.0.1:$port $v -keylogfile $name.keys ${cli[*]}\` fed \`$cfeed\` (DELAY:LINE, scripts/make-keylog-testdata.sh feed) | $expect | $seq |")
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
# TLS 1.2 past the Finished (read with --follow), ports 44370-44379.
V=-tls1_2 capture 47-tls12-null-sha256 44370 "outcome=established; cipher_suite=TLS_RSA_WITH_NULL_SHA256; without keys each finished is read in clear (not verified); with --keylog both verified; with --follow the close_notify alerts by name" -cipher NULL-SHA256@SECLEVEL=0 -- -cipher NULL-SHA256@SECLEVEL=0
V=-tls1_2 interact 48-tls12-renegotiation 44371 "with --keylog --follow: outcome=established; renegotiations=1; the client's second client_hello (renegotiation_info = its first verify_data) and the whole second, full handshake (the server resumes no session on renegotiation) decrypted, both its finished verified; application data counted; without keys and with --follow: renegotiations=1" \
	"" "1:hello 0.5:R 1:bye 1:Q" -client_renegotiation -no_resumption_on_reneg --
V=-tls1_2 interact 49-tls12-server-renegotiation 44372 "with --keylog --follow: outcome=established; renegotiations=1: the server's hello_request, then the client's client_hello and the second handshake decrypted, both its finished verified" \
	"1.5:r" "1:hello 2:bye 1:Q" --
V=-tls1_2 interact 52-tls12-renegotiation-refused 44375 "with --keylog --follow: outcome=established (the handshake was); renegotiations=1: the client's second client_hello decrypted, the server's warning no_renegotiation and the client's fatal handshake_failure named, decrypted" \
	"" "1:hello 0.5:R 1:bye 1:Q" --
V=-tls1_2 capture 50-tls12-cbc-etm 44373 "with --keylog: outcome=established; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256; encrypt_then_mac in both hellos (RFC 7366); both finished decrypted and verified" -cipher ECDHE-RSA-AES128-SHA256 -- -cipher ECDHE-RSA-AES128-SHA256
V=-tls1_2 capture 51-tls12-cbc-no-etm 44374 "with --keylog: outcome=established; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256; no encrypt_then_mac (the client sends -no_etm): MAC-then-encrypt; both finished decrypted and verified" -cipher ECDHE-RSA-AES128-SHA256 -- -cipher ECDHE-RSA-AES128-SHA256 -no_etm
capture 35-tls13-wrong-keylog 44343 "with --keylog: keys=wrong (the key log files this connection's client random with 32's secrets, so nothing decrypts); outcome=established by the keyless rule, the ladder as without keys" --

# Past the handshake (--follow): KeyUpdate and post-handshake client
# authentication, interactive on ports 44350-44353.
interact 39-tls13-keylog-keyupdate 44350 "with --keylog --follow: outcome=established; keys=found; alpn=h2 (from the decrypted encrypted_extensions); key_update from the client (update_not_requested, then update_requested, which the server answers with its own) and from the server (the same), each side's later data decrypted with its next application traffic secret; close_notify from both, decrypted" \
	"2.2:pong 0.3:k 0.3:after-k 0.3:K 0.3:after-K" "1:ping 0.3:k 0.3:after-k 0.3:K 0.3:after-K 1.6:late 1:Q" -alpn h2 -- -alpn h2,http/1.1
interact 40-tls13-keylog-pha 44351 "with --keylog --follow: outcome=established; keys=found; client_certificate=sent (CN=hsdecode client); after the handshake the server's certificate_request, the client's certificate, certificate_verify and finished (verified), decrypted; tshark with the key log decrypts nothing the client sends after its post-handshake finished (its data and close_notify show as Application Data), hsdecode does" \
	"1.5:c 1:pong" "1:ping 2.5:after-pha 1:Q" -CAfile ca.crt -- -enable_pha -cert client.crt -key client.key
interact 41-tls13-keylog-pha-empty 44352 "with --keylog --follow: outcome=established; keys=found; client_certificate=empty; after the handshake the server's certificate_request, the client's empty certificate and finished (verified), decrypted; the server takes it; tshark with the key log decrypts nothing the client sends after its post-handshake finished (its data and close_notify show as Application Data), hsdecode does" \
	"1.5:c 1:pong" "1:ping 2.5:after-pha 1:Q" -CAfile ca.crt -- -enable_pha
interact 42-tls13-keylog-pha-untrusted 44353 "with --keylog --follow: outcome=established (the handshake was); keys=found; client_certificate=sent (CN=hsdecode untrusted client); after the client's post-handshake certificate, certificate_verify and finished, alert fatal unknown_ca from server, decrypted" \
	"1.5:c 1:pong" "1:ping 2.5:after-pha 1:Q" -CAfile ca.crt -verify_return_error -- -enable_pha -cert untrusted.crt -key untrusted.key

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

# A capture of several conversations (53-57): session_begin NAME FILTER
# starts recording, each talk adds one conversation, session_end NAME
# EXPECT stops and writes the capture's row. The peers append their
# secrets to $KEYS (s_client -keylogfile, SSLKEYLOGFILE, tlspeer -keylog),
# so the capture's key log holds every conversation.
SESSION= SESSION_MADE= SESSION_PORTS=()
session_begin() {
	local i
	SESSION=$1 SESSION_MADE= SESSION_PORTS=()
	rm -f "$OUT/$1.pcap" "$WORK/$1.keys"
	KEYS=$WORK/$1.keys
	export KEYS
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$1.pcap" "$2" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
}

# talk PORT SERVER CLIENT: one conversation on PORT, SERVER and CLIENT
# shell commands run in the work directory; the client gets the request
# on standard input (those that make their own ignore it). A server that
# does not exit by itself (gnutls-serv) is stopped once the client is done.
talk() {
	local port=$1 srv=$2 cli=$3 i
	timeout 30 bash -c "exec $srv" >>server.log 2>&1 </dev/null &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	printf "$REQ" | timeout 10 bash -c "$cli" >>client.log 2>&1 || true
	for i in $(seq 20); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	SESSION_PORTS+=("$port")
	# The key log's path is the capture's own in the manifest.
	SESSION_MADE+="${SESSION_MADE:+; }$port: server \`${srv//\$KEYS/$SESSION.keys}\`, client \`${cli//\$KEYS/$SESSION.keys}\`"
}

# ssltalk PORT SERVER-ARGS -- CLIENT-ARGS: an s_server/s_client pair as
# capture() runs them, with V (-tls1_3 unless set) and the RSA certificate
# unless SERVER-ARGS name another.
ssltalk() {
	local port=$1 v=${V:--tls1_3} srv=() cli=()
	shift
	while [[ $1 != -- ]]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	[[ " ${srv[*]} " == *" -cert "* ]] || srv=(-cert rsa.crt -key rsa.key "${srv[@]}")
	talk "$port" "openssl s_server -naccept 1 -WWW -accept 127.0.0.1:$port $v ${srv[*]}" \
		"openssl s_client -servername localhost -ign_eof -connect 127.0.0.1:$port $v -keylogfile \$KEYS ${cli[*]}"
}

session_end() {
	local name=$1 expect=$2 d port seq
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	grep -v '^#' "$KEYS" >"$OUT/$name.keys"
	chown --reference="$OUT" "$OUT/$name.keys"
	d=()
	for port in "${SESSION_PORTS[@]}"; do d+=(-d "tcp.port==$port,tls"); done
	# One "#stream" per conversation, each record as side:info.
	seq=$(tshark -r "$OUT/$name.pcap" -o "tls.keylog_file:$OUT/$name.keys" "${d[@]}" -Y tls -T fields -e tcp.stream -e tcp.srcport -e tcp.dstport -e _ws.col.Info 2>/dev/null |
		awk -F'\t' -v ports="${SESSION_PORTS[*]}" 'BEGIN { split(ports, p, " "); for (i in p) srv[p[i]] = 1; last = -1 }
			{ side = ($2 in srv) ? "S" : "C"
			  if ($1 != last) { printf "%s#%d (%s) ", (last >= 0 ? " " : ""), $1, (side == "S" ? $2 : $3); last = $1 } else printf ";"
			  printf "%s:%s", side, $4 }')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | $SESSION_MADE | $expect | $seq |")
	SESSION=
}

# gnutls3des PORT VERSION KX ETM: a 3DES conversation, which this
# OpenSSL build no longer offers at any security level, between GnuTLS's
# server and client; ETM :%NO_ETM turns encrypt_then_mac off. gnutls-serv
# asks for a client certificate, and gnutls-cli sends an empty one.
gnutls3des() {
	local p="NORMAL:-VERS-ALL:+VERS-$2:-CIPHER-ALL:+3DES-CBC:-KX-ALL:+$3$4"
	talk "$1" "gnutls-serv --port $1 --http --x509certfile rsa.crt --x509keyfile rsa.key --priority $p" \
		"SSLKEYLOGFILE=\$KEYS gnutls-cli --port $1 --x509cafile ca.crt --priority $p localhost"
}

# 53: one conversation per cipher suite hsdecode decrypts, a port each.
# TLS 1.0 and 1.1 need SECLEVEL=0; encrypt_then_mac is OpenSSL's and
# GnuTLS's default for CBC suites, -no_etm and %NO_ETM turn it off.
if selected 53-keylog-suites; then
	session_begin 53-keylog-suites "tcp portrange 44380-44395"
	n=44380
	for cs in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256; do
		ssltalk $n -ciphersuites $cs -- -ciphersuites $cs
		n=$((n + 1))
	done
	V=-tls1_2 ssltalk 44385 -cipher ECDHE-RSA-AES128-GCM-SHA256 -- -cipher ECDHE-RSA-AES128-GCM-SHA256
	V=-tls1_2 ssltalk 44386 -cipher ECDHE-RSA-CHACHA20-POLY1305 -- -cipher ECDHE-RSA-CHACHA20-POLY1305
	V=-tls1_2 ssltalk 44387 -cert ec.crt -key ec.key -cipher ECDHE-ECDSA-AES128-CCM -- -cipher ECDHE-ECDSA-AES128-CCM
	V=-tls1_2 ssltalk 44388 -cert ec.crt -key ec.key -cipher ECDHE-ECDSA-AES128-CCM8 -- -cipher ECDHE-ECDSA-AES128-CCM8
	V=-tls1_2 ssltalk 44389 -cipher ECDHE-RSA-AES128-SHA -- -cipher ECDHE-RSA-AES128-SHA
	V=-tls1_2 ssltalk 44390 -cipher ECDHE-RSA-AES128-SHA256 -- -cipher ECDHE-RSA-AES128-SHA256 -no_etm
	V=-tls1_2 ssltalk 44391 -cipher ECDHE-RSA-AES256-SHA384 -- -cipher ECDHE-RSA-AES256-SHA384
	gnutls3des 44392 TLS1.2 RSA :%NO_ETM
	V=-tls1_1 ssltalk 44393 -cipher ECDHE-RSA-AES256-SHA@SECLEVEL=0 -- -cipher ECDHE-RSA-AES256-SHA@SECLEVEL=0
	V=-tls1 ssltalk 44394 -cipher ECDHE-RSA-AES128-SHA@SECLEVEL=0 -- -cipher ECDHE-RSA-AES128-SHA@SECLEVEL=0 -no_etm
	gnutls3des 44395 TLS1.0 ECDHE-RSA ""
	session_end 53-keylog-suites "16 connections, each with --keylog: outcome=established; keys=found; both finished decrypted and verified, no violation. 44380-44384 TLS 1.3: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256 (encrypted_extensions, certificate, certificate_verify, finished decrypted; the server's new_session_ticket after the client's finished). TLS 1.2: 44385 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 44386 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 44387 TLS_ECDHE_ECDSA_WITH_AES_128_CCM, 44388 TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 44389 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (encrypt_then_mac), 44390 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (no encrypt_then_mac), 44391 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 (encrypt_then_mac), 44392 TLS_RSA_WITH_3DES_EDE_CBC_SHA (GnuTLS, no encrypt_then_mac; certificate_request, client_certificate=empty); 44393 TLS 1.1 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (explicit IV, encrypt_then_mac); TLS 1.0 (IV chained from the key block): 44394 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (no encrypt_then_mac), 44395 TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA (GnuTLS, encrypt_then_mac; certificate_request, client_certificate=empty)"
fi

# 54: GnuTLS's client writes its key log where SSLKEYLOGFILE says.
if selected 54-keylog-gnutls; then
	session_begin 54-keylog-gnutls "tcp port 44396"
	talk 44396 "openssl s_server -naccept 1 -WWW -accept 127.0.0.1:44396 -cert rsa.crt -key rsa.key" \
		"SSLKEYLOGFILE=\$KEYS gnutls-cli --port 44396 --x509cafile ca.crt localhost"
	talk 44396 "openssl s_server -naccept 1 -WWW -accept 127.0.0.1:44396 -cert rsa.crt -key rsa.key" \
		"SSLKEYLOGFILE=\$KEYS gnutls-cli --port 44396 --x509cafile ca.crt --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 localhost"
	session_end 54-keylog-gnutls "2 connections, each with --keylog: outcome=established; keys=found; no violation. #1 TLS 1.3 TLS_AES_256_GCM_SHA384 (GnuTLS client, OpenSSL server): encrypted_extensions, certificate, certificate_verify, finished (server), finished (client) decrypted, then the client's request and its close_notify (alerts: client warning close_notify, decrypted) before the server's new_session_ticket; #2 TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: both finished decrypted and verified"
fi

# 55: curl writes its key log where SSLKEYLOGFILE says.
if selected 55-keylog-curl; then
	session_begin 55-keylog-curl "tcp port 44397"
	talk 44397 "openssl s_server -naccept 1 -WWW -accept 127.0.0.1:44397 -cert rsa.crt -key rsa.key" \
		"SSLKEYLOGFILE=\$KEYS curl -sS --max-time 8 --cacert ca.crt --tlsv1.3 https://localhost:44397/hello.txt"
	talk 44397 "openssl s_server -naccept 1 -WWW -accept 127.0.0.1:44397 -cert rsa.crt -key rsa.key" \
		"SSLKEYLOGFILE=\$KEYS curl -sS --max-time 8 --cacert ca.crt --tlsv1.2 --tls-max 1.2 https://localhost:44397/hello.txt"
	session_end 55-keylog-curl "2 connections, each with --keylog: outcome=established; keys=found; no violation. #1 TLS 1.3 TLS_AES_256_GCM_SHA384: encrypted_extensions, certificate, certificate_verify, finished (server), finished (client) decrypted; #2 TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: both finished decrypted and verified"
fi

# 56: Go's crypto/tls on both sides (scripts/tlspeer, tls.Config.KeyLogWriter),
# a server that requires a client certificate from ca.crt.
if selected 56-keylog-go; then
	session_begin 56-keylog-go "tcp port 44398"
	for cli in "-cert client.crt -key client.key" "-cert client.crt -key client.key -max 1.2" ""; do
		talk 44398 "./tlspeer -mode server -addr 127.0.0.1:44398 -cert rsa.crt -key rsa.key -ca ca.crt -keylog \$KEYS" \
			"./tlspeer -mode client -addr 127.0.0.1:44398 -ca ca.crt $cli -keylog \$KEYS"
	done
	session_end 56-keylog-go "3 connections, each with --keylog: keys=found; no violation. #1 TLS 1.3 TLS_AES_128_GCM_SHA256, mutual TLS: outcome=established; client_certificate=sent (CN=hsdecode client); the server's certificate_request and the client's certificate, certificate_verify, finished decrypted; #2 TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, mutual TLS: outcome=established; client_certificate=sent; both finished decrypted and verified; #3 TLS 1.3 without a client certificate: outcome=alert; client_certificate=empty; alert fatal certificate_required from server, decrypted"
fi

# 57: TLS 1.3 mutual TLS with a GnuTLS server: no certificate, then one
# from a CA it does not trust, which gnutls-serv reports but accepts.
if selected 57-keylog-gnutls-mtls; then
	session_begin 57-keylog-gnutls-mtls "tcp port 44399"
	for cli in "" "--x509certfile untrusted.crt --x509keyfile untrusted.key"; do
		talk 44399 "gnutls-serv --port 44399 --http --x509certfile rsa.crt --x509keyfile rsa.key --x509cafile ca.crt --require-client-cert" \
			"SSLKEYLOGFILE=\$KEYS gnutls-cli --port 44399 --x509cafile ca.crt $cli localhost"
	done
	session_end 57-keylog-gnutls-mtls "2 connections, TLS 1.3 TLS_AES_256_GCM_SHA384, each with --keylog: keys=found; no violation; the client's compatibility change_cipher_spec comes before the server's encrypted flight. #1 no client certificate: outcome=alert; client_certificate=empty; alert fatal certificate_required from server, decrypted; #2 untrusted client certificate: outcome=established; client_certificate=sent (CN=hsdecode untrusted client): gnutls-serv logs the failed verification and goes on"
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
	printf 'with the NSS key log s_client wrote (NAME.keys), ports 44340-44399. 39-42 and\n'
	printf '48, 49 and 52 are interactive (s_server/s_client fed commands: KeyUpdate,\n'
	printf 'post-handshake auth, renegotiation); 43-46 hold two connections, the second\n'
	printf 'resuming the first'"'"'s session; 53-57 several conversations whose key log\n'
	printf 'gathers what every peer wrote (s_client -keylogfile, SSLKEYLOGFILE for GnuTLS\n'
	printf 'and curl, `tlspeer -keylog` for Go). `ca.crt` signs `rsa.crt`, `ec.crt`\n'
	printf '(ECDSA) and the client certificate `client.crt`; `untrusted.crt` is a client\n'
	printf 'certificate from `otherca.crt`. Without their key logs 32-42 report as 12 and\n'
	printf '31 do, 43-46 as 12 and 15, 47-52 as 01 (47 shows its NULL suite'"'"'s Finished\n'
	printf 'in clear); the last column is what tshark shows given the key log (#stream\n'
	printf "(server port) for several conversations).\n\n"
	printf '| file | made with | report | tshark with the key log |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s, %s, %s, %s.\n' "$(openssl version | cut -d' ' -f1-2)" "$(gnutls-cli --version | head -1)" \
		"$(curl --version | head -1 | cut -d' ' -f1-2)" "$(go version | cut -d' ' -f3)"
} >>"$M"
log "done"

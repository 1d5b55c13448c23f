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
# s_client on loopback, ports 44340-44346 and 44350-44353, throwaway keys in a temp dir.
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

CAP_PID= SRV_PID= FEED_PID=
ROWS=()
cleanup() {
	local p
	for p in $FEED_PID $SRV_PID $CAP_PID; do
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

# client.crt: a client certificate from the CA the servers trust.
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=hsdecode client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out client.crt 2>/dev/null

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

# talk NAME PORT EXPECT SERVER-STEPS CLIENT-STEPS SERVER-ARGS -- CLIENT-ARGS:
# as capture, with an interactive s_server (no -WWW, so it reads commands)
# and s_client, each fed its steps (feed); the server's stdin stays open
# until the client is done, since its end closes the connection.
talk() {
	local name=$1 port=$2 expect=$3 sfeed=$4 cfeed=$5 i seq
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
	timeout 30 openssl s_server -naccept 1 -accept 127.0.0.1:$port -tls1_3 -cert rsa.crt -key rsa.key "${srv[@]}" <srv.in >server.log 2>&1 &
	SRV_PID=$!
	(feed "${ssteps[@]}"; exec sleep 30) >srv.in &
	FEED_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	feed "${csteps[@]}" | timeout 20 openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 \
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
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | server: \`openssl s_server -naccept 1 -accept 127.0.0.1:$port -tls1_3 -cert rsa.crt -key rsa.key ${srv[*]}\` fed \`$sfeed\`; client: \`openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_3 -keylogfile $name.keys ${cli[*]}\` fed \`$cfeed\` (DELAY:LINE, scripts/make-keylog-testdata.sh feed) | $expect | $seq |")
}

capture 32-tls13-keylog-full 44340 "with --keylog: outcome=established; keys=found; decrypted: encrypted_extensions, certificate, certificate_verify, finished (server), finished (client)" --
capture 33-tls13-keylog-mtls-no-cert 44341 "with --keylog: outcome=alert; keys=found; client_certificate=empty (decrypted empty certificate); alert fatal certificate_required from server, decrypted" -Verify 1 -CAfile ca.crt --
capture 34-tls13-keylog-mtls-untrusted 44342 "with --keylog: outcome=alert; keys=found; client_certificate=sent (CN=hsdecode untrusted client, issued by otherca); alert fatal unknown_ca from server, decrypted" -Verify 1 -CAfile ca.crt -verify_return_error -- -cert untrusted.crt -key untrusted.key
capture 37-tls13-keylog-hrr 44344 "with --keylog: outcome=established; keys=found; a HelloRetryRequest (the server takes only P-256), so each Finished covers message_hash in place of the first ClientHello" -groups P-256 -- -groups X25519:P-256
V=-tls1_2 capture 38-tls12-keylog-full 44345 "with --keylog: outcome=established; keys=found (CLIENT_RANDOM); both finished decrypted and verified" --
capture 35-tls13-wrong-keylog 44343 "with --keylog: keys=wrong (the key log files this connection's client random with 32's secrets, so nothing decrypts); outcome=established by the keyless rule, the ladder as without keys" --

# Past the handshake (--follow): KeyUpdate and post-handshake client
# authentication, interactive on ports 44350-44353.
talk 39-tls13-keylog-keyupdate 44350 "with --keylog --follow: outcome=established; keys=found; alpn=h2 (from the decrypted encrypted_extensions); key_update from the client (update_not_requested, then update_requested, which the server answers with its own) and from the server (the same), each side's later data decrypted with its next application traffic secret; close_notify from both, decrypted" \
	"2.2:pong 0.3:k 0.3:after-k 0.3:K 0.3:after-K" "1:ping 0.3:k 0.3:after-k 0.3:K 0.3:after-K 1.6:late 1:Q" -alpn h2 -- -alpn h2,http/1.1
talk 40-tls13-keylog-pha 44351 "with --keylog --follow: outcome=established; keys=found; client_certificate=sent (CN=hsdecode client); after the handshake the server's certificate_request, the client's certificate, certificate_verify and finished (verified), decrypted; tshark with the key log decrypts nothing the client sends after its post-handshake finished (its data and close_notify show as Application Data), hsdecode does" \
	"1.5:c 1:pong" "1:ping 2.5:after-pha 1:Q" -CAfile ca.crt -- -enable_pha -cert client.crt -key client.key
talk 41-tls13-keylog-pha-empty 44352 "with --keylog --follow: outcome=established; keys=found; client_certificate=empty; after the handshake the server's certificate_request, the client's empty certificate and finished (verified), decrypted; the server takes it; tshark with the key log decrypts nothing the client sends after its post-handshake finished (its data and close_notify show as Application Data), hsdecode does" \
	"1.5:c 1:pong" "1:ping 2.5:after-pha 1:Q" -CAfile ca.crt -- -enable_pha
talk 42-tls13-keylog-pha-untrusted 44353 "with --keylog --follow: outcome=established (the handshake was); keys=found; client_certificate=sent (CN=hsdecode untrusted client); after the client's post-handshake certificate, certificate_verify and finished, alert fatal unknown_ca from server, decrypted" \
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
	printf 'with the NSS key log s_client wrote (NAME.keys), ports 44340-44346 and 44350-44353.\n'
	printf '`ca.crt` signs `rsa.crt` and `client.crt`; `untrusted.crt` is a client certificate\n'
	printf 'from `otherca.crt`.\n'
	printf 'Without their key logs they report as 12 and 31 do; the last column is\n'
	printf "what tshark shows given the key log.\n\n"
	printf '| file | made with | report | tshark with the key log |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s.\n' "$(openssl version | cut -d' ' -f1-2)"
} >>"$M"
log "done"

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
# s_client on loopback, ports 44340-44346 and 44370-44375, throwaway keys in a temp dir.
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
# version flag of both peers, -tls1_3 unless set. SIN and CIN, when set,
# are shell commands whose output is the server's and the client's
# standard input, typed commands with pauses between them (s_client's R
# renegotiates, s_server's r): the server then runs without -WWW, and the
# client without -ign_eof, which would turn its commands off.
capture() {
	local name=$1 port=$2 expect=$3 i seq v=${V:--tls1_3} www=-WWW ign=-ign_eof
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
	[[ -n ${SIN:-} ]] && www=
	[[ -n ${CIN:-} ]] && ign=
	timeout 30 openssl s_server -naccept 1 $www -accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key "${srv[@]}" >server.log 2>&1 < <(bash -c "${SIN:-true}") &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	bash -c "${CIN:-printf '$REQ'}" | timeout 15 openssl s_client -servername localhost $ign -connect 127.0.0.1:$port $v \
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
	local sin= cin=
	[[ -n ${SIN:-} ]] && sin="\`$SIN\` \\| "
	[[ -n ${CIN:-} ]] && cin="\`$CIN\` \\| "
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | server: $sin\`openssl s_server -naccept 1 ${www:+$www }-accept 127.0.0.1:$port $v -cert rsa.crt -key rsa.key ${srv[*]}\`; client: $cin\`openssl s_client -servername localhost ${ign:+$ign }-connect 127.0.0.1:$port $v -keylogfile $name.keys ${cli[*]}\` | $expect | $seq |")
}

capture 32-tls13-keylog-full 44340 "with --keylog: outcome=established; keys=found; decrypted: encrypted_extensions, certificate, certificate_verify, finished (server), finished (client)" --
capture 33-tls13-keylog-mtls-no-cert 44341 "with --keylog: outcome=alert; keys=found; client_certificate=empty (decrypted empty certificate); alert fatal certificate_required from server, decrypted" -Verify 1 -CAfile ca.crt --
capture 34-tls13-keylog-mtls-untrusted 44342 "with --keylog: outcome=alert; keys=found; client_certificate=sent (CN=hsdecode untrusted client, issued by otherca); alert fatal unknown_ca from server, decrypted" -Verify 1 -CAfile ca.crt -verify_return_error -- -cert untrusted.crt -key untrusted.key
capture 37-tls13-keylog-hrr 44344 "with --keylog: outcome=established; keys=found; a HelloRetryRequest (the server takes only P-256), so each Finished covers message_hash in place of the first ClientHello" -groups P-256 -- -groups X25519:P-256
V=-tls1_2 capture 38-tls12-keylog-full 44345 "with --keylog: outcome=established; keys=found (CLIENT_RANDOM); both finished decrypted and verified" --
# TLS 1.2 past the Finished (read with --follow), ports 44370-44379.
V=-tls1_2 capture 47-tls12-null-sha256 44370 "outcome=established; cipher_suite=TLS_RSA_WITH_NULL_SHA256; without keys each finished is read in clear (not verified); with --keylog both verified; with --follow the close_notify alerts by name" -cipher NULL-SHA256@SECLEVEL=0 -- -cipher NULL-SHA256@SECLEVEL=0
V=-tls1_2 SIN='sleep 8' CIN='sleep 1; echo hello; sleep 0.5; echo R; sleep 1; echo bye; sleep 1' \
	capture 48-tls12-renegotiation 44371 "with --keylog --follow: outcome=established; renegotiations=1; the client's second client_hello (renegotiation_info = its first verify_data) and the whole second, full handshake (the server resumes no session on renegotiation) decrypted, both its finished verified; application data counted; without keys and with --follow: renegotiations=1" -client_renegotiation -no_resumption_on_reneg --
V=-tls1_2 SIN='sleep 1.5; echo r; sleep 6' CIN='sleep 1; echo hello; sleep 2; echo bye; sleep 1' \
	capture 49-tls12-server-renegotiation 44372 "with --keylog --follow: outcome=established; renegotiations=1: the server's hello_request, then the client's client_hello and the second handshake decrypted, both its finished verified" --
V=-tls1_2 SIN='sleep 8' CIN='sleep 1; echo hello; sleep 0.5; echo R; sleep 1; echo bye; sleep 1' \
	capture 52-tls12-renegotiation-refused 44375 "with --keylog --follow: outcome=established (the handshake was); renegotiations=1: the client's second client_hello decrypted, the server's warning no_renegotiation and the client's fatal handshake_failure named, decrypted" --
V=-tls1_2 capture 50-tls12-cbc-etm 44373 "with --keylog: outcome=established; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256; encrypt_then_mac in both hellos (RFC 7366); both finished decrypted and verified" -cipher ECDHE-RSA-AES128-SHA256 -- -cipher ECDHE-RSA-AES128-SHA256
V=-tls1_2 capture 51-tls12-cbc-no-etm 44374 "with --keylog: outcome=established; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256; no encrypt_then_mac (the client sends -no_etm): MAC-then-encrypt; both finished decrypted and verified" -cipher ECDHE-RSA-AES128-SHA256 -- -cipher ECDHE-RSA-AES128-SHA256 -no_etm
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
	printf 'with the NSS key log s_client wrote (NAME.keys), ports 44340-44346 and 44370-44375. `ca.crt`\n'
	printf 'signs `rsa.crt`; `untrusted.crt` is a client certificate from `otherca.crt`.\n'
	printf 'Without their key logs the TLS 1.3 ones report as 12 and 31 do, the TLS\n'
	printf '1.2 ones as 01 does (47 shows its NULL suite'"'"'s Finished in clear); the\n'
	printf "last column is what tshark shows given the key log.\n\n"
	printf '| file | made with | report | tshark with the key log |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s.\n' "$(openssl version | cut -d' ' -f1-2)"
} >>"$M"
log "done"

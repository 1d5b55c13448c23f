#!/usr/bin/env bash
# make-testdata.sh: record the TLS handshake captures hsdecode is tested
# against into testdata/pcaps/, one conversation per capture, and write
# testdata/pcaps/MANIFEST.md saying how each was made and what hsdecode's
# report must say about it.
#
# Rerunnable on Debian as root (tcpdump needs it). It installs what it lacks
# with apt-get, makes throwaway keys in a temp dir, records on loopback only,
# and checks every capture with tshark against the message sequence it is
# meant to show: a capture that does not show it makes the script fail, so
# the manifest never describes a capture that is not on disk.
#
# Usage: scripts/make-testdata.sh [NUMBER...]   (no argument: all captures)
# The captures are reproducible in kind, not byte for byte: keys, randoms
# and timestamps change on every run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-testdata.XXXXXX)
REQ='GET /hello.txt HTTP/1.0\r\n\r\n' # printf format of the one request each client sends
FAILED=()

NAME=make-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"

# ---------------------------------------------------------------- tools
ensure_tools() {
	local missing=() cmd pkg
	# command:package pairs; tshark is here because every capture is
	# verified with it before the manifest names it.
	for cmd in tcpdump:tcpdump openssl:openssl gnutls-cli:gnutls-bin curl:curl \
		tshark:tshark ss:iproute2 timeout:coreutils; do
		command -v "${cmd%%:*}" >/dev/null 2>&1 || missing+=("${cmd#*:}")
	done
	if ((${#missing[@]})); then
		[[ $(id -u) == 0 ]] || die "missing ${missing[*]}; run as root to install them"
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update
		apt-get install -y --no-install-recommends "${missing[@]}"
	fi
	command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build scripts/tlspeer and scripts/badpeer"
	[[ $(id -u) == 0 ]] || die "tcpdump needs root"
}

# ----------------------------------------------------------------- keys
# Everything runs in $WORK so the manifest can show the peers' commands with
# the short file names below.
make_keys() {
	cd "$WORK"
	cat >server.ext <<-'EOF'
		basicConstraints = CA:FALSE
		keyUsage = critical, digitalSignature, keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
	EOF
	cat >client.ext <<-'EOF'
		basicConstraints = CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = clientAuth
	EOF
	local q=(-days 2 -nodes) ca
	for ca in ca otherca; do
		openssl req -x509 -newkey rsa:2048 "${q[@]}" -keyout $ca.key -out $ca.crt \
			-subj "/CN=hsdecode test $ca" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	done
	openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=localhost 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ecdsa.key -out ecdsa.csr -subj /CN=localhost 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=hsdecode-client 2>/dev/null
	openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out rsa.crt 2>/dev/null
	openssl x509 -req -in ecdsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out ecdsa.crt 2>/dev/null
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out client.crt 2>/dev/null
	printf 'hello\n' >hello.txt # the file s_server -WWW serves: a 6-byte response body
	log "built throwaway CA, RSA, ECDSA and client certificates in $WORK"
}

build_go_peers() {
	mkdir -p "$WORK/bin"
	(cd "$ROOT" && go build -o "$WORK/bin/tlspeer" ./scripts/tlspeer && go build -o "$WORK/bin/badpeer" ./scripts/badpeer)
	cp "$WORK/bin/tlspeer" "$WORK/bin/badpeer" "$WORK/"
}

# -------------------------------------------------------- capture steps
# cap_start NAME PORT [IFACE]: start tcpdump and wait until it is listening,
# so the SYN of the first connection is never missed. --immediate-mode: with
# TPACKET_V3 libpcap otherwise hands packets over in blocks, and a SIGINT
# before a block is full loses the whole conversation ("0 packets captured").
cap_start() {
	CAP_NAME=$1 CAP_PORT=$2
	local iface=${3:-lo} i
	CAP_FILE=$OUT/$CAP_NAME.pcap
	rm -f "$CAP_FILE"
	tcpdump -i "$iface" -n --immediate-mode -U -w "$CAP_FILE" "tcp port $CAP_PORT" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do
		grep -q 'listening on' "$WORK/tcpdump.log" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/tcpdump.log" >&2
	die "tcpdump did not start for $CAP_NAME"
}

# cap_stop: let the last FIN/RST reach the ring buffer, then stop tcpdump with
# SIGINT so it flushes and closes the file properly.
cap_stop() {
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	# tcpdump drops to its own user after opening the file: give the file to
	# whoever owns the output folder, so a later non-tcpdump step can replace it.
	chown --reference="$OUT" "$CAP_FILE"
}

# wait_listen PORT: poll until something listens on PORT (s_server prints
# nothing reliable to wait on before it accepts).
wait_listen() {
	local i
	for i in $(seq 100); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/server.log" >&2
	die "server on port $1 did not start"
}

# srv_start PORT CMD...: run a server under timeout in the background.
srv_start() {
	local port=$1
	shift
	SRV_CMD="$*"
	timeout 30 "$@" >"$WORK/server.log" 2>&1 </dev/null &
	SRV_PID=$!
	wait_listen "$port"
}

# srv_stop: give the server a moment to finish on its own (-naccept), then end it.
srv_stop() {
	local i
	for i in $(seq 20); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

# client CMD...: send the request on the client's stdin and wait for the
# server to close. Clients that make their own request (curl, tlspeer,
# badpeer) get no stdin: set CLI_STDIN=none. Failures are expected for the
# alert captures; the tshark check says what happened.
client() {
	if [[ ${CLI_STDIN:-} == none ]]; then
		CLI_CMD="$*"
		timeout 10 "$@" </dev/null >>"$WORK/client.log" 2>&1 || true
	else
		CLI_CMD="printf '$REQ' | $*"
		printf "$REQ" | timeout 10 "$@" >>"$WORK/client.log" 2>&1 || true
	fi
}

# ---------------------------------------------------------- verification
# tls_sequence FILE PORT: one line per TLS-bearing packet as tshark sees it,
# "C:" from the client, "S:" from the server (the side on PORT), with a
# "#n" marker when a new TCP connection starts.
tls_sequence() {
	tshark -r "$1" -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
		-d "tcp.port==$2,tls" -Y tls -T fields -E separator=/t \
		-e tcp.stream -e tcp.srcport -e _ws.col.Info 2>/dev/null |
		awk -F'\t' -v port="$2" '
			BEGIN { last = -1 }
			{ side = ($2 == port) ? "S" : "C"
			  if ($1 != last) { printf "%s#%d ", (NR > 1 ? "\n" : ""), $1 + 1; last = $1 }
			  printf "%s: %s; ", side, $3 }
			END { print "" }' | sed 's/; $//'
}

# negotiated FILE PORT: "version<TAB>suite" of each ServerHello (HelloRetryRequest
# included) as tshark names them, one per line; the version is the
# supported_versions one when present (TLS 1.3), else the legacy field.
negotiated() {
	tshark -r "$1" -d "tcp.port==$2,tls" -Y 'tls.handshake.type==2' \
		-o 'gui.column.format:"Suite","%Cus:tls.handshake.ciphersuite","SV","%Cus:tls.handshake.extensions.supported_version","V","%Cus:tls.handshake.version"' \
		-T fields -E separator=/t -e _ws.col.Suite -e _ws.col.SV -e _ws.col.V 2>/dev/null |
		awk -F'\t' '{ split($1, s, ","); split($3, v, ","); print ($2 != "" ? $2 : v[1]) "\t" s[1] }'
}

# tshark_fields FILTER FIELD...: the FIELDs of the packets matching FILTER,
# one packet a line, for the checks that the Info column cannot express.
tshark_fields() {
	local filter=$1 f args=()
	shift
	for f; do args+=(-e "$f"); done
	tshark -r "$CAP_FILE" -d "tcp.port==$CAP_PORT,tls" -Y "$filter" -T fields -E "separator=;" "${args[@]}" \
		>"$WORK/tshark.out" 2>"$WORK/tshark.err" || { cat "$WORK/tshark.err" >&2; die "tshark failed on $CAP_NAME"; }
	tr '\n' ' ' <"$WORK/tshark.out" | sed 's/ $//'
}

# ext_len FILTER EXT: the length of extension number EXT in the one
# handshake message FILTER selects (tshark lists types and lengths apart).
ext_len() {
	tshark_fields "$1" tls.handshake.extension.type tls.handshake.extension.len |
		awk -F";" -v ext="$2" '{ n = split($1, t, ","); split($2, l, ","); for (i = 1; i <= n; i++) if (t[i] == ext) print l[i] }'
}

# expect_fields FILTER WANT FIELD...: fail the capture unless tshark_fields
# gives exactly WANT.
expect_fields() {
	local filter=$1 want=$2 got
	shift 2
	got=$(tshark_fields "$filter" "$@")
	if [[ $got != "$want" ]]; then
		log "FAILED $CAP_NAME: [$filter] ${*}: want '$want', got '$got'"
		FAILED+=("$CAP_NAME")
	fi
}

# check EXPECT_REGEX [FORBID_REGEX]: the capture's tshark sequence must match
# the first and must not match the second; then add the manifest row.
check() {
	local want=$1 forbid=${2:-} seq
	seq=$(tls_sequence "$CAP_FILE" "$CAP_PORT" | tr '\n' ' ' | sed 's/ *$//')
	# The expected report must name what the ServerHello(s) really chose.
	local ver suite ok=1
	while IFS=$'\t' read -r ver suite; do
		if [[ $EXPECT != *"$ver"* || $EXPECT != *"$suite"* ]]; then
			log "FAILED $CAP_NAME: ServerHello says $ver $suite, the expected report does not"
			ok=
		fi
	done < <(negotiated "$CAP_FILE" "$CAP_PORT")
	local hellos
	hellos=$(negotiated "$CAP_FILE" "$CAP_PORT" | tr '\t' ' ' | paste -sd, - | sed 's/,/, /g')
	CAP_SEQ="${hellos:+[ServerHello: $hellos] }$seq"
	local size
	size=$(stat -c %s "$CAP_FILE")
	if [[ -z $ok ]] || ! grep -Eq -- "$want" <<<"$seq" || { [[ -n $forbid ]] && grep -Eq -- "$forbid" <<<"$seq"; }; then
		log "FAILED $CAP_NAME: sequence does not match /$want/${forbid:+ (forbidden /$forbid/)}"
		log "  got: $seq"
		FAILED+=("$CAP_NAME")
		CAP_SEQ="UNVERIFIED: $CAP_SEQ"
	else
		log "ok $CAP_NAME ($size bytes): $CAP_SEQ"
	fi
	row "$CAP_NAME.pcap" "$HOW" "$EXPECT" "$CAP_SEQ"
}

MANIFEST_ROWS=()
md() { sed -e 's/|/\\|/g' <<<"$1"; } # escape pipes inside a table cell
row() {
	MANIFEST_ROWS+=("| \`$1\` | $(md "$2") | $(md "$3") | $(md "$4") |")
}

# one NAME PORT EXPECT-REGEX FORBID-REGEX: the common shape, one server and
# one client (arrays SRV and CLI) recorded on lo.
one() {
	local name=$1 port=$2
	: >"$WORK/client.log"
	cap_start "$name" "$port" "${IFACE:-lo}"
	srv_start "$port" "${SRV[@]}"
	client "${CLI[@]}"
	srv_stop
	cap_stop
	HOW="${HOW_PREFIX:-}server: \`$SRV_CMD\`; client: \`$CLI_CMD\`"
	check "$3" "${4:-}"
}

# Common peer options. Servers take one connection (-naccept) and serve
# hello.txt (-WWW) so the application data is one short request/response;
# clients keep reading after stdin ends (-ign_eof) until the server closes.
S="openssl s_server -naccept 1 -WWW"
C="openssl s_client -servername localhost -ign_eof"
RSA="-cert rsa.crt -key rsa.key"
ECDSA="-cert ecdsa.crt -key ecdsa.key"

# Patterns of tshark's Info column used by the checks.
CH='C: Client Hello'
FULL12='S: Server Hello, Certificate, Server Key Exchange, Server Hello Done'
FIN12='C: Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message.*S: (New Session Ticket, )?Change Cipher Spec, Encrypted Handshake Message'
APP='Application Data'

# ------------------------------------------------------------- captures
cap_01() {
	SRV=($S -accept 127.0.0.1:44301 -tls1_2 $RSA -cipher ECDHE-RSA-AES128-GCM-SHA256)
	CLI=($C -connect 127.0.0.1:44301 -tls1_2)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; resumed=false; client_certificate=none"
	one 01-tls12-ecdhe-rsa 44301 "$CH; $FULL12; $FIN12.*$APP"
}

cap_02() {
	SRV=($S -accept 127.0.0.1:44302 -tls1_2 $ECDSA -cipher ECDHE-ECDSA-AES128-GCM-SHA256)
	CLI=($C -connect 127.0.0.1:44302 -tls1_2)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; client_certificate=none"
	one 02-tls12-ecdhe-ecdsa 44302 "$CH; $FULL12; $FIN12.*$APP"
}

cap_03() {
	# No -dhparam: OpenSSL 3 picks an ffdhe group itself (DH auto).
	SRV=($S -accept 127.0.0.1:44303 -tls1_2 $RSA -cipher DHE-RSA-AES128-GCM-SHA256)
	CLI=($C -connect 127.0.0.1:44303 -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256; ServerKeyExchange present (DH params)"
	one 03-tls12-dhe-rsa 44303 "$CH; $FULL12; $FIN12.*$APP"
}

cap_04() {
	SRV=($S -accept 127.0.0.1:44304 -tls1_2 $RSA -cipher AES128-GCM-SHA256)
	CLI=($C -connect 127.0.0.1:44304 -tls1_2 -cipher AES128-GCM-SHA256)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_RSA_WITH_AES_128_GCM_SHA256; no server_key_exchange (forbidden for RSA key exchange)"
	one 04-tls12-rsa-kx 44304 "$CH; S: Server Hello, Certificate, Server Hello Done; $FIN12.*$APP" "Server Key Exchange"
}

cap_05() {
	SRV=($S -accept 127.0.0.1:44305 -tls1_2 $RSA -Verify 1 -CAfile ca.crt)
	CLI=($C -connect 127.0.0.1:44305 -tls1_2 -cert client.crt -key client.key)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client_certificate=sent (one certificate); messages include certificate_request (server), certificate + certificate_verify (client)"
	one 05-tls12-mtls 44305 "$CH; S: Server Hello, Certificate, Server Key Exchange, Certificate Request, Server Hello Done; C: Certificate, Client Key Exchange, Certificate Verify, Change Cipher Spec, Encrypted Handshake Message.*$APP"
	[[ $(tshark_fields "tls.handshake.type==11 && tcp.dstport==44305" tls.handshake.certificates_length) -gt 0 ]] || { log "FAILED $CAP_NAME: client Certificate is empty"; FAILED+=("$CAP_NAME"); }
}

cap_06() {
	SRV=($S -accept 127.0.0.1:44306 -tls1_2 $RSA -Verify 1 -CAfile ca.crt)
	CLI=($C -connect 127.0.0.1:44306 -tls1_2)
	EXPECT="outcome=alert; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; client_certificate=empty (client Certificate with a 0-length list, then ClientKeyExchange, CCS, Finished; no CertificateVerify); alert fatal handshake_failure from server, plaintext"
	one 06-tls12-mtls-no-client-cert 44306 "Certificate Request, Server Hello Done; C: Certificate, Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message; S: Alert \(Level: Fatal, Description: Handshake Failure\)" "$APP"
	# the client's Certificate message carries an empty list
	expect_fields "tls.handshake.type==11 && tcp.dstport==44306" 0 tls.handshake.certificates_length
}

cap_07() {
	SRV=($S -accept 127.0.0.1:44307 -tls1_2 $RSA -cipher ECDHE-RSA-AES128-GCM-SHA256)
	CLI=($C -connect 127.0.0.1:44307 -tls1_2 -cipher AES256-SHA)
	EXPECT="outcome=alert; no version/cipher_suite (no ServerHello); alert fatal handshake_failure from server, plaintext"
	one 07-tls12-no-shared-cipher 44307 "^#1 $CH; S: Alert \(Level: Fatal, Description: Handshake Failure\)$"
}

cap_08() {
	SRV=($S -accept 127.0.0.1:44308 -tls1_2 $RSA)
	CLI=($C -connect 127.0.0.1:44308 -tls1_3)
	EXPECT="outcome=alert; no version/cipher_suite (no ServerHello); alert fatal protocol_version from server, plaintext"
	one 08-version-mismatch 44308 "^#1 $CH; S: Alert \(Level: Fatal, Description: Protocol Version\)$"
}

cap_09() {
	SRV=($S -accept 127.0.0.1:44309 -tls1_2 $RSA)
	CLI=($C -connect 127.0.0.1:44309 -tls1_2 -CAfile otherca.crt -verify_return_error)
	EXPECT="outcome=alert; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; alert fatal unknown_ca from client, plaintext (the client never sent ChangeCipherSpec)"
	one 09-tls12-client-rejects-cert 44309 "$CH; $FULL12; C: Alert \(Level: Fatal, Description: Unknown CA\)$"
}

cap_09b() {
	SRV=($S -accept 127.0.0.1:44339 -tls1_3 $RSA)
	CLI=($C -connect 127.0.0.1:44339 -tls1_3 -CAfile otherca.crt -verify_return_error)
	EXPECT="outcome=alert; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; alert fatal unknown_ca from client, PLAINTEXT: OpenSSL's client has not switched its write side to handshake keys yet (it does so after the server's Finished), so its alert is a plain content-type-21 record and it sends no ChangeCipherSpec"
	one 09b-tls13-client-rejects-cert 44339 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP(, $APP)*; C: Alert \\(Level: Fatal, Description: Unknown CA\\)\$"
}

cap_10() {
	local name=10-tls12-resume-session-id port=44310
	: >"$WORK/client.log"
	cap_start $name $port
	SRV=($S -accept 127.0.0.1:$port -tls1_2 $RSA -no_ticket)
	SRV[3]=2 # -naccept 2: both connections
	srv_start $port "${SRV[@]}"
	client $C -connect 127.0.0.1:$port -tls1_2 -no_ticket -sess_out sess10.pem
	local c1=$CLI_CMD
	client $C -connect 127.0.0.1:$port -tls1_2 -no_ticket -sess_in sess10.pem
	srv_stop
	cap_stop
	HOW="server: \`$SRV_CMD\`; client 1: \`$c1\`; client 2: \`$CLI_CMD\`"
	EXPECT="2 connections. #1: outcome=established, TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, resumed=false. #2: outcome=established, resumed=true (ClientHello carries #1's session_id, ServerHello echoes it, then server CCS+Finished), no certificate"
	check "^#1 $CH; $FULL12; C: Client Key Exchange.*#2 $CH; S: Server Hello, Change Cipher Spec, Encrypted Handshake Message; C: Change Cipher Spec, Encrypted Handshake Message" "New Session Ticket"
	# #2's ClientHello offers #1's session id and the ServerHello echoes it.
	local sid
	sid=$(tshark_fields "tcp.stream==0 && tls.handshake.type==2" tls.handshake.session_id)
	[[ -n $sid ]] || { log "FAILED $name: no session id in #1"; FAILED+=("$name"); }
	expect_fields "tcp.stream==1 && (tls.handshake.type==1 || tls.handshake.type==2)" "$sid $sid" tls.handshake.session_id
}

cap_11() {
	local name=11-tls12-resume-ticket port=44311
	: >"$WORK/client.log"
	cap_start $name $port
	SRV=($S -accept 127.0.0.1:$port -tls1_2 $RSA)
	SRV[3]=2
	srv_start $port "${SRV[@]}"
	client $C -connect 127.0.0.1:$port -tls1_2 -sess_out sess11.pem
	local c1=$CLI_CMD
	client $C -connect 127.0.0.1:$port -tls1_2 -sess_in sess11.pem
	srv_stop
	cap_stop
	HOW="server: \`$SRV_CMD\`; client 1: \`$c1\`; client 2: \`$CLI_CMD\`"
	EXPECT="2 connections, both TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384. #1: outcome=established, resumed=false; ClientHello has an empty SessionTicket extension, ServerHello an empty session_id and the SessionTicket extension; server sends new_session_ticket before its CCS. #2: outcome=established, resumed=true by ticket: ClientHello carries the ticket (SessionTicket extension, 176 bytes) and a fresh 32-byte session_id, ServerHello echoes that session_id and goes straight to CCS, Finished. OpenSSL 3.0 does not renew a still-valid ticket, so there is NO new_session_ticket in #2"
	check "^#1 $CH; $FULL12; C: Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message; S: New Session Ticket, Change Cipher Spec.*#2 $CH; S: Server Hello, Change Cipher Spec, Encrypted Handshake Message; C: Change Cipher Spec, Encrypted Handshake Message"
	# ticket in #2's ClientHello (extension 35 with data), session_id echoed
	expect_fields 'tcp.stream==1 && tls.handshake.type==1' 32 tls.handshake.session_id_length
	expect_fields 'tcp.stream==1 && tls.handshake.type==2' 32 tls.handshake.session_id_length
	local t1 t2
	t1=$(ext_len 'tcp.stream==0 && tls.handshake.type==1' 35)
	t2=$(ext_len 'tcp.stream==1 && tls.handshake.type==1' 35)
	if [[ $t1 != 0 || ! $t2 -gt 0 ]]; then
		log "FAILED $name: SessionTicket extension lengths in the ClientHellos: '$t1' '$t2'"
		FAILED+=("$name")
	fi
}

cap_12() {
	SRV=($S -accept 127.0.0.1:44312 -tls1_3 $RSA)
	CLI=($C -connect 127.0.0.1:44312 -tls1_3)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; resumed=false; after server_hello only change_cipher_spec (compat) and encrypted records"
	one 12-tls13-full 44312 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP"
}

cap_13() {
	SRV=($S -accept 127.0.0.1:44313 -tls1_3 $RSA -Verify 1 -CAfile ca.crt)
	CLI=($C -connect 127.0.0.1:44313 -tls1_3 -cert client.crt -key client.key)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; CertificateRequest, the client's Certificate and CertificateVerify are all encrypted, so client_certificate is only known with keys (without keys: the client's first encrypted flight is 3 records, Certificate, CertificateVerify, Finished, against 1 in 12-tls13-full)"
	one 13-tls13-mtls 44313 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP"
}

cap_14() {
	SRV=($S -accept 127.0.0.1:44314 -tls1_3 $RSA -groups P-256)
	CLI=($C -connect 127.0.0.1:44314 -tls1_3 -groups X25519:P-256)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; messages: client_hello, hello_retry_request, change_cipher_spec (server), change_cipher_spec (client), client_hello (second), server_hello, encrypted..."
	one 14-tls13-hrr 44314 "^#1 $CH; S: Hello Retry Request, Change Cipher Spec; C: Change Cipher Spec, Client Hello; S: Server Hello, $APP"
}

cap_15() {
	local name=15-tls13-psk-resume port=44315
	: >"$WORK/client.log"
	cap_start $name $port
	SRV=($S -accept 127.0.0.1:$port -tls1_3 $RSA)
	SRV[3]=2
	srv_start $port "${SRV[@]}"
	client $C -connect 127.0.0.1:$port -tls1_3 -sess_out sess15.pem
	local c1=$CLI_CMD
	client $C -connect 127.0.0.1:$port -tls1_3 -sess_in sess15.pem
	srv_stop
	cap_stop
	HOW="server: \`$SRV_CMD\`; client 1: \`$c1\`; client 2: \`$CLI_CMD\`"
	EXPECT="2 connections, both outcome=established, TLS 1.3, TLS_AES_256_GCM_SHA384. #1 resumed=false. #2 resumed=true: ClientHello carries pre_shared_key (and psk_key_exchange_modes), ServerHello carries pre_shared_key"
	check "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*#2 $CH; S: Server Hello, Change Cipher Spec, $APP"
	# tshark's Info column does not show extensions: pre_shared_key (41)
	# must be in #2's ClientHello and ServerHello and not in #1's.
	expect_fields 'tls.handshake.extension.type==41' "1;1 1;2" tcp.stream tls.handshake.type
}

cap_16() {
	# OpenSSL 3 refuses TLS 1.0 at the default security level (SHA-1
	# signatures): both sides need @SECLEVEL=0.
	SRV=($S -accept 127.0.0.1:44316 -tls1 $RSA -cipher DEFAULT@SECLEVEL=0)
	CLI=($C -connect 127.0.0.1:44316 -tls1 -cipher DEFAULT@SECLEVEL=0)
	EXPECT="outcome=established; version=TLS 1.0; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
	one 16-tls10 44316 "$CH; $FULL12; $FIN12.*$APP"
}

cap_17() {
	SRV=($S -accept 127.0.0.1:44317 -tls1_1 $RSA -cipher DEFAULT@SECLEVEL=0)
	CLI=($C -connect 127.0.0.1:44317 -tls1_1 -cipher DEFAULT@SECLEVEL=0)
	EXPECT="outcome=established; version=TLS 1.1; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"
	one 17-tls11 44317 "$CH; $FULL12; $FIN12.*$APP"
}

cap_18() {
	SRV=($S -accept [::1]:44318 -6 -tls1_3 $RSA)
	CLI=($C -connect [::1]:44318 -tls1_3)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; client/server ip ::1"
	one 18-ipv6-tls13 44318 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP"
	expect_fields "tls.handshake.type==1" "::1;::1" ipv6.src ipv6.dst
}

cap_19() {
	SRV=($S -accept 127.0.0.1:44319 -tls1_2 $RSA)
	CLI=($C -connect 127.0.0.1:44319 -tls1_2)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; link type LINUX_SLL2 (tcpdump -i any)"
	IFACE=any HOW_PREFIX='capture: `tcpdump -i any -U -w F tcp port 44319`; ' \
		one 19-tls12-any-sll2 44319 "$CH; $FULL12; $FIN12.*$APP"
	if ! capinfos -E "$CAP_FILE" 2>/dev/null | grep -q 'Linux cooked-mode capture v2'; then
		log "FAILED $CAP_NAME: not an SLL2 capture: $(capinfos -E "$CAP_FILE" 2>&1 | tail -1)"
		FAILED+=("$CAP_NAME")
	fi
}

cap_20() {
	SRV=($S -accept 127.0.0.1:44320 $RSA)
	CLI=(gnutls-cli --port 44320 --x509cafile ca.crt localhost)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; server_name=localhost; GnuTLS ClientHello"
	one 20-gnutls-cli 44320 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: (Change Cipher Spec, )?$APP"
	expect_fields "tls.handshake.type==1" "localhost" tls.handshake.extensions_server_name
}

cap_21() {
	# TLS 1.2 on purpose: in TLS 1.3 the server's ALPN choice is inside the
	# encrypted EncryptedExtensions, and this capture is about ALPN. curl
	# offers h2 and http/1.1; the server only speaks http/1.1.
	SRV=($S -accept 127.0.0.1:44321 $RSA -alpn http/1.1)
	CLI=(curl -sS --max-time 8 --cacert ca.crt --tlsv1.2 --tls-max 1.2 https://localhost:44321/hello.txt)
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; server_name=localhost; alpn=http/1.1 (ClientHello offers h2,http/1.1; ServerHello selects http/1.1)"
	CLI_STDIN=none one 21-curl-alpn 44321 "$CH; $FULL12; $FIN12.*$APP"
	expect_fields "tls.handshake.type==1" "localhost;h2,http/1.1" tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
	expect_fields "tls.handshake.type==2" "http/1.1" tls.handshake.extensions_alpn_str
}

cap_22() {
	SRV=(./tlspeer -mode server -addr 127.0.0.1:44322 -cert rsa.crt -key rsa.key -alpn h2,http/1.1)
	CLI=(./tlspeer -mode client -addr 127.0.0.1:44322 -ca ca.crt -alpn h2)
	EXPECT="outcome=established; version=TLS 1.3; cipher_suite=TLS_AES_128_GCM_SHA256; server_name=localhost; Go crypto/tls on both sides; ClientHello offers ALPN h2, the server's choice (h2) is in the encrypted EncryptedExtensions so alpn is absent without keys"
	CLI_STDIN=none one 22-go-crypto-tls 44322 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP"
	expect_fields "tls.handshake.type==1" "localhost;h2" tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
}

bad_server() { # NAME PORT SCENARIO EXPECT-REGEX
	SRV=(./badpeer -mode server -scenario "$3" -addr "127.0.0.1:$2" -cert rsa.crt)
	CLI=($C -connect "127.0.0.1:$2" -tls1_2)
	one "$1" "$2" "$4"
}

cap_23() {
	EXPECT="outcome=violation; code=unexpected_message; from=server; got=server_hello_done; expected certificate; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (badpeer's first choice among the suites s_client offered); client then sends alert unexpected_message (violation wins)"
	bad_server 23-violation-shd-before-cert 44323 shd-before-cert \
		"^#1 $CH; S: Server Hello, Server Hello Done; C: Alert \(Level: Fatal, Description: Unexpected Message\)"
}

cap_24() {
	EXPECT="outcome=violation; code=missing_message; from=server; got=server_hello_done; expected server_key_exchange (ECDHE suite); version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; client then sends alert unexpected_message"
	bad_server 24-violation-missing-ske 44324 missing-ske \
		"^#1 $CH; S: Server Hello, Certificate, Server Hello Done; C: Alert \(Level: Fatal, Description: Unexpected Message\)"
}

cap_25() {
	EXPECT="outcome=violation; code=duplicate_message; from=server; got=server_hello (second); version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; client then sends alert unexpected_message"
	bad_server 25-violation-dup-server-hello 44325 dup-server-hello \
		"^#1 $CH; S: Server Hello, Server Hello; C: Alert \(Level: Fatal, Description: Unexpected Message\)"
}

bad_client() { # NAME PORT SCENARIO EXPECT-REGEX
	SRV=($S -accept "127.0.0.1:$2" -tls1_2 $RSA)
	CLI=(./badpeer -mode client -scenario "$3" -addr "127.0.0.1:$2")
	CLI_STDIN=none one "$1" "$2" "$4"
}

cap_26() {
	EXPECT="outcome=violation; code=unexpected_message; from=client; got=certificate_verify; (no certificate was sent or requested); version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; server then sends alert unexpected_message"
	bad_client 26-violation-cv-without-cert 44326 cv-without-cert \
		"^#1 $CH; $FULL12; C: Client Key Exchange, Certificate Verify, Change Cipher Spec, Encrypted Handshake Message; S: Alert \(Level: Fatal, Description: Unexpected Message\)"
}

cap_27() {
	EXPECT="outcome=violation; code=application_data_before_finished; from=client; got=application_data after client_key_exchange; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; server then sends alert unexpected_message"
	bad_client 27-violation-appdata-before-finished 44327 appdata-before-finished \
		"^#1 $CH; $FULL12; C: Client Key Exchange, $APP; S: Alert \(Level: Fatal, Description: Unexpected Message\)"
}

cap_28() {
	# 4433 (OpenSSL's default s_server port) is one of the ports hsdecode
	# expects TLS on, so a connection without TLS there is reported not_tls;
	# off such ports it would be left out of the report.
	local name=28-plaintext-to-tls-port port=4433
	cap_start $name $port
	SRV=($S -accept 127.0.0.1:$port $RSA)
	srv_start $port "${SRV[@]}"
	# bash's /dev/tcp: no netcat needed. Read the answer until the server closes.
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf '$REQ' >&3; cat <&3 >/dev/null" || true
	srv_stop
	cap_stop
	HOW="server: \`$SRV_CMD\`; client: \`bash -c \"exec 3<>/dev/tcp/127.0.0.1/$port; printf '$REQ' >&3; cat <&3\"\`"
	EXPECT="outcome=not_tls (the client's first bytes are 'GET /hello.txt HTTP/1.0', not a TLS record). On the wire the OpenSSL server answers nothing: it closes the connection without an alert"
	# Not TLS, so list the raw segments instead of tls_sequence.
	CAP_SEQ=$(tshark -r "$CAP_FILE" -Y 'tcp.len>0 || tcp.flags.fin==1 || tcp.flags.reset==1' -T fields -E separator=/t \
		-e tcp.srcport -e tcp.len -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
		awk -F'\t' -v port=$port '{ what = ($2 > 0 ? $2 " bytes" : "") ($3 == 1 ? " FIN" : "") ($4 == 1 ? " RST" : "")
			sub(/^ /, "", what); printf "%s: %s; ", ($1 == port ? "S" : "C"), what }' | sed 's/; $//')
	if tshark -r "$CAP_FILE" -d "tcp.port==$port,tls" -Y tls.record 2>/dev/null | grep -q .; then
		log "FAILED $name: a TLS record on the wire"
		FAILED+=("$name")
	fi
	if ! grep -q '^S: FIN$' <<<"$(tr ';' '\n' <<<"$CAP_SEQ" | sed 's/^ //')"; then
		log "FAILED $name: server did not just close: $CAP_SEQ"
		FAILED+=("$name")
	fi
	CAP_SEQ="$CAP_SEQ (the client's 27 bytes are the HTTP request; the server sends no byte, only FIN)"
	log "ok $name: $CAP_SEQ"
	row "$name.pcap" "$HOW" "$EXPECT" "$CAP_SEQ"
}

cap_29() {
	local name=29-tls12-close-notify port=44329
	: >"$WORK/client.log"
	cap_start $name $port
	SRV=($S -accept 127.0.0.1:$port -tls1_2 $RSA)
	srv_start $port "${SRV[@]}"
	# No -ign_eof and a stdin that ends a second after the handshake: on
	# EOF s_client shuts the connection down itself, sending close_notify
	# (encrypted) with no application data. (A stdin that is already at EOF
	# makes it give up right after ClientHello, before the handshake ends.)
	CLI=(openssl s_client -servername localhost -connect 127.0.0.1:$port -tls1_2)
	sleep 1 | timeout 10 "${CLI[@]}" >>"$WORK/client.log" 2>&1 || true
	srv_stop
	cap_stop
	HOW="server: \`$SRV_CMD\`; client: \`sleep 1 | ${CLI[*]}\`"
	EXPECT="outcome=established; version=TLS 1.2; cipher_suite=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; no application data; the client's close_notify is an encrypted alert after the handshake, a normal end, not a failure; the server answers with its own encrypted close_notify. hsdecode stops reading a connection once its verdict is final, so these alerts are listed only with --follow (alerts: from client, encrypted; from server, encrypted)"
	check "^#1 $CH; $FULL12; $FIN12; C: Encrypted Alert" "$APP"
}

cap_30() {
	SRV=(./tlspeer -mode server -addr 127.0.0.1:44330 -cert rsa.crt -key rsa.key)
	CLI=(./tlspeer -mode client -addr 127.0.0.1:44330 -ca otherca.crt)
	EXPECT="outcome=alert; version=TLS 1.3; cipher_suite=TLS_AES_128_GCM_SHA256; Go's crypto/tls client does not trust the server's CA: after the server's flight it sends its compatibility CCS and a single 19-byte protected record (its bad_certificate alert, encrypted) and closes; alerts: from client, encrypted"
	CLI_STDIN=none one 30-tls13-go-client-rejects-cert 44330 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP"
}

cap_31() {
	SRV=($S -accept 127.0.0.1:44331 -tls1_3 $RSA -Verify 1 -CAfile ca.crt)
	CLI=($C -connect 127.0.0.1:44331 -tls1_3)
	EXPECT="outcome=alert; version=TLS 1.3; cipher_suite=TLS_AES_256_GCM_SHA384; the server requires a client certificate, the client sends an empty one inside its protected flight, and the server answers with a single 19-byte protected record (its certificate_required alert) and closes; alerts: from server, encrypted"
	one 31-tls13-mtls-no-client-cert 44331 "^#1 $CH; S: Server Hello, Change Cipher Spec, $APP.*C: Change Cipher Spec, $APP.*S: $APP"
}

ALL=(01 02 03 04 05 06 07 08 09 09b 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)

write_manifest() {
	{
		cat <<-'EOF'
			# Test captures

			Written by `scripts/make-testdata.sh` (rerun it to regenerate; captures are
			reproducible in kind, not byte for byte). One TCP conversation per capture
			(two for the resumption captures), recorded with `tcpdump -i lo -U -w` and a
			port filter on loopback; ports are 44300+N (44339 for 09b, and 4433 for
			28: a port hsdecode expects TLS on). Keys and
			certificates are throwaway ones made in a temp dir: `ca.crt` signs
			`rsa.crt` (RSA 2048), `ecdsa.crt` (P-256) and `client.crt`; `otherca.crt`
			signs nothing, so a client trusting only it rejects the server. Every server
			serves `hello.txt` ("hello\n") and every client sends one
			`GET /hello.txt HTTP/1.0` request.

			"Expected report" is what `hsdecode --format json` must say (field names of
			docs/report.md). "tshark sequence" is what tshark 4.0
			(`-o tls.desegment_ssl_records:TRUE -d tcp.port==PORT,tls -Y tls`, Info
			column) shows, per packet, C = client, S = server, `#n` = n-th TCP
			connection; the script checks each capture against the pattern it is made
			for and fails if it does not match. "Encrypted Handshake Message" is the
			encrypted Finished; in TLS 1.3 everything after ServerHello except the
			compatibility Change Cipher Spec shows as "Application Data".

			| file | how it was made | expected report | tshark sequence |
			| --- | --- | --- | --- |
		EOF
		printf '%s\n' "${MANIFEST_ROWS[@]}"
		if ((${#FAILED[@]})); then
			printf '\n**NOT AS PLANNED in this run (see the script log): %s**\n' "${FAILED[*]}"
		fi
		cat <<-EOF

			Recorded with $(openssl version | cut -d' ' -f1-2), $(gnutls-cli --version | head -1), $(curl --version | head -1 | cut -d' ' -f1-2), $(go version | cut -d' ' -f3), $(tcpdump --version | head -1).
		EOF
	} >"$OUT/MANIFEST.md"
}

main() {
	ensure_tools
	mkdir -p "$OUT"
	make_keys
	build_go_peers
	local n list=("$@")
	((${#list[@]})) || list=("${ALL[@]}")
	for n in "${list[@]}"; do
		log "capture $n"
		"cap_$n"
	done
	if ((${#list[@]} == ${#ALL[@]})); then
		write_manifest
	else
		printf '%s\n' "${MANIFEST_ROWS[@]}" >"$WORK/rows.md"
		cat "$WORK/rows.md"
		log "partial run: MANIFEST.md left as it is"
	fi
	if ((${#FAILED[@]})); then
		die "captures not as planned: ${FAILED[*]}"
	fi
}

main "$@"

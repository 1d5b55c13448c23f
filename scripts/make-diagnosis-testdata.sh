#!/usr/bin/env bash
# make-diagnosis-testdata.sh: record the captures of issue 14's diagnoses
# (docs/diagnosis.md) into testdata/pcaps/, 60-70, each several
# conversations of real stacks (OpenSSL, GnuTLS, curl, Go's crypto/tls via
# scripts/tlspeer; Python sockets for a plain HTTP server, a reset and a
# silent server; scripts/badpeer for a HelloRetryRequest), and rewrites
# their section of MANIFEST.md ("## Captures for the diagnoses", kept
# before the key logs' section, which scripts/make-keylog-testdata.sh
# rewrites from its heading to the end).
#
# Rerunnable on Debian as root (tcpdump needs it): loopback, ports
# 44400-44449; throwaway keys in a temp dir, and certificates out of their
# dates made with `openssl ca -startdate/-enddate`. The captures are
# reproducible in kind, not byte for byte.
#
# Usage: scripts/make-diagnosis-testdata.sh [NUMBER...]
# With numbers (e.g. 60 64), only the captures whose names begin with them
# are recorded again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-diagnosis.XXXXXX)
REQ='GET /hello.txt HTTP/1.0\r\n\r\n'
V12=(-tls1_2)

NAME=make-diagnosis-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "tcpdump needs root"
need_commands tcpdump openssl tshark ss timeout gnutls-cli gnutls-serv curl go python3

cd "$WORK"
printf 'hello\n' >hello.txt
q=(-days 2 -nodes)
for ca in ca otherca; do
	openssl req -x509 -newkey rsa:2048 "${q[@]}" -keyout $ca.key -out $ca.crt -subj "/CN=hsdecode test $ca" 2>/dev/null
done
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >server.ext
printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n' >client.ext
# A minimal CA for `openssl ca`, whose -startdate and -enddate make the
# certificates out of their dates (OpenSSL 3.0's x509 has no -not_before).
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n' >ca.cnf
touch index.txt
echo 01 >serial
# cert NAME CN CA EXT [START END]: NAME.key and NAME.crt, issued by CA.
cert() {
	openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2" 2>/dev/null
	if (($# > 4)); then
		openssl ca -batch -config ca.cnf -cert $3.crt -keyfile $3.key -in $1.csr -out $1.crt -startdate $5 -enddate $6 -extfile $4 -notext 2>/dev/null
	else
		openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key -CAcreateserial -days 2 -extfile $4 -out $1.crt 2>/dev/null
	fi
}
cert rsa localhost ca server.ext
cert expired localhost ca server.ext 20240101000000Z 20240201000000Z
cert notyet localhost ca server.ext 20990101000000Z 20990201000000Z
cert untrusted "hsdecode untrusted client" otherca client.ext
cert clientexpired "hsdecode expired client" ca client.ext 20240101000000Z 20240201000000Z
(cd "$ROOT" && go build -o "$WORK/tlspeer" ./scripts/tlspeer && go build -o "$WORK/badpeer" ./scripts/badpeer)

# A plain HTTP server, a server that resets the connection once it has
# read the ClientHello, and one that reads it and never answers.
cat >peers.py <<-'X'
	import http.server, socket, struct, sys, time
	mode, port = sys.argv[1], int(sys.argv[2])
	if mode == "http":
	    http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", port))
	s.listen()
	c, _ = s.accept()
	c.recv(65536)
	if mode == "reset":
	    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	    c.close()
	else:
	    time.sleep(8)
X

# A capture of several conversations: session_begin NAME FILTER starts
# recording; serve PORT SERVER starts a server (a shell command run in the
# work directory) that may take several clients, client CLIENT runs one
# (the request on its standard input), unserve stops the server; talk
# PORT SERVER CLIENT is one conversation. session_end NAME EXPECT stops
# the recording and writes the capture's row.
SESSION_MADE= SESSION_PORTS=()
session_begin() {
	local i
	SESSION_MADE= SESSION_PORTS=()
	rm -f "$OUT/$1.pcap"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$1.pcap" "$2" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
}

serve() {
	local port=$1 i
	timeout 60 bash -c "exec $2" >>server.log 2>&1 </dev/null &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	SESSION_PORTS+=("$port")
	SESSION_MADE+="${SESSION_MADE:+; }$port: server \`$2\`"
}

client() {
	printf "$REQ" | timeout 10 bash -c "$1" >>client.log 2>&1 || true
	SESSION_MADE+=", client \`$1\`"
	sleep 0.2
}

unserve() {
	local i
	for i in $(seq 20); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

talk() {
	serve "$1" "$2"
	client "$3"
	unserve
}

session_end() {
	local name=$1 expect=$2 d port seq
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	d=()
	for port in "${SESSION_PORTS[@]}"; do d+=(-d "tcp.port==$port,tls"); done
	# One "#stream" per conversation, each record as side:info.
	seq=$(tshark -r "$OUT/$name.pcap" "${d[@]}" -Y tls -T fields -e tcp.stream -e tcp.srcport -e tcp.dstport -e _ws.col.Info 2>/dev/null |
		awk -F'\t' -v ports="${SESSION_PORTS[*]}" 'BEGIN { split(ports, p, " "); for (i in p) srv[p[i]] = 1; last = -1 }
			{ side = ($2 in srv) ? "S" : "C"
			  if ($1 != last) { printf "%s#%d (%s) ", (last >= 0 ? " " : ""), $1, (side == "S" ? $2 : $3); last = $1 } else printf ";"
			  printf "%s:%s", side, $4 }')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` | $SESSION_MADE | $expect | $seq |")
}

ossl() { echo "openssl s_server -WWW -accept 127.0.0.1:$1 $2"; }
scli() { echo "openssl s_client -servername localhost -ign_eof -connect 127.0.0.1:$1 $2"; }

# 60: clients that do not trust the server's CA (TLS 1.2, so that the
# certificate is in clear): OpenSSL, Go, curl, GnuTLS.
if selected 60-diag-server-untrusted; then
	session_begin 60-diag-server-untrusted "tcp portrange 44400-44403"
	talk 44400 "$(ossl 44400 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "$(scli 44400 "-tls1_2 -CAfile otherca.crt -verify_return_error")"
	talk 44401 "./tlspeer -mode server -addr 127.0.0.1:44401 -cert rsa.crt -key rsa.key" "./tlspeer -mode client -addr 127.0.0.1:44401 -ca otherca.crt -max 1.2"
	talk 44402 "$(ossl 44402 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "curl -sS --max-time 8 --cacert otherca.crt --tlsv1.2 --tls-max 1.2 https://localhost:44402/hello.txt"
	talk 44403 "$(ossl 44403 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "gnutls-cli --port 44403 --x509cafile otherca.crt --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 localhost"
	session_end 60-diag-server-untrusted "4 connections, TLS 1.2, the client refuses the server's certificate (from ca.crt; it trusts otherca.crt): #1 OpenSSL, #3 curl: alert fatal unknown_ca from client, diagnosis server_cert_untrusted; #2 Go: alert fatal bad_certificate from client, diagnosis server_cert_rejected; #4 GnuTLS: see TestDiagnosisCaptures"
fi

# 61: certificates out of their dates, and a client that does not check.
if selected 61-diag-cert-dates; then
	session_begin 61-diag-cert-dates "tcp portrange 44404-44407"
	talk 44404 "$(ossl 44404 "-naccept 1 -tls1_2 -cert expired.crt -key expired.key")" "$(scli 44404 "-tls1_2 -CAfile ca.crt -verify_return_error")"
	talk 44405 "$(ossl 44405 "-naccept 1 -tls1_2 -cert notyet.crt -key notyet.key")" "$(scli 44405 "-tls1_2 -CAfile ca.crt -verify_return_error")"
	talk 44406 "./tlspeer -mode server -addr 127.0.0.1:44406 -cert expired.crt -key expired.key" "./tlspeer -mode client -addr 127.0.0.1:44406 -ca ca.crt -max 1.2"
	talk 44407 "$(ossl 44407 "-naccept 1 -tls1_2 -cert expired.crt -key expired.key")" "$(scli 44407 "-tls1_2")"
	session_end 61-diag-cert-dates "4 connections, TLS 1.2: #1 OpenSSL and an expired certificate (2024-01-01 to 2024-02-01): alert fatal certificate_expired from client, diagnosis server_cert_expired; #2 not yet valid (2099): diagnosis server_cert_not_yet_valid; #3 Go and the expired certificate: diagnosis server_cert_expired; #4 s_client without -verify_return_error goes on: established, with --fail-on expired-cert diagnosis expired_certificate"
fi

# 62: a server name the certificate does not cover.
if selected 62-diag-sni-mismatch; then
	session_begin 62-diag-sni-mismatch "tcp portrange 44408-44411"
	talk 44408 "$(ossl 44408 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "openssl s_client -servername www.example.org -verify_hostname www.example.org -ign_eof -connect 127.0.0.1:44408 -tls1_2 -CAfile ca.crt -verify_return_error"
	talk 44409 "./tlspeer -mode server -addr 127.0.0.1:44409 -cert rsa.crt -key rsa.key" "./tlspeer -mode client -addr 127.0.0.1:44409 -ca ca.crt -servername www.example.org -max 1.2"
	talk 44410 "$(ossl 44410 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "curl -sS --max-time 8 --cacert ca.crt --tlsv1.2 --tls-max 1.2 --resolve www.example.org:44410:127.0.0.1 https://www.example.org:44410/hello.txt"
	talk 44411 "$(ossl 44411 "-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key")" "gnutls-cli --port 44411 --x509cafile ca.crt --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 --sni-hostname www.example.org --verify-hostname www.example.org 127.0.0.1"
	session_end 62-diag-sni-mismatch "4 connections, TLS 1.2, the client asks for www.example.org and the certificate covers localhost and 127.0.0.1: OpenSSL, Go, curl, GnuTLS; diagnosis server_cert_name_mismatch where the client sends an alert that says so (see TestDiagnosisCaptures)"
fi

# 63: mutual TLS refused (TLS 1.2, so the certificates are in clear).
if selected 63-diag-mtls; then
	session_begin 63-diag-mtls "tcp portrange 44412-44416"
	s="-naccept 1 -tls1_2 -cert rsa.crt -key rsa.key -Verify 1 -CAfile ca.crt -verify_return_error"
	talk 44412 "$(ossl 44412 "$s")" "$(scli 44412 "-tls1_2")"
	talk 44413 "$(ossl 44413 "$s")" "$(scli 44413 "-tls1_2 -cert untrusted.crt -key untrusted.key")"
	talk 44414 "$(ossl 44414 "$s")" "$(scli 44414 "-tls1_2 -cert clientexpired.crt -key clientexpired.key")"
	talk 44415 "./tlspeer -mode server -addr 127.0.0.1:44415 -cert rsa.crt -key rsa.key -ca ca.crt" "./tlspeer -mode client -addr 127.0.0.1:44415 -ca ca.crt -max 1.2"
	talk 44416 "gnutls-serv --port 44416 --http --x509certfile rsa.crt --x509keyfile rsa.key --x509cafile ca.crt --require-client-cert --priority NORMAL:-VERS-ALL:+VERS-TLS1.2" "gnutls-cli --port 44416 --x509cafile ca.crt localhost"
	session_end 63-diag-mtls "5 connections, TLS 1.2, the server requires a client certificate from ca.crt: #1 s_client sends an empty one: alert fatal handshake_failure from server, diagnosis client_cert_missing naming CN=hsdecode test ca; #2 one from otherca.crt: diagnosis client_cert_issuer_not_accepted; #3 an expired one: diagnosis client_cert_expired; #4 Go server, Go client without one: diagnosis client_cert_missing; #5 GnuTLS server and client without one: diagnosis client_cert_missing"
fi

# 64: nothing in common, in captures where the same server completed
# handshakes with other clients first.
if selected 64-diag-nothing-in-common; then
	session_begin 64-diag-nothing-in-common "tcp port 44417 or tcp port 44418"
	serve 44417 "$(ossl 44417 "-naccept 6 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -cert rsa.crt -key rsa.key")"
	client "$(scli 44417 "-tls1_2")"
	client "curl -sS --max-time 8 --cacert ca.crt https://localhost:44417/hello.txt"
	client "./tlspeer -mode client -addr 127.0.0.1:44417 -ca ca.crt"
	client "$(scli 44417 "-tls1_2 -cipher AES256-SHA")"
	client "$(scli 44417 "-tls1_1 -cipher DEFAULT@SECLEVEL=0")"
	client "gnutls-cli --port 44417 --x509cafile ca.crt --priority NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305 localhost"
	unserve
	serve 44418 "$(ossl 44418 "-naccept 3 -tls1_3 -groups X25519 -cert rsa.crt -key rsa.key")"
	client "$(scli 44418 "-tls1_3")"
	client "./tlspeer -mode client -addr 127.0.0.1:44418 -ca ca.crt"
	client "$(scli 44418 "-tls1_3 -groups P-384")"
	unserve
	session_end 64-diag-nothing-in-common "9 connections. 44417 (TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256 only): #1-#3 OpenSSL, curl, Go established with TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; #4 s_client -cipher AES256-SHA: alert fatal handshake_failure from server, diagnosis no_common_cipher, evidence 'the server chose TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 for 3 other connections before it'; #5 s_client -tls1_1: protocol_version, diagnosis no_common_version; #6 GnuTLS offering only ChaCha20 suites: no_common_cipher. 44418 (TLS 1.3, X25519 only): #7-#8 established with x25519; #9 s_client -groups P-384: diagnosis no_common_cipher, the client offered none of the groups the server chose"
fi

# 65: no application protocol in common (Go's server refuses it; OpenSSL's
# goes on without ALPN).
if selected 65-diag-alpn; then
	session_begin 65-diag-alpn "tcp port 44419"
	serve 44419 "./tlspeer -mode server -addr 127.0.0.1:44419 -cert rsa.crt -key rsa.key -alpn h2,http/1.1 -n 3"
	client "./tlspeer -mode client -addr 127.0.0.1:44419 -ca ca.crt -alpn h2"
	client "curl -sS --max-time 8 --cacert ca.crt --http1.1 https://localhost:44419/hello.txt"
	client "$(scli 44419 "-alpn imap,smtp")"
	unserve
	session_end 65-diag-alpn "3 connections to a Go server taking h2 and http/1.1: #1 Go client (h2), #2 curl (http/1.1) established; #3 s_client -alpn imap,smtp: alert fatal no_application_protocol from server, diagnosis no_application_protocol, evidence the ALPN the server selected for the 2 connections before it"
fi

# 66: a server name the server does not know (s_server -servername_fatal).
if selected 66-diag-unrecognized-name; then
	session_begin 66-diag-unrecognized-name "tcp port 44420"
	serve 44420 "$(ossl 44420 "-naccept 2 -cert rsa.crt -key rsa.key -servername localhost -cert2 rsa.crt -key2 rsa.key -servername_fatal")"
	client "$(scli 44420 "")"
	client "openssl s_client -servername www.example.org -ign_eof -connect 127.0.0.1:44420"
	unserve
	session_end 66-diag-unrecognized-name "2 connections: #1 localhost established; #2 www.example.org: alert fatal unrecognized_name from server, diagnosis unrecognized_name"
fi

# 67: a fallback with TLS_FALLBACK_SCSV to a server that has a higher
# version.
if selected 67-diag-fallback; then
	session_begin 67-diag-fallback "tcp port 44421"
	serve 44421 "$(ossl 44421 "-naccept 2 -cert rsa.crt -key rsa.key")"
	client "$(scli 44421 "")"
	client "$(scli 44421 "-tls1_2 -fallback_scsv")"
	unserve
	session_end 67-diag-fallback "2 connections: #1 TLS 1.3 established; #2 s_client -tls1_2 -fallback_scsv: alert fatal inappropriate_fallback from server, diagnosis inappropriate_fallback"
fi

# 68: no TLS answer: a plain HTTP server on the port, a server that resets
# after the ClientHello, one that never answers.
if selected 68-diag-no-tls-answer; then
	session_begin 68-diag-no-tls-answer "tcp portrange 44422-44424"
	serve 44422 "python3 peers.py http 44422"
	client "$(scli 44422 "")"
	client "curl -sS --max-time 8 --cacert ca.crt https://localhost:44422/hello.txt"
	unserve
	talk 44423 "python3 peers.py reset 44423" "$(scli 44423 "")"
	talk 44424 "python3 peers.py silent 44424" "timeout 2 $(scli 44424 "")"
	session_end 68-diag-no-tls-answer "4 connections: #1 s_client, #2 curl to Python's http.server: it answers HTTP/1.0 400: diagnosis server_not_tls with its first bytes; #3 a server that resets after the ClientHello: diagnosis server_reset; #4 a server that never answers, the client gives up after 2 s: diagnosis server_silent"
fi

# 69: an established connection without SNI.
if selected 69-diag-no-sni; then
	session_begin 69-diag-no-sni "tcp port 44425"
	talk 44425 "$(ossl 44425 "-naccept 1 -cert rsa.crt -key rsa.key")" "openssl s_client -noservername -ign_eof -connect 127.0.0.1:44425"
	session_end 69-diag-no-sni "1 connection, TLS 1.3 established without server_name: with --fail-on no-sni, diagnosis no_sni"
fi

# 70: a HelloRetryRequest that cannot converge: scripts/badpeer asks for
# secp521r1, which the client did not offer.
if selected 70-diag-hrr; then
	session_begin 70-diag-hrr "tcp port 44426"
	talk 44426 "./badpeer -mode server -scenario hrr-unoffered-group -addr 127.0.0.1:44426 -cert rsa.crt" "$(scli 44426 "-tls1_3 -groups X25519:P-256")"
	session_end 70-diag-hrr "1 connection: a HelloRetryRequest for secp521r1 to a client that offered x25519 and secp256r1: alert fatal illegal_parameter from client, diagnosis hello_retry_failed"
fi

M=$OUT/MANIFEST.md
HEAD='## Captures for the diagnoses'
NEXT='## Captures with key logs'
keep_rows '^| `[67][0-9]-'
{
	printf '%s\n\n' "$HEAD"
	printf 'Written by `scripts/make-diagnosis-testdata.sh`: the failures docs/diagnosis.md\n'
	printf 'explains, from OpenSSL, GnuTLS, curl, Go (`tlspeer`), Python sockets and\n'
	printf '`badpeer` on loopback, ports 44400-44426. `ca.crt` signs `rsa.crt` (localhost, 127.0.0.1),\n'
	printf '`expired.crt` (2024-01-01 to 2024-02-01), `notyet.crt` (from 2099) and the client\n'
	printf 'certificate `clientexpired.crt` (2024); `untrusted.crt` is a client certificate\n'
	printf 'from `otherca.crt`. The last column is what tshark shows (#stream (server port)).\n\n'
	printf '| file | made with | report | tshark |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s, %s, %s, %s, %s.\n\n' "$(openssl version | cut -d' ' -f1-2)" "$(gnutls-cli --version | head -1)" \
		"$(curl --version | head -1 | cut -d' ' -f1-2)" "$(go version | cut -d' ' -f3)" "$(python3 --version)"
} >"$WORK/section"
# The section goes before the key logs' one (or at the end), in place of
# its last version.
put_section "$HEAD" "$NEXT" "$WORK/section"
log "done"

#!/usr/bin/env bash
# make-tunnel-testdata.sh: record the captures of TLS in tunnels (issue 16)
# into testdata/pcaps/ (numbers 100-119) and rewrite their section of
# MANIFEST.md ("## Tunnel captures", before the key logs' one).
#
# 100 and 101 are real: Linux VXLAN (over IPv4, over IPv6) between two
# network namespaces (hsd-k-*, removed on exit) joined by a veth pair,
# OpenSSL's s_server and s_client talking across the tunnel on ports
# 44500-44501, tcpdump on the underlay veth; the same conversation is
# recorded at once on the VXLAN device, its plain original
# (NAME-overlay.pcap). The kernel here has no other tunnel module (GRE,
# Geneve, ERSPAN, IPIP, SIT, GTP, MPLS and PPPoE devices are unknown to
# it), so 102-116 are bundled captures wrapped by scripts/tunnel-wrap,
# headers laid out as their RFCs say. Every one must report as its
# original, plus the tunnel (cmd/hsdecode TestTunnelCaptures), and as
# tshark sees it (TestTsharkTunnels).
#
# Rerunnable on Debian as root. Usage: scripts/make-tunnel-testdata.sh [NUMBER...]
# With numbers (e.g. 100 105), only the captures whose names begin with
# them are made again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-tunnel.XXXXXX)
REQ='GET /hello.txt HTTP/1.0\r\n\r\n'
NSA=hsd-k-client NSB=hsd-k-server

NAME=make-tunnel-testdata
extra_cleanup() {
	ip netns del $NSA 2>/dev/null || true
	ip netns del $NSB 2>/dev/null || true
}
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "network namespaces and tcpdump need root"
need_commands ip tcpdump openssl tshark ss timeout go

cd "$WORK"
printf 'hello\n' >hello.txt
openssl req -x509 -newkey rsa:2048 -days 2 -nodes -keyout ca.key -out ca.crt -subj "/CN=hsdecode test ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName = DNS:localhost\n' >server.ext
openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out rsa.crt 2>/dev/null
(cd "$ROOT" && go build -o "$WORK/tunnel-wrap" ./scripts/tunnel-wrap && go build -o "$WORK/hsdecode" ./cmd/hsdecode)

# tshark_seq FILE PORT [DECODE-AS...]: what tshark shows of the TLS in FILE,
# C and S the sides.
tshark_seq() {
	local f=$1 port=$2
	shift 2
	tshark -r "$f" "$@" -d "tcp.port==$port,tls" -Y tls -T fields -e tcp.srcport -e _ws.col.Info 2>/dev/null |
		awk -v port=$port '{n = split($1, p, ","); side = (p[n] == port) ? "S" : "C"; $1 = ""; printf "%s:%s;", side, $0}' | sed 's/;$//'
}

# vxlan NAME PORT V UNDERLAY: one s_server/s_client conversation (version
# flag V) on PORT across Linux VXLAN (VNI 100, UDP 4789) over an IPv4 or
# IPv6 underlay, recorded on the underlay veth as NAME.pcap and on the VXLAN
# device as NAME-overlay.pcap.
vxlan() {
	local name=$1 port=$2 v=$3 under=$4 i seq la lb
	selected "$name" || return 0
	if [[ $under == 6 ]]; then la=fd00:4b::1 lb=fd00:4b::2; else la=10.250.0.1 lb=10.250.0.2; fi
	ip netns del $NSA 2>/dev/null || true
	ip netns del $NSB 2>/dev/null || true
	ip netns add $NSA
	ip netns add $NSB
	ip link add hsdk-a type veth peer name hsdk-b
	ip link set hsdk-a netns $NSA
	ip link set hsdk-b netns $NSB
	local ns end addr peer
	for end in a b; do
		if [[ $end == a ]]; then ns=$NSA addr=$la peer=$lb; else ns=$NSB addr=$lb peer=$la; fi
		ip -n $ns link set lo up
		ip -n $ns addr add $addr/$([[ $under == 6 ]] && echo 64 || echo 24) dev hsdk-$end nodad
		ip -n $ns link set hsdk-$end up
		ip -n $ns link add vx0 type vxlan id 100 local $addr remote $peer dstport 4789 dev hsdk-$end
		ip -n $ns addr add 10.251.0.$([[ $end == a ]] && echo 1 || echo 2)/24 dev vx0
		ip -n $ns link set vx0 up
	done
	rm -f "$OUT/$name.pcap" "$OUT/$name-overlay.pcap"
	ip netns exec $NSA tcpdump -i hsdk-a -n --immediate-mode -U -w "$OUT/$name.pcap" "udp port 4789" 2>"$WORK/tcpdump1.log" &
	PIDS+=($!)
	ip netns exec $NSA tcpdump -i vx0 -n --immediate-mode -U -w "$OUT/$name-overlay.pcap" "tcp port $port" 2>"$WORK/tcpdump2.log" &
	PIDS+=($!)
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump1.log" && grep -q 'listening on' "$WORK/tcpdump2.log" && break; sleep 0.1; done
	ip netns exec $NSB timeout 30 openssl s_server -naccept 1 -WWW -accept 10.251.0.2:$port $v -cert rsa.crt -key rsa.key >server.log 2>&1 </dev/null &
	local srv=$!
	for i in $(seq 100); do ip netns exec $NSB ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	printf "$REQ" | ip netns exec $NSA timeout 10 openssl s_client -servername localhost -ign_eof -connect 10.251.0.2:$port $v >>client.log 2>&1 || true
	for i in $(seq 20); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
	kill $srv 2>/dev/null || true
	wait $srv 2>/dev/null || true
	sleep 0.5
	for i in "${PIDS[@]}"; do kill -INT "$i" 2>/dev/null || true; wait "$i" || true; done
	PIDS=()
	ip netns del $NSA
	ip netns del $NSB
	chown --reference="$OUT" "$OUT/$name.pcap" "$OUT/$name-overlay.pcap"
	seq=$(tshark_seq "$OUT/$name.pcap" $port)
	[[ $seq == *"Server Hello"* ]] || die "$name: tshark sees no ServerHello: $seq"
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\`, \`$name-overlay.pcap\` | Linux VXLAN, VNI 100, UDP 4789, over IPv$under ($la and $lb on a veth pair between two network namespaces), overlay 10.251.0.1 and .2; server: \`openssl s_server -naccept 1 -WWW -accept 10.251.0.2:$port $v -cert rsa.crt -key rsa.key\`; client: \`openssl s_client -servername localhost -ign_eof -connect 10.251.0.2:$port $v\`; tcpdump on the veth (\`udp port 4789\`) and, for the overlay capture, on the VXLAN device | as \`$name-overlay.pcap\`, plus tunnels=[vxlan $la -> $lb vni=100] | $seq |")
}

# wrap NAME KINDS ORIGINAL PORT [DECODE-AS...]: ORIGINAL (a bundled capture)
# wrapped in KINDS by tunnel-wrap, as NAME.pcap.
wrap() {
	local name=$1 kinds=$2 orig=$3 port=$4 seq tun
	shift 4
	selected "$name" || return 0
	"$WORK/tunnel-wrap" -kind "$kinds" -id 100 -o "$OUT/$name.pcap" "$OUT/$orig"
	chown --reference="$OUT" "$OUT/$name.pcap"
	seq=$(tshark_seq "$OUT/$name.pcap" $port "$@")
	[[ $seq == *"Hello"* ]] || die "$name: tshark sees no TLS: $seq"
	# hsdecode exits 1 on an alert, which 116 holds.
	tun=$({ "$WORK/hsdecode" "$OUT/$name.pcap" || true; } | sed -n 's/^  tunnel: //p' | head -1)
	log "$name: $tun: $seq"
	ROWS+=("| \`$name.pcap\` | \`go run ./scripts/tunnel-wrap -kind $kinds -id 100 -o $name.pcap $orig\`${*:+ (tshark: \`$*\`)} | as \`$orig\`, plus tunnels=[$tun] | $seq |")
}

vxlan 100-vxlan-tls13 44500 -tls1_3 4
vxlan 101-vxlan6-tls12 44501 -tls1_2 6
wrap 102-geneve-tls12 geneve 01-tls12-ecdhe-rsa.pcap 44301
wrap 103-gre-tls12 gre 01-tls12-ecdhe-rsa.pcap 44301
wrap 104-gretap-tls13 gretap 12-tls13-full.pcap 44312
wrap 105-erspan1-tls12 erspan1 01-tls12-ecdhe-rsa.pcap 44301
wrap 106-erspan2-tls13 erspan2 12-tls13-full.pcap 44312
wrap 107-erspan3-tls12-mtls erspan3 05-tls12-mtls.pcap 44305
wrap 108-gtpu-tls13 gtpu 12-tls13-full.pcap 44312
wrap 109-pppoe-tls12 pppoe 01-tls12-ecdhe-rsa.pcap 44301
wrap 110-mpls-tls13-hrr mpls 14-tls13-hrr.pcap 44314
wrap 111-mpls-pw-tls12 mpls-pw 01-tls12-ecdhe-rsa.pcap 44301 -d mpls.label==100,pwethcw -d mpls.label==356,pwethcw
wrap 112-ipip-tls12 ipip 01-tls12-ecdhe-rsa.pcap 44301
wrap 113-6in4-tls13 6in4 18-ipv6-tls13.pcap 44318
wrap 114-4in6-tls12 4in6 01-tls12-ecdhe-rsa.pcap 44301
wrap 115-teredo-tls13 teredo 18-ipv6-tls13.pcap 44318
wrap 116-nested-alert vxlan,gre,mpls-pw 07-tls12-no-shared-cipher.pcap 44307 -d mpls.label==100,pwethcw -d mpls.label==356,pwethcw

M=$OUT/MANIFEST.md
HEAD='## Tunnel captures'
NEXT='## Captures with key logs'
keep_rows '^| `1[01][0-9]-'
{
	printf '%s\n\n' "$HEAD"
	printf 'Written by `scripts/make-tunnel-testdata.sh`: TLS in tunnels (issue 16). 100 and\n'
	printf '101 are Linux VXLAN between two network namespaces, recorded on the underlay\n'
	printf 'and, as their plain original, on the VXLAN device (ports 44500-44501); the\n'
	printf 'kernel here has no other tunnel module, so 102-116 wrap bundled captures with\n'
	printf '`scripts/tunnel-wrap` (outer endpoints 192.0.2.1 and .2, 2001:db8::1 and ::2;\n'
	printf 'GTP-U TEIDs and MPLS labels differ by direction, as real peers choose them).\n'
	printf 'Each reports as its original, plus its tunnels (the text'"'"'s tunnel: line). The\n'
	printf 'last column is what tshark shows (decode-as for the MPLS pseudowires).\n\n'
	printf '| file | made with | report | tshark |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s, %s, Linux %s.\n\n' "$(openssl version | cut -d' ' -f1-2)" "$(tcpdump --version | head -1)" "$(uname -r)"
} >"$WORK/section"
# The section goes before the key logs' one (or at the end), in place of
# its last version.
put_section "$HEAD" "$NEXT" "$WORK/section"
log "done"

#!/usr/bin/env bash
# make-ipv6-fragment-testdata.sh: record testdata/pcaps/120-ipv6-mtu1280.pcap,
# a TLS 1.3 handshake with a large certificate chain between two network
# namespaces joined by a veth pair of MTU 1280 (IPv6's minimum), and UDP
# datagrams larger than the MTU on the same link, which the sending kernel
# cuts into IPv6 fragments (RFC 8200, 4.5). Linux's TCP never fragments over
# IPv6 (it sizes its segments to the path MTU and sends none larger), so
# the fragments of real TCP segments are made by the test that reads this
# capture (cmd/hsdecode TestIPv6KernelFragments); the kernel's UDP fragments
# are the real stack's, for hsdecode to put back together and count.
#
# Rerunnable on Debian as root (namespaces and tcpdump need it): OpenSSL's
# s_server and s_client, python3 for the UDP datagrams; namespaces
# hsd-l-srv and hsd-l-cli, removed on exit; TCP port 44550, UDP port 44551;
# throwaway keys in a temp dir. Reproducible in kind, not byte for byte.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps/120-ipv6-mtu1280.pcap
WORK=$(mktemp -d /tmp/hsdecode-ipv6frag.XXXXXX)
SRV=hsd-l-srv CLI=hsd-l-cli
SRV_IP=fd00:4c::1 CLI_IP=fd00:4c::2
PORT=44550 UDP_PORT=44551

NAME=make-ipv6-fragment-testdata
extra_cleanup() {
	ip netns del $SRV 2>/dev/null || true
	ip netns del $CLI 2>/dev/null || true
}
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
need_root "namespaces and tcpdump need root"
need_commands ip ethtool tcpdump openssl python3 tshark

cd "$WORK"
printf 'hello\n' >hello.txt
# A chain of three RSA 4096 certificates: a Certificate message of some
# 5 kB, in segments of the 1220-byte MSS the MTU leaves.
q=(-days 2 -nodes)
openssl req -x509 -newkey rsa:4096 "${q[@]}" -keyout ca.key -out ca.crt -subj "/CN=hsdecode test root" 2>/dev/null
printf 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\n' >ca.ext
openssl req -newkey rsa:4096 -nodes -keyout int.key -out int.csr -subj "/CN=hsdecode test intermediate" 2>/dev/null
openssl x509 -req -in int.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile ca.ext -out int.crt 2>/dev/null
openssl req -newkey rsa:4096 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName = DNS:localhost, IP:%s\n' $SRV_IP >srv.ext
openssl x509 -req -in srv.csr -CA int.crt -CAkey int.key -CAcreateserial -days 2 -extfile srv.ext -out srv.crt 2>/dev/null
cat int.crt ca.crt >chain.pem

ip netns add $SRV
ip netns add $CLI
ip link add hsd-l-s netns $SRV type veth peer name hsd-l-c netns $CLI
for ns in $SRV $CLI; do
	ip -n $ns link set lo up
done
ip -n $SRV link set hsd-l-s mtu 1280 up
ip -n $CLI link set hsd-l-c mtu 1280 up
ip -n $SRV addr add $SRV_IP/64 dev hsd-l-s nodad
ip -n $CLI addr add $CLI_IP/64 dev hsd-l-c nodad
# Packets as they are on the wire: no segmentation offload on the sender,
# no receive offload merging segments before tcpdump sees them.
ip netns exec $SRV ethtool -K hsd-l-s tso off gso off gro off >/dev/null 2>&1
ip netns exec $CLI ethtool -K hsd-l-c tso off gso off gro off >/dev/null 2>&1

# Between the two addresses, but ICMPv6 (neighbour discovery, the port
# unreachable the UDP datagrams get): a filter on ports would keep only
# first fragments.
ip netns exec $CLI tcpdump -i hsd-l-c -U -s 0 -w "$WORK/cap.pcap" \
	"ip6 host $SRV_IP and ip6 host $CLI_IP and not icmp6" 2>/dev/null &
CAP_PID=$!
sleep 1

ip netns exec $SRV openssl s_server -naccept 1 -WWW -6 -accept "[$SRV_IP]:$PORT" -tls1_3 \
	-cert srv.crt -key srv.key -cert_chain chain.pem >/dev/null 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do
	ip netns exec $SRV ss -ltn | grep -q ":$PORT " && break
	sleep 0.1
done

# Three UDP datagrams of 3000, 1500 and 1300 bytes: three, two and two
# fragments (1232 bytes of fragmentable part at most).
ip netns exec $CLI python3 - "$SRV_IP" $UDP_PORT <<-'X'
	import socket, sys
	s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
	for n in (3000, 1500, 1300):
	    s.sendto(bytes(i % 251 for i in range(n - 8)), (sys.argv[1], int(sys.argv[2])))
X
printf 'GET /hello.txt HTTP/1.0\r\n\r\n' | ip netns exec $CLI timeout 10 \
	openssl s_client -servername localhost -ign_eof -connect "[$SRV_IP]:$PORT" -tls1_3 >/dev/null 2>&1 || true
wait $SRV_PID 2>/dev/null || true
SRV_PID=
sleep 1
kill $CAP_PID
wait $CAP_PID 2>/dev/null || true
CAP_PID=

frags=$(tshark -r cap.pcap -Y ipv6.fraghdr 2>/dev/null | wc -l)
whole=$(tshark -r cap.pcap -Y 'udp and ipv6.reassembled.length' 2>/dev/null | wc -l)
[[ $frags == 7 && $whole == 3 ]] || die "want 7 UDP fragments in 3 datagrams, tshark sees $frags in $whole"
hs=$(tshark -r cap.pcap -Y tls.handshake.type 2>/dev/null | wc -l)
big=$(tshark -r cap.pcap -Y 'frame.len > 1294' 2>/dev/null | wc -l)
((hs > 0)) || die "no TLS handshake captured"
((big == 0)) || die "$big frames larger than the MTU: offload merged or made them"
cp cap.pcap "$OUT"
printf 'wrote %s: %d frames\n' "$OUT" "$(tshark -r "$OUT" 2>/dev/null | wc -l)"

package report

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// The two names of a connection that other records join on
// (docs/report.md, uid and community_id): the uid names one connection,
// the same on every run, for any --workers and under any file name; the
// Community ID names the flow, the same in Zeek's, Suricata's and
// Elastic's records of it.

// UID is a connection's uid: "C" and 17 base62 digits (96 bits, as Zeek's
// uids) of a SHA-256 of the connection's 4-tuple and the time of its first
// packet, and its tunnels when it came in any. Zeek draws its uids at random; this one is the same whenever the
// same packets are read, whatever the file is called (a rewritten copy, a
// pcapng with its secrets injected), so reports of one capture join. A
// port reused later is a later first packet, so another uid; two inputs
// holding the same connection give it one uid, and their reports' file
// tells them apart.
func UID(r *flows.Result) string {
	var buf [64]byte
	b := buf[:0]
	for _, a := range []netip.AddrPort{unmap(r.Client), unmap(r.Server)} {
		b, _ = a.AppendBinary(b)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(r.Start.UnixNano()))
	// Tunnels tell apart connections of the same 4-tuple; a connection
	// without one keeps the uid it always had.
	for _, t := range r.Tunnels {
		b = append(b, (*tunnel)(&t).brief()...)
	}
	sum := sha256.Sum256(b)
	return "C" + base62(binary.BigEndian.Uint32(sum[:4]), binary.BigEndian.Uint64(sum[4:12]))
}

// base62 is the 96-bit number hi<<64 | lo in 17 base-62 digits, as
// big.Int's Text(62) writes it (0-9, a-z, A-Z), zeros in front: 62^17 is
// over 2^96.
func base62(hi uint32, lo uint64) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var out [17]byte
	h := uint64(hi)
	for i := len(out) - 1; i >= 0; i-- {
		var rem uint64
		h, rem = bits.Div64(0, h, 62)
		lo, rem = bits.Div64(rem, lo, 62)
		out[i] = digits[rem]
	}
	return string(out[:])
}

// CommunityID is the Community ID flow hash, version 1, of a TCP
// connection (github.com/corelight/community-id-spec): "1:" and the
// base64 SHA-1 of the seed, the endpoints' addresses, the protocol, a pad
// byte and the ports, the smaller endpoint first. Zeek, Suricata and
// Elastic compute it with seed 0 unless told otherwise; --community-id-seed
// must match theirs for the records to join.
func CommunityID(a, b netip.AddrPort, seed uint16) string { return communityID(6, a, b, seed) }

// ResultCommunityID is a connection's Community ID, of the IP protocol
// that carried it: TCP, or UDP for QUIC and DTLS.
func ResultCommunityID(r *flows.Result, seed uint16) string {
	if r.Transport != stream.TransportTCP {
		return communityID(17, r.Client, r.Server, seed)
	}
	return CommunityID(r.Client, r.Server, seed)
}

// communityID is the Community ID of a flow of an IP protocol (6 TCP, 17
// UDP).
func communityID(proto byte, a, b netip.AddrPort, seed uint16) string {
	a, b = unmap(a), unmap(b)
	if c := a.Addr().Compare(b.Addr()); c > 0 || (c == 0 && a.Port() > b.Port()) {
		a, b = b, a
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	m := binary.BigEndian.AppendUint16(buf[:0], seed)
	m = appendAddr(m, a.Addr())
	m = appendAddr(m, b.Addr())
	m = append(m, proto, 0) // protocol, pad
	m = binary.BigEndian.AppendUint16(m, a.Port())
	m = binary.BigEndian.AppendUint16(m, b.Port())
	sum := sha1.Sum(m)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// appendAddr appends the 4 or 16 bytes of an address (its AsSlice).
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		x := a.As4()
		return append(b, x[:]...)
	}
	x := a.As16()
	return append(b, x[:]...)
}

// ids are a connection's uid and Community ID, as the writers show them.
type ids struct{ uid, communityID string }

func idsOf(r *flows.Result, o Options) ids {
	return ids{UID(r), ResultCommunityID(r, o.CommunityIDSeed)}
}

package decode

import "golang.org/x/crypto/cryptobyte"

// Extension is one entry of a hello's extension block, in wire order.
type Extension struct {
	Type   ExtensionType
	Length int
}

// KeyShare is one KeyShareEntry of a ClientHello (RFC 8446, Section 4.2.8).
type KeyShare struct {
	Group     NamedGroup
	KeyLength int
}

// Extension types this package parses (IANA TLS ExtensionType Values).
const (
	ExtServerName              ExtensionType = 0     // RFC 6066, Section 3
	ExtMaxFragmentLength       ExtensionType = 1     // RFC 6066, Section 4
	ExtStatusRequest           ExtensionType = 5     // RFC 6066, Section 8
	ExtSupportedGroups         ExtensionType = 10    // RFC 8446, Section 4.2.7
	ExtECPointFormats          ExtensionType = 11    // RFC 8422, Section 5.1.2
	ExtSignatureAlgorithms     ExtensionType = 13    // RFC 8446, Section 4.2.3
	ExtALPN                    ExtensionType = 16    // RFC 7301, Section 3.1
	ExtPadding                 ExtensionType = 21    // RFC 7685
	ExtEncryptThenMAC          ExtensionType = 22    // RFC 7366, Section 2
	ExtExtendedMasterSecret    ExtensionType = 23    // RFC 7627, Section 5.1
	ExtCompressCertificate     ExtensionType = 27    // RFC 8879, Section 3
	ExtRecordSizeLimit         ExtensionType = 28    // RFC 8449, Section 4
	ExtSessionTicket           ExtensionType = 35    // RFC 5077, Section 3.2
	ExtPreSharedKey            ExtensionType = 41    // RFC 8446, Section 4.2.11
	ExtEarlyData               ExtensionType = 42    // RFC 8446, Section 4.2.10
	ExtSupportedVersions       ExtensionType = 43    // RFC 8446, Section 4.2.1
	ExtCookie                  ExtensionType = 44    // RFC 8446, Section 4.2.2
	ExtPSKKeyExchangeModes     ExtensionType = 45    // RFC 8446, Section 4.2.9
	ExtCertificateAuthorities  ExtensionType = 47    // RFC 8446, Section 4.2.4
	ExtPostHandshakeAuth       ExtensionType = 49    // RFC 8446, Section 4.2.6
	ExtSignatureAlgorithmsCert ExtensionType = 50    // RFC 8446, Section 4.2.3
	ExtKeyShare                ExtensionType = 51    // RFC 8446, Section 4.2.8
	ExtKeyShareOld             ExtensionType = 40    // key_share up to draft-ietf-tls-tls13-22 (draft.go)
	ExtQUICTransportParameters ExtensionType = 57    // RFC 9001, Section 8.2
	ExtApplicationSettingsOld  ExtensionType = 17513 // draft-vvv-tls-alps-01 (unregistered)
	ExtApplicationSettings     ExtensionType = 17613 // draft-vvv-tls-alps-01, Chrome's second code point (unregistered)
	ExtEncryptedClientHello    ExtensionType = 65037 // RFC 9849, Section 5
	ExtRenegotiationInfo       ExtensionType = 65281 // RFC 5746, Section 3.2
)

// MaxDistinguishedNames bounds the distinguished names kept from a
// certificate_authorities extension or a CertificateRequest. Servers with
// large trust stores send a hundred or more; past the bound they are
// counted, not kept, so a connection's result stays small.
const MaxDistinguishedNames = 128

// readExtensions splits an extension block (RFC 8446, Section 4.2) into
// its entries and calls f for each body in wire order. The block must fill
// s exactly, and no type may appear twice ("There MUST NOT be more than one
// extension of the same type in a given extension block"). f returns an
// error when a body does not parse. The entries go in room when they fit
// (within).
func readExtensions(s *cryptobyte.String, room []Extension, f func(ExtensionType, cryptobyte.String) error) ([]Extension, error) {
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	n := countExtensions(block)
	exts := within(room, n)[:0]
	var seen typeSet
	if n > maxLookedThrough {
		seen.all = make([]uint64, 1<<16/64)
	}
	for !block.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&data) {
			return nil, errTruncated
		}
		if seen.has(typ, exts) {
			return nil, parseError("duplicate extension " + ExtensionType(typ).String())
		}
		seen.add(typ)
		exts = append(exts, Extension{Type: ExtensionType(typ), Length: len(data)})
		if err := f(ExtensionType(typ), data); err != nil {
			return nil, parseError(ExtensionType(typ).String() + ": " + err.Error())
		}
	}
	return exts, nil
}

// maxLookedThrough bounds the entries of a block whose duplicates are
// found by looking through those read before (typeSet).
const maxLookedThrough = 64

// typeSet is the extension types read so far of a block. A usual block
// has a bit per low byte of the type, and the entries read are looked
// through when it is set (GREASE values and a few registered types share
// low bytes). A hostile block can hold 16383 entries, too many to look
// through, and has a bit per possible type in all: 8 KiB to clear, which
// took a tenth of a ClientHello's parse when every block had it.
type typeSet struct {
	low [256 / 64]uint64
	all []uint64 // 1<<16 bits, for blocks of more than maxLookedThrough entries
}

// has says whether typ is among exts, the entries read so far.
func (t *typeSet) has(typ uint16, exts []Extension) bool {
	if t.all != nil {
		return t.all[typ/64]&(1<<(typ%64)) != 0
	}
	if b := typ & 0xff; t.low[b/64]&(1<<(b%64)) == 0 {
		return false
	}
	for _, e := range exts {
		if uint16(e.Type) == typ {
			return true
		}
	}
	return false
}

func (t *typeSet) add(typ uint16) {
	if t.all != nil {
		t.all[typ/64] |= 1 << (typ % 64)
		return
	}
	b := typ & 0xff
	t.low[b/64] |= 1 << (b % 64)
}

// within returns a slice of length n in room when it fits there, else a
// new one: a message allocated with room for the lists a typical one
// carries costs one allocation rather than one per list. n is bounded by
// the bytes present. The capacity is n, as that of a slice made for the
// list alone: a caller's append copies it rather than write into room.
// The result is never nil.
func within[T any](room []T, n int) []T {
	if room != nil && n <= len(room) {
		return room[:n:n]
	}
	return make([]T, n)
}

// countExtensions counts the entries of a block so that the result slice
// is allocated once; it stops at the first entry that does not fit.
func countExtensions(b []byte) int {
	n := 0
	for len(b) >= 4 {
		l := 4 + (int(b[2])<<8 | int(b[3]))
		if l > len(b) {
			break
		}
		b = b[l:]
		n++
	}
	return n
}

// needEmpty checks an extension whose extension_data is defined empty.
func needEmpty(data cryptobyte.String) error {
	if !data.Empty() {
		return parseError("extension_data must be empty")
	}
	return nil
}

// readUint16List reads a uint16-length-prefixed vector of uint16 values
// that must be non-empty and fill data (supported_groups,
// signature_algorithms, ...), in room when it fits (within).
func readUint16List[T ~uint16](data cryptobyte.String, room []T) ([]T, error) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return nil, errTruncated
	}
	if len(list) == 0 || len(list)%2 != 0 {
		return nil, parseError("list length must be even and non-zero")
	}
	return uint16s(list, room), nil
}

// uint16s returns the big-endian uint16 values of b, whose length is even,
// in room when they fit (within).
func uint16s[T ~uint16](b []byte, room []T) []T {
	out := within(room, len(b)/2)
	for i := range out {
		out[i] = T(b[2*i])<<8 | T(b[2*i+1])
	}
	return out
}

// readUint8List reads a uint8-length-prefixed, non-empty byte vector that
// fills data (ec_point_formats, psk_key_exchange_modes), in room when it
// fits (within).
func readUint8List[T ~uint8](data cryptobyte.String, room []T) ([]T, error) {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() {
		return nil, errTruncated
	}
	if len(list) == 0 {
		return nil, parseError("empty list")
	}
	out := within(room, len(list))
	for i, v := range list {
		out[i] = T(v)
	}
	return out, nil
}

// readALPN reads a ProtocolNameList (RFC 7301, Section 3.1): non-empty,
// each name non-empty, in room when the names fit (within). A first pass
// checks the framing and counts the names.
func readALPN(data cryptobyte.String, room []string) ([]string, error) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return nil, errTruncated
	}
	if list.Empty() {
		return nil, parseError("empty protocol_name_list")
	}
	n := 0
	for rest := list; !rest.Empty(); n++ {
		var name cryptobyte.String
		if !rest.ReadUint8LengthPrefixed(&name) {
			return nil, errTruncated
		}
		if len(name) == 0 {
			return nil, parseError("empty protocol name")
		}
	}
	out := within(room, n)
	for i := range out {
		var name cryptobyte.String
		list.ReadUint8LengthPrefixed(&name)
		out[i] = protocolName(name)
	}
	return out, nil
}

// readProtocol reads a server's ProtocolNameList, the protocol it
// selected (RFC 7301, Section 3.1: the list MUST contain exactly one
// name).
func readProtocol(data cryptobyte.String) (string, error) {
	var room [1]string
	names, err := readALPN(data, room[:])
	if err != nil {
		return "", err
	}
	if len(names) != 1 {
		return "", parseError("server selected more than one protocol")
	}
	return names[0], nil
}

// protocolName returns name as a string, without allocating one for the
// protocols nearly every hello names (IANA TLS Application-Layer Protocol
// Negotiation (ALPN) Protocol IDs).
func protocolName(name []byte) string {
	switch string(name) {
	case "h2":
		return "h2"
	case "http/1.1":
		return "http/1.1"
	case "h3":
		return "h3"
	case "http/1.0":
		return "http/1.0"
	}
	return string(name)
}

// readRenegotiationInfo reads renegotiated_connection (RFC 5746, Section
// 3.2), which must fill the extension, and returns a copy of it.
func readRenegotiationInfo(data cryptobyte.String) ([]byte, error) {
	var rc cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&rc) || !data.Empty() {
		return nil, errTruncated
	}
	return append([]byte{}, rc...), nil
}

// readCookie reads opaque cookie<1..2^16-1> (RFC 8446, Section 4.2.2) and
// returns its length.
func readCookie(data cryptobyte.String) (int, error) {
	var c cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&c) || !data.Empty() || len(c) == 0 {
		return 0, errTruncated
	}
	return len(c), nil
}

// readRecordSizeLimit reads uint16 RecordSizeLimit (RFC 8449, Section 4):
// "Endpoints MUST NOT send a value smaller than 64".
func readRecordSizeLimit(data cryptobyte.String) (uint16, error) {
	var v uint16
	if !data.ReadUint16(&v) || !data.Empty() {
		return 0, errTruncated
	}
	if v < 64 {
		return 0, parseError("record_size_limit below 64")
	}
	return v, nil
}

// readMaxFragmentLength reads enum{2^9(1), 2^10(2), 2^11(3), 2^12(4)}
// MaxFragmentLength (RFC 6066, Section 4).
func readMaxFragmentLength(data cryptobyte.String) (uint8, error) {
	var v uint8
	if !data.ReadUint8(&v) || !data.Empty() {
		return 0, errTruncated
	}
	if v < 1 || v > 4 {
		return 0, parseError("max_fragment_length code outside 1..4")
	}
	return v, nil
}

// readCertificateAuthorities reads DistinguishedName
// authorities<3..2^16-1> (RFC 8446, Section 4.2.4), each
// DistinguishedName<1..2^16-1>.
func readCertificateAuthorities(data cryptobyte.String) ([]string, int, error) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return nil, 0, errTruncated
	}
	if list.Empty() {
		return nil, 0, parseError("empty authorities")
	}
	return readDistinguishedNames(list)
}

// readDistinguishedNames reads a list of uint16-length-prefixed, non-empty
// DER distinguished names that fills list, keeping the first
// MaxDistinguishedNames as RFC 4514 strings and counting all. A name that
// is not valid DER is kept as "<invalid DER: N bytes>" rather than failing
// the message: its bytes are the peer's business, its framing is ours.
func readDistinguishedNames(list cryptobyte.String) ([]string, int, error) {
	var names []string
	n := 0
	for !list.Empty() {
		var dn cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&dn) {
			return nil, 0, errTruncated
		}
		if len(dn) == 0 {
			return nil, 0, parseError("empty DistinguishedName")
		}
		if n < MaxDistinguishedNames {
			names = append(names, distinguishedName(dn))
		}
		n++
	}
	return names, n, nil
}

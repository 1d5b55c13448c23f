package quic

import "strconv"

// Version is a QUIC version number (RFC 9000, 15).
type Version uint32

// The versions whose Initial packets this package decrypts.
const (
	Version1 Version = 0x00000001 // RFC 9000
	Version2 Version = 0x6b3343cf // RFC 9369
)

// String names v: "1", "2", a draft as "draft-29", else its hex number.
func (v Version) String() string {
	switch {
	case v == Version1:
		return "1"
	case v == Version2:
		return "2"
	case v&0xffffff00 == 0xff000000:
		return "draft-" + strconv.Itoa(int(v&0xff))
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

// Known reports whether Initial packets of v can be decrypted here.
func (v Version) Known() bool { return v == Version1 || v == Version2 }

// salts are the initial_salt of each version (RFC 9001, 5.2; RFC 9369,
// 3.3.1).
var salts = map[Version][]byte{
	Version1: {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
	Version2: {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
}

// labels are the HKDF labels of a version's packet protection keys (RFC
// 9001, 5.1; RFC 9369, 3.3.2).
type labels struct{ key, iv, hp string }

func labelsOf(v Version) labels {
	if v == Version2 {
		return labels{"quicv2 key", "quicv2 iv", "quicv2 hp"}
	}
	return labels{"quic key", "quic iv", "quic hp"}
}

package dtls

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// Versions of the DTLS record layer (RFC 6347, 4.1; RFC 9147, 5.3: DTLS
// 1.3 records carry 1.2's).
const (
	VersionDTLS10 uint16 = 0xfeff
	VersionDTLS12 uint16 = 0xfefd
	VersionDTLS13 uint16 = 0xfefc
)

// Content types (RFC 6347, 4.1, those of TLS; RFC 9147, 4 adds ack).
const (
	ContentChangeCipherSpec uint8 = 20
	ContentAlert            uint8 = 21
	ContentHandshake        uint8 = 22
	ContentApplicationData  uint8 = 23
	ContentACK              uint8 = 26
)

// maxRecord bounds a record's fragment: 2^14 plus the expansion TLS 1.2
// allows (RFC 6347, 4.1 refers to RFC 5246, 6.2.3).
const maxRecord = 1<<14 + 2048

// Record is one record of a datagram. Fragment aliases the datagram.
type Record struct {
	Type    uint8
	Version uint16
	Epoch   uint16
	Seq     uint64
	// Unified marks a DTLS 1.3 ciphertext record with the unified header
	// (RFC 9147, 4): its type is hidden (Type is ContentApplicationData),
	// Epoch holds the epoch's low two bits, Seq the low 8 or 16 bits of
	// the sequence number, still encrypted.
	Unified  bool
	Fragment []byte
}

// Errors of datagrams that are not DTLS records.
var (
	ErrTruncated = errors.New("dtls: record truncated")
	ErrOverflow  = errors.New("dtls: record longer than 2^14+2048 bytes")
)

// Records returns the records of a datagram: several may share one (RFC
// 6347, 4.1.1). On an error the records read before it are returned with
// it.
func Records(datagram []byte) ([]Record, error) {
	var out []Record
	s := cryptobyte.String(datagram)
	for !s.Empty() {
		var r Record
		var err error
		if s[0]&0xe0 == 0x20 {
			r, err = unified(&s)
		} else {
			r, err = plaintext(&s)
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// plaintext reads a DTLSPlaintext or DTLSCiphertext record of DTLS 1.0 or
// 1.2 (RFC 6347, 4.1), or a DTLS 1.3 plaintext record: a 13-byte header
// (type, version, epoch, 48-bit sequence number, length), then the
// fragment.
func plaintext(s *cryptobyte.String) (Record, error) {
	var r Record
	var seq []byte
	var frag cryptobyte.String
	if !s.ReadUint8(&r.Type) || !s.ReadUint16(&r.Version) || !s.ReadUint16(&r.Epoch) ||
		!s.ReadBytes(&seq, 6) || !s.ReadUint16LengthPrefixed(&frag) {
		return r, ErrTruncated
	}
	for _, b := range seq {
		r.Seq = r.Seq<<8 | uint64(b)
	}
	if len(frag) > maxRecord {
		return r, ErrOverflow
	}
	r.Fragment = frag
	return r, nil
}

// unified reads a DTLS 1.3 record with the unified header (RFC 9147, 4):
// 001CSLEE, then the connection ID (whose length only the endpoints know:
// none is assumed), an 8- or 16-bit sequence number, and the length when
// L is set, else the rest of the datagram.
func unified(s *cryptobyte.String) (Record, error) {
	var first uint8
	r := Record{Type: ContentApplicationData, Unified: true, Version: VersionDTLS12}
	if !s.ReadUint8(&first) {
		return r, ErrTruncated
	}
	r.Epoch = uint16(first & 0x03)
	if first&0x08 != 0 {
		var seq uint16
		if !s.ReadUint16(&seq) {
			return r, ErrTruncated
		}
		r.Seq = uint64(seq)
	} else {
		var seq uint8
		if !s.ReadUint8(&seq) {
			return r, ErrTruncated
		}
		r.Seq = uint64(seq)
	}
	if first&0x04 == 0 {
		r.Fragment, *s = *s, nil
		return r, nil
	}
	var frag cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&frag) {
		return r, ErrTruncated
	}
	if len(frag) > maxRecord {
		return r, ErrOverflow
	}
	r.Fragment = frag
	return r, nil
}

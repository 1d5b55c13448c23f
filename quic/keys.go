package quic

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hsdecode/hsdecode/tlscrypto"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// Keys are one direction's packet protection at one encryption level: the
// AEAD key and IV, and the header protection key (RFC 9001, 5.1).
type Keys struct {
	aead cipher.AEAD
	iv   []byte
	hp   cipher.Block // AES suites
	hpCh []byte       // ChaCha20-Poly1305: the raw header protection key
	// largest is the largest packet number opened, -1 before the first:
	// a packet number is sent truncated and decoded near it (RFC 9000,
	// A.3).
	largest int64
}

// ErrUnsupported is returned, wrapped, for a cipher suite whose packet
// protection is not implemented here (AES-CCM).
var ErrUnsupported = errors.New("quic: unsupported cipher suite")

// ErrDecrypt is returned when a packet does not authenticate with the keys.
var ErrDecrypt = errors.New("quic: packet does not decrypt")

// InitialKeys returns the Initial keys of the client's and the server's
// packets, derived from the Destination Connection ID of the client's first
// Initial (RFC 9001, 5.2; RFC 9369, 3.3): anyone who sees that packet can.
func InitialKeys(v Version, dcid []byte) (client, server *Keys, err error) {
	salt, ok := salts[v]
	if !ok {
		return nil, nil, fmt.Errorf("quic: no Initial keys for version %s", v)
	}
	initial := hkdf.Extract(crypto.SHA256.New, dcid, salt)
	suite, err := tlscrypto.LookupSuite(0x1301) // TLS_AES_128_GCM_SHA256, RFC 9001, 5.2
	if err != nil {
		return nil, nil, err
	}
	cs := tlscrypto.HKDFExpandLabel(crypto.SHA256, initial, "client in", nil, 32)
	ss := tlscrypto.HKDFExpandLabel(crypto.SHA256, initial, "server in", nil, 32)
	if client, err = NewKeys(v, suite, cs); err != nil {
		return nil, nil, err
	}
	if server, err = NewKeys(v, suite, ss); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

// NewKeys returns the packet protection keys of a traffic secret of the
// negotiated TLS 1.3 suite (RFC 9001, 5.1): with the QUIC labels, not
// TLS's.
func NewKeys(v Version, suite *tlscrypto.Suite, secret []byte) (*Keys, error) {
	l := labelsOf(v)
	key := tlscrypto.HKDFExpandLabel(suite.Hash, secret, l.key, nil, suite.KeyLen)
	iv := tlscrypto.HKDFExpandLabel(suite.Hash, secret, l.iv, nil, 12)
	hp := tlscrypto.HKDFExpandLabel(suite.Hash, secret, l.hp, nil, suite.KeyLen)
	k := &Keys{iv: iv, largest: -1}
	var err error
	switch suite.Cipher {
	case tlscrypto.CipherAESGCM:
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			k.aead, err = cipher.NewGCM(b)
		}
		if err == nil {
			k.hp, err = aes.NewCipher(hp)
		}
	case tlscrypto.CipherChaCha20Poly1305:
		k.aead, err = chacha20poly1305.New(key)
		k.hpCh = hp
	default:
		return nil, fmt.Errorf("%w 0x%04x", ErrUnsupported, suite.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("quic: keys: %w", err)
	}
	return k, nil
}

// ShortHeader returns a 1-RTT packet whose Destination Connection ID is
// dcidLen bytes long, ready for Open: only the endpoints know that length
// (RFC 9000, 17.3), an observer from the connection IDs of the long
// headers.
func ShortHeader(raw []byte, dcidLen int) Packet {
	return Packet{Type: PacketOneRTT, Raw: raw, PNOffset: 1 + dcidLen}
}

// sampleLen is the length of the header protection sample (RFC 9001, 5.4.2).
const sampleLen = 16

// Open removes header protection from a packet whose packet number
// begins at p.PNOffset (a long header's, or a short header's, whose
// connection ID length the caller knows: ShortHeader) and decrypts its
// payload (RFC 9001, 5.3 and 5.4). It returns the packet number and the
// plaintext frames, a copy of its own; p.Raw is not changed.
func (k *Keys) Open(p *Packet) (pn uint64, payload []byte, err error) {
	raw := p.Raw
	off := p.PNOffset
	// The sample starts 4 bytes after the packet number's start, as if it
	// were 4 bytes long (RFC 9001, 5.4.2).
	if off <= 0 || off+4+sampleLen > len(raw) {
		return 0, nil, ErrTruncated
	}
	mask, err := k.mask(raw[off+4 : off+4+sampleLen])
	if err != nil {
		return 0, nil, err
	}
	low := byte(0x0f) // a long header's low 4 bits are protected, a short one's 5
	if raw[0]&0x80 == 0 {
		low = 0x1f
	}
	first := raw[0] ^ mask[0]&low
	pnLen := int(first&3) + 1
	hdr := make([]byte, off+pnLen, len(raw))
	copy(hdr, raw[:off+pnLen])
	hdr[0] = first
	var truncated uint64
	for i := range pnLen {
		hdr[off+i] ^= mask[1+i]
		truncated = truncated<<8 | uint64(hdr[off+i])
	}
	pn = decodePacketNumber(k.largest, truncated, pnLen)
	var nonce [12]byte
	copy(nonce[:], k.iv)
	var pnb [8]byte
	binary.BigEndian.PutUint64(pnb[:], pn)
	for i := range 8 {
		nonce[4+i] ^= pnb[i]
	}
	ct := raw[off+pnLen:]
	payload, err = k.aead.Open(nil, nonce[:], ct, hdr)
	if err != nil {
		return 0, nil, ErrDecrypt
	}
	if int64(pn) > k.largest {
		k.largest = int64(pn)
	}
	return pn, payload, nil
}

// mask computes the 5 bytes of header protection mask of a sample (RFC
// 9001, 5.4.3 and 5.4.4).
func (k *Keys) mask(sample []byte) ([5]byte, error) {
	var m [5]byte
	if k.hp != nil {
		var out [16]byte
		k.hp.Encrypt(out[:], sample)
		copy(m[:], out[:5])
		return m, nil
	}
	c, err := chacha20.NewUnauthenticatedCipher(k.hpCh, sample[4:16])
	if err != nil {
		return m, fmt.Errorf("quic: header protection: %w", err)
	}
	c.SetCounter(binary.LittleEndian.Uint32(sample[:4]))
	c.XORKeyStream(m[:], m[:])
	return m, nil
}

// decodePacketNumber is the algorithm of RFC 9000, Appendix A.3: the
// packet number nearest to the one after the largest seen whose low bits
// are the truncated ones.
func decodePacketNumber(largest int64, truncated uint64, pnLen int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << (pnLen * 8)
	hwin, mask := win/2, win-1
	candidate := expected&^mask | truncated
	switch {
	case candidate+hwin <= expected && candidate < 1<<62-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}

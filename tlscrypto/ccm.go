package tlscrypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// The standard library has no CCM, and the Go module proxy offers none
// maintained outside larger TLS or DTLS stacks; this is the mode of RFC 3610
// (NIST SP 800-38C) on a 128-bit block cipher, as RFC 6655 and RFC 8446 use
// it: a 12-byte nonce (so a 3-byte length field) and a 16- or 8-byte tag.

var errCCMOpen = errors.New("tlscrypto: CCM authentication failed")

type ccm struct {
	b         cipher.Block
	nonceSize int
	tagSize   int
}

// newCCM returns CCM on b with the given nonce (7 to 13 bytes) and tag
// (4 to 16 bytes, even) sizes.
func newCCM(b cipher.Block, nonceSize, tagSize int) (cipher.AEAD, error) {
	if b.BlockSize() != 16 || nonceSize < 7 || nonceSize > 13 || tagSize < 4 || tagSize > 16 || tagSize%2 != 0 {
		return nil, errors.New("tlscrypto: invalid CCM parameters")
	}
	return &ccm{b: b, nonceSize: nonceSize, tagSize: tagSize}, nil
}

func (c *ccm) NonceSize() int { return c.nonceSize }
func (c *ccm) Overhead() int  { return c.tagSize }

// maxLen is the longest message the length field of 15-nonceSize bytes
// holds.
func (c *ccm) maxLen() uint64 {
	l := 15 - c.nonceSize
	if l >= 8 {
		return 1<<63 - 1
	}
	return 1<<(8*l) - 1
}

// counterBlock is A_i of RFC 3610, Section 2.3.
func (c *ccm) counterBlock(nonce []byte, i uint64) [16]byte {
	var a [16]byte
	a[0] = byte(14 - c.nonceSize) // L-1
	copy(a[1:], nonce)
	var ctr [8]byte
	binary.BigEndian.PutUint64(ctr[:], i)
	copy(a[1+c.nonceSize:], ctr[8-(15-c.nonceSize):])
	return a
}

// tag is the unencrypted authentication value T of RFC 3610, Section 2.2.
func (c *ccm) tag(nonce, plaintext, aad []byte) []byte {
	var x [16]byte
	x[0] = byte(8*((c.tagSize-2)/2) + (14 - c.nonceSize))
	if len(aad) > 0 {
		x[0] |= 0x40
	}
	copy(x[1:], nonce)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(plaintext)))
	copy(x[1+c.nonceSize:], n[8-(15-c.nonceSize):])
	c.b.Encrypt(x[:], x[:])

	// mac absorbs data in whole blocks, the last one zero-padded.
	mac := func(data []byte) {
		for len(data) > 0 {
			n := subtle.XORBytes(x[:], x[:], data)
			data = data[n:]
			c.b.Encrypt(x[:], x[:])
		}
	}
	if len(aad) > 0 {
		var hdr []byte
		switch {
		case len(aad) < 0xFF00:
			hdr = binary.BigEndian.AppendUint16(nil, uint16(len(aad)))
		case uint64(len(aad)) < 1<<32:
			hdr = binary.BigEndian.AppendUint32([]byte{0xFF, 0xFE}, uint32(len(aad)))
		default:
			hdr = binary.BigEndian.AppendUint64([]byte{0xFF, 0xFF}, uint64(len(aad)))
		}
		// The length encoding and the AAD are padded as one string.
		mac(append(hdr, aad...))
	}
	mac(plaintext)
	return x[:c.tagSize]
}

// ctr XORs src with the key stream from A_1 on into dst.
func (c *ccm) ctr(dst, src, nonce []byte) {
	a1 := c.counterBlock(nonce, 1)
	// The counter occupies the low bytes of the block and maxLen keeps it
	// from wrapping, so the standard big-endian CTR increment matches.
	cipher.NewCTR(c.b, a1[:]).XORKeyStream(dst, src)
}

func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	if len(nonce) != c.nonceSize || uint64(len(plaintext)) > c.maxLen() {
		panic("tlscrypto: CCM: bad nonce or message length")
	}
	t := c.tag(nonce, plaintext, aad)
	a0 := c.counterBlock(nonce, 0)
	var s0 [16]byte
	c.b.Encrypt(s0[:], a0[:])
	ret, out := sliceForAppend(dst, len(plaintext)+c.tagSize)
	c.ctr(out, plaintext, nonce)
	subtle.XORBytes(out[len(plaintext):], t, s0[:c.tagSize])
	return ret
}

func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != c.nonceSize || len(ciphertext) < c.tagSize ||
		uint64(len(ciphertext)-c.tagSize) > c.maxLen() {
		return nil, errCCMOpen
	}
	body, u := ciphertext[:len(ciphertext)-c.tagSize], ciphertext[len(ciphertext)-c.tagSize:]
	ret, out := sliceForAppend(dst, len(body))
	c.ctr(out, body, nonce)
	a0 := c.counterBlock(nonce, 0)
	var s0 [16]byte
	c.b.Encrypt(s0[:], a0[:])
	want := make([]byte, c.tagSize)
	subtle.XORBytes(want, c.tag(nonce, out, aad), s0[:c.tagSize])
	if subtle.ConstantTimeCompare(want, u) != 1 {
		clear(out)
		return nil, errCCMOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, returning the whole slice and the
// new tail (as crypto/cipher does).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}

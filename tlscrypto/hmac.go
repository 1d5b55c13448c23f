package tlscrypto

import (
	"crypto"
	"crypto/hmac"
	stdsha256 "crypto/sha256"
	stdsha512 "crypto/sha512"
)

// hmacSum is HMAC(key, msg) (RFC 2104) in one call. A keyed run makes a
// dozen HMACs of a few dozen bytes per connection (traffic keys and IVs,
// finished keys, verify_data), and crypto/hmac's New, with its two hash
// states and the FIPS module's wrapping, cost more than the four
// compressions they need: for SHA-256 and SHA-384, the TLS 1.3 hashes,
// the pads are hashed here with Sum256 and Sum384 on the stack (issue 18:
// a sixth of what --keylog costs). TestHMACSumSameAsCryptoHMAC checks it
// against crypto/hmac.
func hmacSum(h crypto.Hash, key, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		if len(key) > stdsha256.BlockSize {
			k := stdsha256.Sum256(key)
			key = k[:]
		}
		var buf [stdsha256.BlockSize + 128]byte
		inner := stdsha256.Sum256(padded(buf[:0], key, stdsha256.BlockSize, 0x36, msg))
		out := stdsha256.Sum256(padded(buf[:0], key, stdsha256.BlockSize, 0x5c, inner[:]))
		return out[:]
	case crypto.SHA384:
		if len(key) > stdsha512.BlockSize {
			k := stdsha512.Sum384(key)
			key = k[:]
		}
		var buf [stdsha512.BlockSize + 128]byte
		inner := stdsha512.Sum384(padded(buf[:0], key, stdsha512.BlockSize, 0x36, msg))
		out := stdsha512.Sum384(padded(buf[:0], key, stdsha512.BlockSize, 0x5c, inner[:]))
		return out[:]
	}
	m := hmac.New(h.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// padded appends to b the key, zero-filled to a block and XORed with pad,
// then msg.
func padded(b, key []byte, block int, pad byte, msg []byte) []byte {
	for i := range block {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b = append(b, k^pad)
	}
	return append(b, msg...)
}

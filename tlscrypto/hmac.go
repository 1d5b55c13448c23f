package tlscrypto

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	stdsha256 "crypto/sha256"
	stdsha512 "crypto/sha512"
	"encoding/binary"
)

// hmacSum is HMAC(key, msg) (RFC 2104) in one call. A keyed run makes a
// dozen HMACs of a few dozen bytes per connection (traffic keys and IVs,
// finished keys, verify_data), and crypto/hmac's New, with its two hash
// states and the FIPS module's wrapping, cost more than the four
// compressions they need: for SHA-256 and SHA-384, the TLS 1.3 hashes,
// the pads are hashed here with Sum256 and Sum384 on the stack (issue 18:
// a sixth of what --keylog costs). TestHMACSumSameAsCryptoHMAC checks it
// against crypto/hmac. The two branches stay apart: one function for both
// hashes, through a func value, made the buffers escape (4 allocations a
// call instead of 2, and 40% slower).
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
	// Copies, so that neither key nor msg escapes for the two hashes
	// above: HKDF-Expand-Label's info stays on its caller's stack.
	m := hmac.New(h.New, bytes.Clone(key))
	m.Write(bytes.Clone(msg))
	return m.Sum(nil)
}

// padded returns the key, zero-filled to a block (b has room for it) and
// XORed with pad, then msg. Blocks are 64 or 128 bytes: eight at a time.
func padded(b, key []byte, block int, pad byte, msg []byte) []byte {
	b = b[:block]
	clear(b[copy(b, key):])
	p := uint64(pad) * 0x0101010101010101
	for i := 0; i < block; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^p)
	}
	return append(b, msg...)
}

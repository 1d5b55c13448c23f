package tlscrypto

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	stdsha256 "crypto/sha256"
	stdsha512 "crypto/sha512"
	"encoding/binary"
	"hash"
	"sync"
)

// hmacSum is HMAC(key, msg) (RFC 2104) in one call. A keyed run makes a
// dozen HMACs of a few dozen bytes per connection (traffic keys and IVs,
// finished keys, verify_data), and crypto/hmac's New, with its two hash
// states and the FIPS module's wrapping, cost more than the four
// compressions they need. For SHA-256 and SHA-384, the TLS 1.3 hashes,
// pooled hash states are reset instead (hmacScratch), and only the
// scratch's own buffers are written to them, so that neither key nor msg
// escapes: HKDF-Expand-Label's info stays on its caller's stack.
// Hashing the pads with Sum256 on the stack did as well until the
// profile-guided build inlined Sum256 here, where its state escaped: six
// allocations a call and half again the time (issue 18).
// TestHMACSumSameAsCryptoHMAC checks it against crypto/hmac.
func hmacSum(h crypto.Hash, key, msg []byte) []byte {
	if h != crypto.SHA256 && h != crypto.SHA384 {
		// Copies, so that neither key nor msg escapes through crypto/hmac.
		m := hmac.New(h.New, bytes.Clone(key))
		m.Write(bytes.Clone(msg))
		return m.Sum(nil)
	}
	s := hmacScratches.Get().(*hmacScratch)
	defer hmacScratches.Put(s)
	d := s.sha256
	if h == crypto.SHA384 {
		d = s.sha384
	}
	block := s.block[:d.BlockSize()]
	if len(key) > len(block) {
		d.Reset()
		s.write(d, key)
		key = d.Sum(s.key[:0])
	}
	padded(block, key, 0x36)
	d.Reset()
	d.Write(block)
	s.write(d, msg)
	inner := d.Sum(s.inner[:0])
	padded(block, key, 0x5c)
	d.Reset()
	d.Write(block)
	d.Write(inner)
	return d.Sum(nil)
}

// hmacScratch is what hmacSum hashes with.
type hmacScratch struct {
	sha256, sha384 hash.Hash
	block          [stdsha512.BlockSize]byte // the key XORed with a pad
	key            [stdsha512.Size]byte      // a key longer than a block, hashed
	inner          [stdsha512.Size]byte      // the inner hash
	chunk          [stdsha512.BlockSize]byte // what write copies through
}

var hmacScratches = sync.Pool{New: func() any {
	return &hmacScratch{sha256: stdsha256.New(), sha384: stdsha512.New384()}
}}

// write writes p to d through s.chunk: p itself never reaches d's Write,
// an interface call its arguments escape through.
func (s *hmacScratch) write(d hash.Hash, p []byte) {
	for len(p) > 0 {
		n := copy(s.chunk[:], p)
		d.Write(s.chunk[:n])
		p = p[n:]
	}
}

// padded fills b, a block, with the key, zero-filled and XORed with pad.
// Blocks are 64 or 128 bytes: eight at a time.
func padded(b, key []byte, pad byte) {
	clear(b[copy(b, key):])
	p := uint64(pad) * 0x0101010101010101
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^p)
	}
}

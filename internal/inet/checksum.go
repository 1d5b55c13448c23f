// Package inet holds the Internet checksum (RFC 1071), which reassembly
// verifies and the capture rewriter of the tests recomputes.
package inet

import (
	"encoding/binary"
	"math/bits"
)

// Sum adds b as big-endian 16-bit words to acc, a trailing odd byte as the
// high half of a word. The result is what Fold takes; it stays below 2^34
// more than acc, so a caller may add small numbers (a pseudo-header's
// protocol and length) to it.
func Sum(b []byte, acc uint64) uint64 {
	// Adding wider words and folding gives the same sum as 16-bit words,
	// as 1<<16 is 1 modulo 0xffff; so does adding each carry out of 64
	// bits back in (1<<64 is 1 too). Eight bytes at a time, with the
	// carry chain of bits.Add64, is four times the speed of four: it is
	// most of a segment's cost to verify (issue 18).
	var s, c uint64
	for len(b) >= 32 {
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[8:16]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[16:24]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[24:32]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b), c)
		b = b[8:]
	}
	s += c // no carry out: with c set, s is at most 1<<64-2
	acc += s&0xffffffff + s>>32
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	for len(b) >= 2 {
		acc += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// Fold folds a sum into 16 bits, with end-around carry: 0xffff for data
// whose checksum is right.
func Fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}

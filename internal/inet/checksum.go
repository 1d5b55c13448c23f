// Package inet holds the Internet checksum (RFC 1071), which reassembly
// verifies and the capture rewriter of the tests recomputes.
package inet

import "encoding/binary"

// Sum adds b as big-endian 16-bit words to acc, a trailing odd byte as the
// high half of a word.
func Sum(b []byte, acc uint64) uint64 {
	// Adding 32-bit words and folding gives the same sum as 16-bit
	// words, as 1<<16 is 1 modulo 0xffff.
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

package inet

import (
	"math/rand/v2"
	"testing"
)

// TestChecksum: RFC 1071's example sums to 0xddf2; with its checksum in
// place, data folds to 0xffff; an odd byte counts as a high half.
func TestChecksum(t *testing.T) {
	data := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Fold(Sum(data, 0)); got != 0xddf2 {
		t.Errorf("sum %#04x, want 0xddf2 (RFC 1071, 3)", got)
	}
	withSum := append(data, 0x22, 0x0d) // ^0xddf2
	if got := Fold(Sum(withSum, 0)); got != 0xffff {
		t.Errorf("with its checksum %#04x, want 0xffff", got)
	}
	if got := Fold(Sum([]byte{0x01}, 0)); got != 0x0100 {
		t.Errorf("odd byte %#04x, want 0x0100", got)
	}
}

// sum16 is RFC 1071's sum, 16 bits at a time, for Sum to agree with.
func sum16(b []byte, acc uint64) uint64 {
	for ; len(b) >= 2; b = b[2:] {
		acc += uint64(b[0])<<8 | uint64(b[1])
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// Sum folds to what 16-bit words give for every length, start, and run of
// 0xff bytes that carries out of 64 bits, and for all zeros.
func TestSumAgrees(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := range 300 {
		for _, fill := range []string{"random", "ones", "zeros"} {
			b := make([]byte, n)
			for i := range b {
				switch fill {
				case "random":
					b[i] = byte(rnd.Uint32())
				case "ones":
					b[i] = 0xff
				}
			}
			for _, acc := range []uint64{0, 1, 0xffff, uint64(rnd.Uint32())} {
				if got, want := Fold(Sum(b, acc)), Fold(sum16(b, acc)); got != want {
					t.Fatalf("%d %s bytes from %#x: Fold(Sum) %#04x, want %#04x", n, fill, acc, got, want)
				}
				// The result takes more words added, as the pseudo-header's.
				if got, want := Fold(Sum(b, acc)+6+uint64(n)), Fold(sum16(b, acc)+6+uint64(n)); got != want {
					t.Fatalf("%d %s bytes from %#x, plus: %#04x, want %#04x", n, fill, acc, got, want)
				}
			}
		}
	}
}

func BenchmarkSum(b *testing.B) {
	data := make([]byte, 1448)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sum(data, 0)
	}
}

package inet

import "testing"

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

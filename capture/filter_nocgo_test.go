//go:build !cgo

package capture

import (
	"errors"
	"testing"
)

// TestFilterNeedsLibpcap: without cgo, a filter on files says it needs
// the libpcap build, before and while a file is read.
func TestFilterNeedsLibpcap(t *testing.T) {
	if err := CheckFilter("tcp port 443"); !errors.Is(err, ErrFilterNeedsLibpcap) {
		t.Errorf("CheckFilter: %v", err)
	}
	src, err := Open("../testdata/pcaps/01-tls12-ecdhe-rsa.pcap", FileOptions{Filter: "tcp"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Next(); !errors.Is(err, ErrFilterNeedsLibpcap) {
		t.Errorf("Next: %v", err)
	}
}

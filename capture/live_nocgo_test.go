//go:build !cgo

package capture

import (
	"errors"
	"testing"
)

// TestNoLiveCapture: without cgo, live capture says it needs the libpcap
// build.
func TestNoLiveCapture(t *testing.T) {
	if _, err := OpenLive("lo", LiveOptions{}); !errors.Is(err, ErrNoLiveCapture) {
		t.Errorf("OpenLive: %v", err)
	}
	if _, err := Interfaces(); !errors.Is(err, ErrNoLiveCapture) {
		t.Errorf("Interfaces: %v", err)
	}
}

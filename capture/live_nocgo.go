//go:build !cgo

package capture

import "fmt"

// OpenLive would open a live capture; without cgo there is no libpcap, and
// it returns an error wrapping ErrNoLiveCapture.
func OpenLive(iface string, _ LiveOptions) (Live, error) {
	return nil, fmt.Errorf("capture: %s: %w (this binary was built with CGO_ENABLED=0)", iface, ErrNoLiveCapture)
}

// Interfaces would list the capture interfaces; without cgo it returns an
// error wrapping ErrNoLiveCapture.
func Interfaces() ([]Interface, error) {
	return nil, fmt.Errorf("capture: %w (this binary was built with CGO_ENABLED=0)", ErrNoLiveCapture)
}

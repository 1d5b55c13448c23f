package main

import (
	"fmt"

	"github.com/hsdecode/hsdecode/reassembly"
)

// checksumMode decides --checksum.
func checksumMode(mode string) (reassembly.ChecksumMode, error) {
	switch mode {
	case "auto":
		return reassembly.ChecksumAuto, nil
	case "on":
		return reassembly.ChecksumOn, nil
	case "off":
		return reassembly.ChecksumOff, nil
	}
	return 0, fmt.Errorf("--checksum %q: give auto, on or off", mode)
}

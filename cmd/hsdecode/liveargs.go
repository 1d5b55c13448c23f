package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hsdecode/hsdecode/capture"
)

// liveArgs checks the command line of a live capture.
func liveArgs(fs *pflag.FlagSet, read, filter string, snaplen, bufKiB, count int, duration time.Duration, write string) error {
	switch {
	case read != "":
		return errors.New("give -r FILE or -i IFACE, not both")
	case filter != "" && fs.NArg() > 0:
		return fmt.Errorf("give the capture filter with -f or as the remaining arguments, not both (arguments: %q)", strings.Join(fs.Args(), " "))
	case snaplen < 0 || snaplen > capture.MaxCaptureLength:
		return fmt.Errorf("-s %d: the snap length is 1 to %d bytes, or 0 for %d", snaplen, capture.MaxCaptureLength, capture.DefaultSnapLen)
	case bufKiB < 0 || bufKiB > 1<<30:
		return fmt.Errorf("-B %d: the buffer size is in KiB, 0 for libpcap's default", bufKiB)
	case count < 0:
		return fmt.Errorf("-c %d: give a number of connections, or 0 for no limit", count)
	case duration < 0:
		return fmt.Errorf("--duration %v: give a positive time, or 0 for no limit", duration)
	case write == "-":
		return errors.New("-w -: standard output carries the report; give a file name")
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/report"
)

// The interfaces live capture can open: -D's list, -i's numbers, and what
// to do when opening one fails.

// openAdvice adds to an error opening a capture what to do about it.
func openAdvice(err error) string {
	switch {
	case errors.Is(err, capture.ErrPermission):
		exe := "hsdecode"
		if p, perr := os.Executable(); perr == nil {
			exe = p
		}
		return fmt.Sprintf("%v: run as root, or allow this binary to capture: sudo setcap cap_net_raw,cap_net_admin+eip %s", err, exe)
	case errors.Is(err, capture.ErrNoLiveCapture):
		return fmt.Sprintf("%v; build it with CGO_ENABLED=1 and libpcap-dev (scripts/deps.sh), or read a capture: tcpdump -w - ... | hsdecode -r -", err)
	}
	return err.Error()
}

// resolveInterface turns a number from -D into its interface name, as
// tcpdump -i does; a name is returned unchanged.
func resolveInterface(iface string) (string, error) {
	n, err := strconv.Atoi(iface)
	if err != nil || n <= 0 {
		return iface, nil
	}
	ifs, err := capture.Interfaces()
	if err != nil {
		return "", errors.New(openAdvice(err))
	}
	for _, i := range ifs {
		if i.Name == iface {
			return iface, nil
		}
	}
	if n > len(ifs) {
		return "", fmt.Errorf("no interface number %d: there are %d (hsdecode -D lists them)", n, len(ifs))
	}
	return ifs[n-1].Name, nil
}

// listInterfaces prints the capture interfaces as tcpdump -D does.
func listInterfaces(stdout, stderr io.Writer) int {
	ifs, err := capture.Interfaces()
	if err != nil {
		complain(stderr, openAdvice(err))
		return exitError
	}
	if len(ifs) == 0 {
		fmt.Fprintln(stderr, "hsdecode: no interfaces to capture on (without root, libpcap may list none)")
		return exitError
	}
	for n, i := range ifs {
		fmt.Fprintf(stdout, "%d.%s", n+1, report.Escape(i.Name))
		if i.Description != "" {
			fmt.Fprintf(stdout, " (%s)", report.Escape(i.Description))
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{i.Up, "Up"}, {i.Running, "Running"}, {i.Wireless, "Wireless"}, {i.Loopback, "Loopback"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if i.Status != "" {
			flags = append(flags, strings.ToUpper(i.Status[:1])+i.Status[1:])
		}
		if len(flags) > 0 {
			fmt.Fprintf(stdout, " [%s]", strings.Join(flags, ", "))
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}

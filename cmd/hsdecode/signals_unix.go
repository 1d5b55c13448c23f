//go:build unix

package main

import (
	"os"
	"syscall"
)

// infoSignals make a live capture print a progress line, as SIGUSR1 makes
// tcpdump print its counts on Linux.
var infoSignals = []os.Signal{syscall.SIGUSR1}

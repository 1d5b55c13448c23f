//go:build unix

package main

import (
	"os"
	"syscall"
)

// infoSignals make a live capture print a progress line, as SIGUSR1 makes
// tcpdump print its counts on Linux.
var infoSignals = []os.Signal{syscall.SIGUSR1}

// stopSignals end a live capture cleanly. SIGHUP, which a closed terminal
// or ssh session sends, would otherwise kill the process with the -w file
// cut mid-packet and no summary; with -o it reopens the file instead
// (reopenSignals).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// reopenSignals make a live capture with -o close and reopen its file, as
// logrotate's postrotate signals Suricata.
var reopenSignals = []os.Signal{syscall.SIGHUP}

// pipeSignals are handled during a live capture so that a write to a
// closed standard output (hsdecode -i eth0 | head -1) returns EPIPE
// instead of killing the process (os/signal, "SIGPIPE"): the capture then
// ends as on a stop signal.
var pipeSignals = []os.Signal{syscall.SIGPIPE}

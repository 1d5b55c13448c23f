//go:build !unix

package main

import (
	"os"
	"syscall"
)

// infoSignals: none outside Unix.
var infoSignals []os.Signal

// stopSignals end a live capture cleanly.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// reopenSignals: none outside Unix.
var reopenSignals []os.Signal

// pipeSignals: none outside Unix.
var pipeSignals []os.Signal

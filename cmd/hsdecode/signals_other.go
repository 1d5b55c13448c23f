//go:build !unix

package main

import "os"

// infoSignals: none outside Unix.
var infoSignals []os.Signal

package main

import (
	"fmt"
	"io"
	"os"
)

// isTerminal says w is a terminal (a character device: /dev/null counts
// too, where colour and progress do no harm).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// useColor decides --color: auto colours a terminal unless NO_COLOR is set
// (no-color.org) or TERM is dumb.
func useColor(mode string, stdout io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return isTerminal(stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb", nil
	}
	return false, fmt.Errorf("--color %q: give auto, always or never", mode)
}

// useProgress decides --progress: auto shows it when standard error is a
// terminal and CI is not set (every CI service sets it).
func useProgress(mode string, stderr io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return isTerminal(stderr) && os.Getenv("CI") == "", nil
	}
	return false, fmt.Errorf("--progress %q: give auto, always or never", mode)
}

package main

import (
	"fmt"
	"os"
)

// outputFile is -o's file. Live, it is closed and opened again on SIGHUP
// (reopen), as Suricata does its logs: logrotate moves the file and
// signals, and the report goes on in a new file of the same name. It is
// opened for appending, so that reports written after a SIGHUP that moved
// nothing, or after logrotate's copytruncate, follow what is there
// instead of overwriting it; only the first open empties the file, as a
// shell's > does.
type outputFile struct {
	path string
	f    *os.File
}

// createOutput opens -o's file, refusing one of the inputs: emptying it
// would leave nothing to read.
func createOutput(path string, inputs []string) (*outputFile, error) {
	if fo, err := os.Stat(path); err == nil {
		for _, in := range inputs {
			if fi, err := os.Stat(in); err == nil && os.SameFile(fo, fi) {
				return nil, fmt.Errorf("-o %s: that is an input; give another file", path)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("-o: %w", err)
	}
	return &outputFile{path: path, f: f}, nil
}

func (o *outputFile) Write(b []byte) (int, error) { return o.f.Write(b) }

// reopen closes the file and opens its path again, creating it when it
// was moved away.
func (o *outputFile) reopen() error {
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("-o: closing %s: %w", o.path, err)
	}
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("-o: reopening: %w", err)
	}
	o.f = f
	return nil
}

func (o *outputFile) Close() error { return o.f.Close() }

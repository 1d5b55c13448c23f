package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// captureExts are the file name endings read from a directory given as
// an input.
var captureExts = []string{".pcap", ".pcapng", ".cap"}

// expandInputs turns the inputs as given into capture files: a directory
// stands for the captures directly in it (*.pcap, *.pcapng, *.cap, not in
// subdirectories), sorted by name. dir says a directory was among them.
// A capture in a directory that is not a regular file (a FIFO, a device)
// is skipped with a warning on stderr: opening or reading it could wait
// forever. Given by name, it is read as a stream, as standard input is.
func expandInputs(args []string, stderr io.Writer) (files []string, dir bool, err error) {
	for _, a := range args {
		if a == "-" {
			files = append(files, a)
			continue
		}
		fi, statErr := os.Stat(a)
		if statErr != nil || !fi.IsDir() {
			files = append(files, a) // opening it reports the error
			continue
		}
		dir = true
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, dir, fmt.Errorf("read directory %s: %w", a, err)
		}
		var found []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !slices.Contains(captureExts, ext) || e.IsDir() {
				continue
			}
			path := filepath.Join(a, e.Name())
			// Stat follows a symbolic link to what it names.
			fi, err := os.Stat(path)
			if err == nil && fi.IsDir() {
				continue
			}
			if err == nil && !fi.Mode().IsRegular() {
				fmt.Fprintf(stderr, "hsdecode: warning: %s: skipped, %s; give it by name to read it as a stream\n", path, fileKind(fi.Mode()))
				continue
			}
			found = append(found, path) // a Stat error is reported on opening
		}
		if len(found) == 0 {
			return nil, dir, fmt.Errorf("%s: no captures in the directory (%s)", a, strings.Join(captureExts, ", "))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, dir, nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

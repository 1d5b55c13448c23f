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
// an input, alone or followed by one of compressedExts: a compressed
// capture is told by its first bytes (capture/compressed.go), but a
// directory's other files are not opened to look.
var (
	captureExts    = []string{".pcap", ".pcapng", ".cap"}
	compressedExts = []string{".gz", ".zst", ".zstd", ".xz", ".lz4"}
)

// isCaptureName says a directory's file is read as a capture.
func isCaptureName(name string) bool {
	name = strings.ToLower(name)
	ext := filepath.Ext(name)
	if slices.Contains(compressedExts, ext) {
		ext = filepath.Ext(strings.TrimSuffix(name, ext))
	}
	return slices.Contains(captureExts, ext)
}

// expandInputs turns the inputs as given into capture files: a directory
// stands for the captures directly in it (*.pcap, *.pcapng, *.cap, and
// those compressed: *.pcap.gz, *.pcapng.zst, *.cap.xz, *.pcap.lz4 ...; not
// in subdirectories), sorted by name. dir says a directory was among them.
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
			if !isCaptureName(e.Name()) || e.IsDir() {
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
			return nil, dir, fmt.Errorf("%s: no captures in the directory (%s, compressed or not: %s)", a, strings.Join(captureExts, ", "), strings.Join(compressedExts, ", "))
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

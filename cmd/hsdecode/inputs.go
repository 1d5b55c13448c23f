package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hsdecode/hsdecode/capture"
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

// splitArgs tells the inputs among the arguments from a capture filter
// given after them, as tcpdump -r FILE EXPR takes one: "-" and the paths
// that exist are inputs; the first argument that is neither begins the
// filter, which runs to the end. A name that is surely a file's (a
// capture's ending, or a directory part) is an input even when missing,
// so that a mistyped name is reported as missing, never taken for a
// filter that matches nothing; and a path that exists after the filter
// began is an error, since files and filter cannot be told apart there.
// With -f (filterFlag), every argument is an input.
func splitArgs(args []string, filterFlag bool) (inputs []string, filter string, err error) {
	if filterFlag {
		return args, "", nil
	}
	for i, a := range args {
		if a == "-" || exists(a) || looksLikeFile(a) {
			inputs = append(inputs, a)
			continue
		}
		for _, b := range args[i+1:] {
			if b == "-" || exists(b) {
				return nil, "", fmt.Errorf("%q follows the capture filter that begins at %q: give the inputs first and the filter last, or the filter with -f", b, a)
			}
		}
		return inputs, strings.Join(args[i:], " "), nil
	}
	return inputs, "", nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// looksLikeFile says an argument is a file name: a capture's, or one with
// a directory in it (not a network such as 10.0.0.0/8).
func looksLikeFile(a string) bool {
	if isCaptureName(a) {
		return true
	}
	if _, err := netip.ParsePrefix(a); err == nil {
		return false
	}
	return strings.ContainsRune(a, filepath.Separator)
}

// checkFilter compiles a capture filter on files once before any input is
// read, so that a mistyped one is a usage error; "" is none.
func checkFilter(expr string) (string, error) {
	if expr == "" {
		return "", nil
	}
	err := capture.CheckFilter(expr)
	if errors.Is(err, capture.ErrFilter) {
		first := strings.Fields(expr)[0]
		return "", fmt.Errorf("%w; the filter began at %q, which is no file or directory either", err, first)
	}
	if err != nil {
		return "", err
	}
	return expr, nil
}

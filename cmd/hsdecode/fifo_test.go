//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fifoWriter opens a FIFO for writing, which waits for a reader, writes b
// to it and closes it. The returned function waits for that; should no
// reader have come, it opens the FIFO itself to let the writer go.
func fifoWriter(t *testing.T, path string, b []byte) (wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(b) // the reader may stop reading early: no check
		f.Close()
	}()
	return func() {
		if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-done
			r.Close()
		}
		<-done
	}
}

// TestNonRegularInputs: a FIFO among a directory's captures is skipped with
// a warning, where reading it would have waited for a writer forever; given
// by name, it is read as a stream.
func TestNonRegularInputs(t *testing.T) {
	established := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	capBytes, err := os.ReadFile(established)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.pcap"), capBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "b.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	// Were the FIFO opened, the writer would let it end at once (an
	// empty file: an input error) rather than hang the test.
	wait := fifoWriter(t, fifo, nil)
	var out, errb bytes.Buffer
	status := run([]string{"--format", "json", "--summary", dir}, &out, &errb)
	wait()
	want := "hsdecode: warning: " + fifo + ": skipped, a named pipe (FIFO); give it by name to read it as a stream\n"
	if status != exitOK || errb.String() != want {
		t.Errorf("directory: exit %d, stderr %q; want %d, %q", status, errb.String(), exitOK, want)
	}
	if got := out.String(); !strings.Contains(got, `"file":"`+filepath.Join(dir, "a.pcap")+`"`) || !strings.Contains(got, `{"summary":{"files":1,`) {
		t.Errorf("directory: stdout lacks a.pcap's connection or a summary of one file:\n%s", got)
	}

	wait = fifoWriter(t, fifo, capBytes)
	out.Reset()
	errb.Reset()
	status = run([]string{"--format", "json", fifo}, &out, &errb)
	wait()
	if status != exitOK || errb.Len() > 0 || !strings.Contains(out.String(), `"outcome":"established"`) {
		t.Errorf("by name: exit %d, stderr %q, stdout:\n%s", status, errb.String(), out.String())
	}
}

// lineSignal is a report's standard output that says when its first line
// is written.
type lineSignal struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
}

func (w *lineSignal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 && len(p) > 0 {
		close(w.first)
	}
	return w.buf.Write(p)
}

// TestStreamReportsAsDecided: a capture read from a pipe reports each
// connection as soon as it is decided, as a live capture does, not when
// the pipe closes: here the writer keeps the pipe open until the
// established handshake it wrote has been reported.
func TestStreamReportsAsDecided(t *testing.T) {
	capture, err := os.ReadFile(filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "live.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	out := &lineSignal{first: make(chan struct{})}
	reportedFirst := make(chan bool, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			reportedFirst <- false
			return
		}
		defer f.Close()
		f.Write(capture)
		select {
		case <-out.first:
			reportedFirst <- true
		case <-time.After(20 * time.Second): // it waits for the end: let it come
			reportedFirst <- false
		}
	}()
	var errb bytes.Buffer
	if status := run([]string{"--format", "json", fifo}, out, &errb); status != exitOK {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	if !<-reportedFirst {
		t.Fatal("nothing was reported while the pipe stayed open: the report waited for its end")
	}
	if !strings.Contains(out.buf.String(), `"outcome":"established"`) {
		t.Errorf("report %s, want the established handshake", out.buf.String())
	}
}

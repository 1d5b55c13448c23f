//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/capture"
)

// checkSaved reads a -w file to its end with the capture reader: every
// record whole, and as many as the summary on stderr says were captured.
func checkSaved(t *testing.T, path, stderr string) {
	t.Helper()
	m := regexp.MustCompile(`hsdecode: (\d+) packets captured`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr lacks the packet count:\n%s", stderr)
	}
	want, _ := strconv.Atoi(m[1])
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		if _, err = src.Next(); err != nil {
			break
		}
		n++
	}
	if err != io.EOF {
		t.Errorf("-w file after %d packets: %v", n, err)
	}
	if n != want || n == 0 {
		t.Errorf("-w file has %d packets, the summary says %d captured", n, want)
	}
}

// TestLiveSIGHUP: SIGHUP (a closed terminal or ssh session) ends a capture
// as SIGINT does, with the -w file whole and the summary.
func TestLiveSIGHUP(t *testing.T) {
	needLive(t, "openssl", "curl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	port := freePorts(t, 1)[0]
	saved := filepath.Join(t.TempDir(), "saved.pcap")
	p := startCapture(t, bin, "-i", "lo", "-w", saved, "--format", "json", fmt.Sprintf("tcp port %d", port))
	startServer(t, pki, port)
	runClient(t, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert", pki.ca,
		"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), fmt.Sprintf("https://localhost:%d/", port))
	checkReport(t, "curl", p.report(port, 10*time.Second), "established", "", "")
	if status := p.signalAndWait(syscall.SIGHUP); status != exitOK {
		t.Errorf("exit status %d after SIGHUP, want 0; stderr:\n%s", status, p.stderr)
	}
	errs := p.stderr.String()
	if !strings.Contains(errs, "hsdecode: 1 connection: 1 established") {
		t.Errorf("stderr lacks the outcome counts:\n%s", errs)
	}
	checkSaved(t, saved, errs)
}

// TestLiveStdoutClosed: when the reader of standard output goes (hsdecode
// -i lo | head -1), the capture ends cleanly at the next report: exit
// status as for a stop signal, the counts on stderr, the -w file whole.
func TestLiveStdoutClosed(t *testing.T) {
	needLive(t, "openssl", "curl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	ports := freePorts(t, 2)
	saved := filepath.Join(t.TempDir(), "saved.pcap")
	cmd := exec.Command(bin, "-i", "lo", "-w", saved, "--format", "json",
		fmt.Sprintf("tcp port %d or tcp port %d", ports[0], ports[1]))
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	p := &hsdecodeProc{t: t, cmd: cmd, stderr: newLineBuffer(stderr), exited: make(chan struct{})}
	go func() {
		<-p.stderr.done
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		pr.Close()
		if !p.hasExited() {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	if _, _, ok := p.stderr.wait(0, 15*time.Second, func(l string) bool { return strings.HasPrefix(l, "listening on ") }); !ok {
		t.Fatalf("not listening within 15s; stderr:\n%s", p.stderr)
	}
	curl := func(port int) {
		runClient(t, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert", pki.ca,
			"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), fmt.Sprintf("https://localhost:%d/", port))
	}

	// head -1: one line read, then the pipe closed.
	startServer(t, pki, ports[0])
	curl(ports[0])
	line, err := bufio.NewReader(pr).ReadString('\n')
	var r jsonReport
	if err != nil || json.Unmarshal([]byte(line), &r) != nil || r.Server.Port != ports[0] {
		t.Fatalf("first line %q: %v", line, err)
	}
	pr.Close()
	startServer(t, pki, ports[1])
	curl(ports[1])

	if status := p.waitExit(15 * time.Second); status != exitOK {
		t.Errorf("exit status %d, want 0; stderr:\n%s", status, p.stderr)
	}
	errs := p.stderr.String()
	for _, want := range []string{"hsdecode: standard output closed: capture stopped", "hsdecode: 2 connections: 2 established"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	checkSaved(t, saved, errs)
}

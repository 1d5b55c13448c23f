package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reopenPort is the server port of TestLiveReopen (helper G's range of
// live test ports, 44450-44459).
const reopenPort = 44450

// TestLiveReopen: a live capture with -o, as logrotate handles it: the
// file is renamed and SIGHUP sent; hsdecode goes on capturing into a new
// file of the same name. Both files hold whole JSON lines and, between
// them, every handshake.
func TestLiveReopen(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	cert, err := tls.LoadX509KeyPair(pki.cert, pki.key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", reopenPort), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				// A byte after the handshake, which the client waits
				// for: it closes only once the server has its Finished.
				c.Write([]byte{1})
				c.Close()
			}()
		}
	}()
	handshakes := func(n int) {
		t.Helper()
		for range n {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
				&tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}

	dir := t.TempDir()
	path, rotated := filepath.Join(dir, "hsdecode.json"), filepath.Join(dir, "hsdecode.json.1")
	p := startCapture(t, bin, "-i", "lo", "--format", "json", "-o", path, fmt.Sprintf("tcp port %d", reopenPort))
	handshakes(3)
	waitLines(t, path, 3)
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLines(t, path, 0) // the new file, made by the reopen
	if p.hasExited() {
		t.Fatalf("SIGHUP with -o ended the capture; stderr:\n%s", p.stderr)
	}
	handshakes(3)
	waitLines(t, path, 3)
	if status := p.signalAndWait(os.Interrupt); status != exitOK {
		t.Errorf("exit %d; stderr:\n%s", status, p.stderr)
	}
	if out := p.stdout.String(); out != "" {
		t.Errorf("standard output %q, want nothing: the report goes to -o", out)
	}
	first, second := readLines(t, rotated), readLines(t, path)
	clients := map[string]bool{}
	for name, lines := range map[string][]string{rotated: first, path: second} {
		if len(lines) != 3 {
			t.Errorf("%s: %d lines, want 3:\n%s", name, len(lines), strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			var r struct {
				Outcome string `json:"outcome"`
				Client  struct {
					Port int `json:"port"`
				} `json:"client"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil || r.Outcome != "established" {
				t.Errorf("%s: line %.80q...: %v, outcome %q", name, l, err, r.Outcome)
			}
			clients[fmt.Sprint(r.Client.Port)] = true
		}
	}
	if len(clients) != 6 {
		t.Errorf("%d handshakes reported, want 6 distinct", len(clients))
	}
}

// waitLines waits until the file exists and holds at least n whole lines.
// A line may be read half written while hsdecode writes it: only newlines
// are counted here; readLines, once hsdecode has ended, is strict.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			if bytes.Count(b, []byte{'\n'}) >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %d lines within 15s", path, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLines returns the whole lines of a file: a line not ended by a
// newline is an error.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s ends in a cut line: %q", path, b)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startDTLSServer starts OpenSSL's DTLS 1.2 server for one connection,
// its standard input held open (s_server stops at its end).
func startDTLSServer(t *testing.T, pki testPKI, port int, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	all := append([]string{"s_server", "-dtls1_2", "-listen", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", pki.cert, "-key", pki.key,
		"-naccept", "1"}, args...)
	cmd := exec.CommandContext(ctx, "openssl", all...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
	})
	lines := newLineBuffer(out)
	if _, _, ok := lines.wait(0, 10*time.Second, func(l string) bool { return strings.Contains(l, "ACCEPT") }); !ok {
		t.Fatalf("openssl %s: not accepting within 10s: %s", strings.Join(all, " "), lines)
	}
}

// TestLiveDTLS: DTLS handshakes over UDP are reported live as they are
// decided, as TCP ones are: one established after the cookie exchange,
// one the server refuses for want of a common cipher suite.
func TestLiveDTLS(t *testing.T) {
	needLive(t, "openssl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	ports := freePorts(t, 2)
	ok, noCipher := ports[0], ports[1]
	p := startCapture(t, bin, "-i", "lo", "-f", fmt.Sprintf("udp port %d or udp port %d", ok, noCipher), "--format", "json")
	const wait = 10 * time.Second

	startDTLSServer(t, pki, ok)
	runClient(t, "openssl", "s_client", "-dtls1_2", "-connect", fmt.Sprintf("127.0.0.1:%d", ok), "-CAfile", pki.ca)
	checkReport(t, "DTLS 1.2", p.report(ok, wait), "established", "DTLS 1.2", "")

	startDTLSServer(t, pki, noCipher, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
	runClient(t, "openssl", "s_client", "-dtls1_2", "-connect", fmt.Sprintf("127.0.0.1:%d", noCipher), "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
	checkReport(t, "DTLS no shared cipher", p.report(noCipher, wait), "alert", "", "server fatal handshake_failure")

	// Both were reported at their verdict: none is left for the end.
	if lines := p.stdout.snapshot(); len(lines) != 2 {
		t.Errorf("%d reports before SIGINT, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if status := p.signalAndWait(os.Interrupt); status != exitFindings {
		t.Errorf("exit status %d after SIGINT, want %d (an alert was reported); stderr:\n%s", status, exitFindings, p.stderr)
	}
}

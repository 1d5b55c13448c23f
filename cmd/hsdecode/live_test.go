package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/pipeline"
)

// Live tests capture on lo with a filter for the test's own ports while
// real OpenSSL and curl clients and servers handshake, and read hsdecode's
// reports as they come. They need root (CI runs as root), openssl and
// curl (scripts/deps.sh installs them), and a cgo build; otherwise they
// skip and say why. Every process they start has a deadline.

// jsonReport is the part of a JSON report line the live tests check.
type jsonReport struct {
	Outcome string `json:"outcome"`
	Version string `json:"version"`
	Server  struct {
		Port int `json:"port"`
	} `json:"server"`
	ServerName        string `json:"server_name"`
	ClientCertificate string `json:"client_certificate"`
	Closed            string `json:"closed"`
	Alerts            []struct {
		From        string `json:"from"`
		Level       string `json:"level"`
		Description string `json:"description"`
		Encrypted   bool   `json:"encrypted"`
	} `json:"alerts"`
}

// needLive skips unless live capture can run here.
func needLive(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (CI runs them as root); skipped")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (scripts/deps.sh installs it); skipped", tool)
		}
	}
}

// buildHsdecode builds the command into a temporary directory the test's
// subprocesses (and the unprivileged user) can run it from.
func buildHsdecode(t *testing.T, env ...string) string {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir makes dir inside a directory of its own, mode 0700.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "hsdecode")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// needCgoBinary skips when the binary was built without libpcap.
func needCgoBinary(t *testing.T, bin string) {
	t.Helper()
	out, _ := exec.Command(bin, "-D").CombinedOutput()
	if strings.Contains(string(out), "needs a build with cgo") {
		t.Skip("hsdecode was built without cgo (CGO_ENABLED=0); live capture needs libpcap")
	}
}

// freePorts returns n distinct TCP ports free on 127.0.0.1 just now, below
// Linux's ephemeral range (32768 and up), so that no client's source port
// falls under the test's capture filter.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for try := 0; len(ports) < n && try < 1000; try++ {
		port := 20000 + mathrand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	if len(ports) < n {
		t.Fatalf("found only %d free ports in 20000-31999", len(ports))
	}
	return ports
}

// testPKI is a throwaway CA and a server certificate for localhost and
// 127.0.0.1, as PEM files.
type testPKI struct{ ca, cert, key string }

func makePKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hsdecode live test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "server.pem"), key: filepath.Join(dir, "server.key")}
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{p.ca, "CERTIFICATE", caDER}, {p.cert, "CERTIFICATE", der}, {p.key, "PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// lineBuffer collects a process's output lines as they are written.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // signalled at each line
	done  chan struct{} // closed at EOF
}

func newLineBuffer(r io.Reader) *lineBuffer {
	b := &lineBuffer{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			b.mu.Lock()
			b.lines = append(b.lines, sc.Text())
			b.mu.Unlock()
			select {
			case b.more <- struct{}{}:
			default:
			}
		}
	}()
	return b
}

func (b *lineBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

func (b *lineBuffer) String() string { return strings.Join(b.snapshot(), "\n") }

// wait returns the first line from index from on that match accepts, and
// its index, waiting up to timeout for it.
func (b *lineBuffer) wait(from int, timeout time.Duration, match func(string) bool) (string, int, bool) {
	deadline := time.After(timeout)
	for {
		lines := b.snapshot()
		for i := from; i < len(lines); i++ {
			if match(lines[i]) {
				return lines[i], i, true
			}
		}
		select {
		case <-b.more:
		case <-b.done:
			// One last look: the line may have come with EOF.
			for i, l := range b.snapshot() {
				if i >= from && match(l) {
					return l, i, true
				}
			}
			return "", 0, false
		case <-deadline:
			return "", 0, false
		}
	}
}

// hsdecodeProc is a running live capture.
type hsdecodeProc struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr *lineBuffer
	exited         chan struct{}
	waitErr        error
}

// startCapture runs hsdecode with args and waits until it says it is
// listening. It is killed at the end of the test if still running.
func startCapture(t *testing.T, bin string, args ...string) *hsdecodeProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &hsdecodeProc{t: t, cmd: cmd, stdout: newLineBuffer(stdout), stderr: newLineBuffer(stderr), exited: make(chan struct{})}
	go func() {
		<-p.stdout.done
		<-p.stderr.done
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.hasExited() {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	if _, _, ok := p.stderr.wait(0, 15*time.Second, func(l string) bool { return strings.HasPrefix(l, "listening on ") }); !ok {
		t.Fatalf("hsdecode %s: not listening within 15s; stderr:\n%s", strings.Join(args, " "), p.stderr)
	}
	return p
}

func (p *hsdecodeProc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// report waits for the JSON report of the connection to a server port,
// and checks that hsdecode is still capturing when it comes.
func (p *hsdecodeProc) report(port int, timeout time.Duration) jsonReport {
	p.t.Helper()
	r := p.find(port, timeout)
	if p.hasExited() {
		p.t.Fatalf("report for port %d came only after hsdecode exited", port)
	}
	return r
}

// find waits for the JSON report of the connection to a server port.
func (p *hsdecodeProc) find(port int, timeout time.Duration) jsonReport {
	p.t.Helper()
	var r jsonReport
	line, _, ok := p.stdout.wait(0, timeout, func(l string) bool {
		var x jsonReport
		return json.Unmarshal([]byte(l), &x) == nil && x.Server.Port == port
	})
	if !ok {
		p.t.Fatalf("no report for server port %d within %v; stdout:\n%s\nstderr:\n%s", port, timeout, p.stdout, p.stderr)
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		p.t.Fatal(err)
	}
	return r
}

// signalAndWait signals hsdecode and waits for it to exit, returning its
// exit status.
func (p *hsdecodeProc) signalAndWait(sig os.Signal) int {
	p.t.Helper()
	if sig != nil {
		if err := p.cmd.Process.Signal(sig); err != nil {
			p.t.Fatal(err)
		}
	}
	return p.waitExit(15 * time.Second)
}

func (p *hsdecodeProc) waitExit(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("hsdecode still running %v later; stderr:\n%s", timeout, p.stderr)
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.t.Fatalf("hsdecode killed by %v, not a clean exit; stderr:\n%s", ws.Signal(), p.stderr)
		}
		return ee.ExitCode()
	}
	if p.waitErr != nil {
		p.t.Fatal(p.waitErr)
	}
	return 0
}

// startServer runs openssl s_server for one connection on 127.0.0.1:port,
// waiting until it accepts.
func startServer(t *testing.T, pki testPKI, port int, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	all := append([]string{"s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port), "-cert", pki.cert, "-key", pki.key,
		"-www", "-naccept", "1"}, args...)
	cmd := exec.CommandContext(ctx, "openssl", all...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	lines := newLineBuffer(out)
	if _, _, ok := lines.wait(0, 10*time.Second, func(l string) bool { return strings.Contains(l, "ACCEPT") }); !ok {
		t.Fatalf("openssl %s: not accepting within 10s: %s %s", strings.Join(all, " "), lines, errb.String())
	}
}

// runClient runs a TLS client to completion (its failure is expected for
// some scenarios), with a deadline.
func runClient(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no end within 20s:\n%s", name, strings.Join(args, " "), out)
	}
	t.Logf("%s %s: %v", name, strings.Join(args, " "), err)
}

// hangingHandshake starts a TLS handshake with a server that never answers
// the ClientHello, and leaves it open until the test ends.
func hangingHandshake(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
			io.Copy(io.Discard, c)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	go tls.Client(conn, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}).Handshake()
	t.Cleanup(func() {
		conn.Close()
		ln.Close()
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})
}

func checkReport(t *testing.T, name string, r jsonReport, outcome, version, alert string) {
	t.Helper()
	if r.Outcome != outcome || version != "" && r.Version != version {
		t.Errorf("%s: outcome %q version %q, want %q %q", name, r.Outcome, r.Version, outcome, version)
	}
	if alert == "" {
		if len(r.Alerts) > 0 {
			t.Errorf("%s: unexpected alerts %+v", name, r.Alerts)
		}
		return
	}
	var got []string
	for _, a := range r.Alerts {
		if a.Encrypted {
			got = append(got, a.From+" encrypted")
		} else {
			got = append(got, a.From+" "+a.Level+" "+a.Description)
		}
	}
	if !contains(got, alert) {
		t.Errorf("%s: alerts %q lack %q", name, got, alert)
	}
}

// TestLiveCapture: every handshake is reported while the capture runs,
// the connection left open is reported at SIGINT, and the exit is clean.
func TestLiveCapture(t *testing.T) {
	needLive(t, "openssl", "curl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	ports := freePorts(t, 6)
	tls13, curl12, noCipher, mtls12, mtls13, hang := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	var filter []string
	for _, p := range ports {
		filter = append(filter, fmt.Sprintf("tcp port %d", p))
	}
	p := startCapture(t, bin, "-i", "lo", "-f", strings.Join(filter, " or "), "--format", "json")
	connect := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	const wait = 10 * time.Second

	startServer(t, pki, tls13, "-tls1_3")
	runClient(t, "openssl", "s_client", "-connect", connect(tls13), "-servername", "localhost", "-CAfile", pki.ca, "-tls1_3")
	checkReport(t, "TLS 1.3", p.report(tls13, wait), "established", "TLS 1.3", "")

	startServer(t, pki, curl12)
	runClient(t, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--tlsv1.2", "--tls-max", "1.2", "--cacert", pki.ca,
		"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", curl12), fmt.Sprintf("https://localhost:%d/", curl12))
	r := p.report(curl12, wait)
	checkReport(t, "curl TLS 1.2", r, "established", "TLS 1.2", "")
	if r.ServerName != "localhost" {
		t.Errorf("curl TLS 1.2: server_name %q", r.ServerName)
	}

	startServer(t, pki, noCipher, "-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
	runClient(t, "openssl", "s_client", "-connect", connect(noCipher), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
	checkReport(t, "no shared cipher", p.report(noCipher, wait), "alert", "", "server fatal handshake_failure")

	startServer(t, pki, mtls12, "-no_tls1_3", "-Verify", "1", "-CAfile", pki.ca)
	runClient(t, "openssl", "s_client", "-connect", connect(mtls12), "-tls1_2", "-CAfile", pki.ca)
	r = p.report(mtls12, wait)
	checkReport(t, "mTLS 1.2 without client certificate", r, "alert", "TLS 1.2", "server fatal handshake_failure")
	if r.ClientCertificate != "empty" {
		t.Errorf("mTLS 1.2: client_certificate %q, want empty", r.ClientCertificate)
	}

	// TLS 1.3 refuses the missing certificate with an encrypted alert,
	// recognised when the connection closes.
	startServer(t, pki, mtls13, "-tls1_3", "-Verify", "1", "-CAfile", pki.ca)
	runClient(t, "openssl", "s_client", "-connect", connect(mtls13), "-tls1_3", "-CAfile", pki.ca)
	checkReport(t, "mTLS 1.3 without client certificate", p.report(mtls13, wait), "alert", "TLS 1.3", "server encrypted")

	hangingHandshake(t, hang)
	time.Sleep(500 * time.Millisecond) // the ClientHello is on its way
	if lines := p.stdout.snapshot(); len(lines) != 5 {
		t.Errorf("%d reports before SIGINT, want 5 (the hanging handshake has no verdict):\n%s", len(lines), strings.Join(lines, "\n"))
	}

	status := p.signalAndWait(os.Interrupt)
	if status != exitFindings {
		t.Errorf("exit status %d after SIGINT, want %d (alerts were reported); stderr:\n%s", status, exitFindings, p.stderr)
	}
	r = p.find(hang, time.Second)
	if r.Outcome != "incomplete" || r.Closed != "capture_end" {
		t.Errorf("hanging handshake: outcome %q closed %q, want incomplete at capture_end", r.Outcome, r.Closed)
	}
	errs := p.stderr.String()
	for _, want := range []string{
		"hsdecode: 6 connections: 1 incomplete, 2 established, 3 alert", // as the text writer orders them
		"packets captured", "dropped by kernel", "dropped by interface",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	for _, l := range p.stdout.snapshot() {
		if !json.Valid([]byte(l)) {
			t.Errorf("standard output is not only JSON lines: %q", l)
		}
	}
}

// TestLiveIdleTimeoutAndCount: a handshake that stalls is reported when
// it has been idle for --idle-timeout, by wall time, with no packet to
// bring the time, on one worker and on several; -c 1 then ends the
// capture by itself.
func TestLiveIdleTimeoutAndCount(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	for _, workers := range []string{"1", "3"} {
		t.Run("workers="+workers, func(t *testing.T) {
			port := freePorts(t, 1)[0]
			p := startCapture(t, bin, "-i", "lo", "--format", "json", "--idle-timeout", "2s", "-c", "1", "--workers", workers, fmt.Sprintf("tcp port %d", port))
			start := time.Now()
			hangingHandshake(t, port)
			r := p.find(port, 10*time.Second) // -c 1: hsdecode exits right after it
			if r.Outcome != "incomplete" || r.Closed != "idle" {
				t.Errorf("outcome %q closed %q, want incomplete, idle", r.Outcome, r.Closed)
			}
			if d := time.Since(start); d < 2*time.Second {
				t.Errorf("reported idle after %v, before --idle-timeout", d)
			}
			if status := p.waitExit(10 * time.Second); status != exitOK {
				t.Errorf("exit status %d after -c 1, want 0; stderr:\n%s", status, p.stderr)
			}
			if errs := p.stderr.String(); !strings.Contains(errs, "hsdecode: 1 connection: 1 incomplete") {
				t.Errorf("stderr lacks the summary:\n%s", errs)
			}
		})
	}
}

// TestLiveWriteAndDuration: -w keeps the packets, which give the same
// verdict read back; --duration ends the capture by itself; the text
// report keeps its summary line.
func TestLiveWriteAndDuration(t *testing.T) {
	needLive(t, "openssl", "curl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	port := freePorts(t, 1)[0]
	saved := filepath.Join(t.TempDir(), "saved.pcap")
	p := startCapture(t, bin, "-i", "lo", "-w", saved, "--duration", "4s", fmt.Sprintf("tcp port %d", port))
	startServer(t, pki, port)
	runClient(t, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert", pki.ca,
		"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", port), fmt.Sprintf("https://localhost:%d/", port))
	if _, _, ok := p.stdout.wait(0, 10*time.Second, func(l string) bool { return strings.Contains(l, "ESTABLISHED") }); !ok || p.hasExited() {
		t.Fatalf("no ESTABLISHED report while capturing; stdout:\n%s", p.stdout)
	}
	if status := p.waitExit(15 * time.Second); status != exitOK {
		t.Errorf("exit status %d after --duration, want 0; stderr:\n%s", status, p.stderr)
	}
	if out := p.stdout.String(); !strings.HasSuffix(out, "1 connection: 1 established") {
		t.Errorf("text report does not end in its summary:\n%s", out)
	}
	var out, errb bytes.Buffer
	if status := run([]string{"-r", saved, "--format", "json"}, &out, &errb); status != exitOK {
		t.Fatalf("reading back %s: exit %d: %s", saved, status, errb.String())
	}
	var r jsonReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Outcome != "established" || r.Server.Port != port {
		t.Errorf("read back: %v %+v", err, r)
	}
}

// TestLiveSIGTERM: SIGTERM ends a capture as SIGINT does.
func TestLiveSIGTERM(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	port := freePorts(t, 1)[0]
	p := startCapture(t, bin, "-i", "lo", fmt.Sprintf("tcp port %d", port))
	if status := p.signalAndWait(syscall.SIGTERM); status != exitOK {
		t.Errorf("exit status %d, want 0", status)
	}
	if out := p.stdout.String(); out != "0 connections" {
		t.Errorf("stdout %q", out)
	}
	if errs := p.stderr.String(); !strings.Contains(errs, "0 dropped by kernel") {
		t.Errorf("stderr lacks the capture counts:\n%s", errs)
	}
}

// TestLiveInterfaces: -D lists lo; an unknown interface, a bad filter and
// a user without the right to capture each get one line saying what to do.
func TestLiveInterfaces(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	out, err := exec.Command(bin, "-D").Output()
	if err != nil || !strings.Contains(string(out), ".lo ") {
		t.Errorf("-D: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name string
		args []string
		uid  uint32
		want []string
	}{
		{"unknown interface", []string{"-i", "nosuchif0"}, 0, []string{"nosuchif0", "no such interface", "lo"}},
		{"bad filter", []string{"-i", "lo", "tcp", "prot", "443"}, 0, []string{"bad capture filter", "tcp prot 443"}},
		{"no permission", []string{"-i", "lo"}, 65534, []string{"no permission", "root", "setcap cap_net_raw,cap_net_admin+eip " + bin}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			if tt.uid != 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: tt.uid, Gid: tt.uid}}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitError {
				t.Errorf("exit: %v, want status %d", err, exitError)
			}
			if strings.Count(stderr.String(), "\n") != 1 || stdout.Len() > 0 {
				t.Errorf("want one line on stderr, nothing on stdout; got %q, %q", stderr.String(), stdout.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
		})
	}
}

// TestNoCgoBuild: a binary built without cgo says live capture needs the
// libpcap build.
func TestNoCgoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hsdecode")
	}
	bin := buildHsdecode(t, "CGO_ENABLED=0")
	for _, args := range [][]string{{"-i", "lo"}, {"-D"}} {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitError ||
			!strings.Contains(stderr.String(), "live capture needs a build with cgo and libpcap") || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: %v %q", args, err, stderr.String())
		}
	}
	// A capture filter on files is compiled by libpcap too.
	var stderr bytes.Buffer
	cmd := exec.Command(bin, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"), "port", "443")
	cmd.Stderr = &stderr
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != exitError || stderr.String() != "hsdecode: capture: filters need libpcap (this binary was built with CGO_ENABLED=0)\n" {
		t.Errorf("a filter on a file: %v %q", err, stderr.String())
	}
}

// TestLiveUsage: live-only options without -i, and conflicting ones, are
// usage errors of one line.
func TestLiveUsage(t *testing.T) {
	established := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", established, "-c", "3"}, "--count is for live capture"},
		{[]string{"-r", established, "-w", "x.pcap"}, "--write is for live capture"},
		{[]string{"-r", established, "-f", "port 44301", "nope.pcap"}, "nope.pcap: no such file"}, // with -f, arguments are inputs
		{[]string{"-i", "lo", "-r", established}, "not both"},
		{[]string{"-i", "lo", "-f", "port 443", "port", "8443"}, "not both"},
		{[]string{"-i", "lo", "-w", "-"}, "standard output"},
		{[]string{"-i", "lo", "-c", "-1"}, "-c -1"},
		{[]string{"-i", "lo", "-s", "1000000"}, "snap length"},
		{[]string{"-i", "lo", "--workers", "0"}, "--workers 0: give 1 to"},
		{[]string{"-r", established, "--workers", "0"}, "--workers 0: give 1 to"},
	} {
		var out, errb bytes.Buffer
		if status := run(tt.args, &out, &errb); status != exitError || !strings.Contains(errb.String(), tt.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, status, errb.String(), exitError, tt.want)
		}
	}
}

// fakeLive is a capture.Live with fixed counters, for the summary lines.
type fakeLive struct{ st capture.LiveStats }

func (f *fakeLive) Next() (capture.Packet, error)       { return capture.Packet{}, io.EOF }
func (f *fakeLive) Poll() (capture.Packet, bool, error) { return capture.Packet{}, false, io.EOF }
func (f *fakeLive) Close() error                        { return nil }
func (f *fakeLive) Stop()                               {}
func (f *fakeLive) Stats() (capture.LiveStats, error)   { return f.st, nil }
func (f *fakeLive) Info() capture.LiveInfo              { return capture.LiveInfo{Interface: "fake0"} }

// TestLiveDropsReported: kernel and interface drops are in the progress
// line and the summary, and the summary says what they mean for verdicts;
// the JSON format gets the outcome counts on standard error.
func TestLiveDropsReported(t *testing.T) {
	var stderr bytes.Buffer
	st := capture.LiveStats{Received: 120, Dropped: 7, IfDropped: 2}
	l := &liveRun{cfg: liveConfig{countsOnStderr: true}, stderr: &stderr, src: &fakeLive{st},
		pipe: pipeline.New(pipeline.Options{Order: pipeline.DecisionOrder}), packets: 100, outcomes: map[flows.Outcome]int{}}
	l.progress(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	l.reported, l.outcomes[flows.OutcomeEstablished], l.outcomes[flows.OutcomeAlert] = 3, 2, 1
	l.summary(st, nil)
	want := "hsdecode: 03:04:05Z: 100 packets, 7 dropped by kernel, 2 dropped by interface; 0 connections reported, 0 awaiting a verdict\n" +
		"hsdecode: 3 connections: 1 alert, 2 established\n" +
		"hsdecode: 100 packets captured, 120 received by filter, 7 dropped by kernel, 2 dropped by interface\n" +
		"hsdecode: 9 packets were dropped before hsdecode saw them: a connection that lost one may be reported gap or incomplete (a larger -B or a narrower filter helps)\n"
	if got := stderr.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

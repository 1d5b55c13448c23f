package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/internal/rewrite"
)

// emptyPcap writes a capture with no packet at all, what tcpdump leaves
// when the tests' traffic went elsewhere.
func emptyPcap(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "empty.pcap")
	if err := rewrite.WriteFile(path, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMinConnections: the gate fails closed. Under --fail-on, --junit,
// --baseline or --annotations an input without a TLS connection fails
// the run (exit 1, one line saying what to do), as does a run with fewer
// than --min-connections; without them, it is a note and exit 0.
func TestMinConnections(t *testing.T) {
	empty := emptyPcap(t)
	three := filepath.Join(pcapDir, "65-diag-alpn.pcap") // 3 TLS connections
	plain := filepath.Join(pcapDir, "28-plaintext-to-tls-port.pcap")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string // the one line on standard error; "" for none
	}{
		{"a person's run: a note", []string{empty}, exitOK, "hsdecode: note: " + empty + ": no TLS connection in 0 packets"},
		{"--fail-on: fails", []string{"--fail-on", "all", empty}, exitFindings, "hsdecode: gate: " + empty + ": no TLS connection in 0 packets; check that the capture holds the tests' traffic (interface, ports, filter), or give --min-connections 0"},
		{"--fail-on default given: fails", []string{"--fail-on", "violation,alert", empty}, exitFindings, "no TLS connection"},
		{"--junit: fails", []string{"--junit", junit, empty}, exitFindings, "hsdecode: gate: "},
		{"--annotations: fails", []string{"--annotations", "github", empty}, exitFindings, "::error title=hsdecode min_connections::gate: "},
		{"--min-connections 0 turns it off", []string{"--fail-on", "all", "--min-connections", "0", empty}, exitOK, "note: "},
		{"one input of two empty", []string{"--fail-on", "alert", three, empty}, exitFindings, "gate: " + empty},
		{"not TLS is no TLS connection", []string{"--fail-on", "alert", plain}, exitFindings, "no TLS connection in 10 packets"},
		{"enough", []string{"--fail-on", "none", "--min-connections", "3", three}, exitOK, ""},
		{"too few", []string{"--fail-on", "none", "--min-connections", "4", three}, exitFindings, "hsdecode: gate: 3 TLS connections, fewer than --min-connections 4; check that the capture holds the tests' traffic (interface, ports, filter), or lower --min-connections"},
		{"negative", []string{"--min-connections", "-1", three}, exitError, "hsdecode: --min-connections -1: give 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if status := run(tt.args, &out, &errb); status != tt.status {
				t.Errorf("exit %d, want %d; stderr %s", status, tt.status, errb.String())
			}
			lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
			if errb.Len() == 0 {
				lines = nil
			}
			var gate []string
			for _, l := range lines {
				if !strings.HasPrefix(l, "::") {
					gate = append(gate, l)
				}
			}
			switch {
			case tt.stderr == "" && len(lines) > 0:
				t.Errorf("stderr %q, want nothing", errb.String())
			case tt.stderr != "" && (len(gate) != 1 || !strings.Contains(errb.String(), tt.stderr)):
				t.Errorf("stderr %q, want one line with %q", errb.String(), tt.stderr)
			}
		})
	}
	// The JUnit file says why the job failed: a failing test case in the
	// empty input's suite.
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`<failure type="min_connections" message="gate: `+empty)) {
		t.Errorf("the JUnit file has no failure for the empty input:\n%s", data)
	}
}

// testCaseNames lists a JUnit file's test case names, suite by suite.
func testCaseNames(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, s := range doc.Suites {
		for _, c := range s.Cases {
			names = append(names, string(rune('a'+i))+" "+c.Name)
		}
	}
	return names
}

// TestStableAcrossRuns: the same tests recorded twice, their clients on
// other ephemeral ports the second time (scripts/rewrite-capture
// -client-ports), give the same JUnit test names, so that a CI system
// keeps each test's history, and compare with each other's JSON report as
// a baseline without a change.
func TestStableAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	var first, second []string
	for _, name := range []string{"64-diag-nothing-in-common.pcap", "65-diag-alpn.pcap", "18-ipv6-tls13.pcap"} {
		in := filepath.Join(pcapDir, name)
		pkts, err := rewrite.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		again := filepath.Join(dir, name)
		if err := rewrite.WriteFile(again, rewrite.ShiftClientPorts(pkts, 1000)); err != nil {
			t.Fatal(err)
		}
		first, second = append(first, in), append(second, again)
	}
	j1, j2 := filepath.Join(dir, "first.xml"), filepath.Join(dir, "second.xml")
	base := filepath.Join(dir, "first.jsonl")
	var out1, out2, errb bytes.Buffer
	run(append([]string{"--format", "json", "--junit", j1}, first...), &out1, &errb)
	run(append([]string{"--format", "json", "--junit", j2}, second...), &out2, &errb)
	clientPort := regexp.MustCompile(`"client":\{"ip":"[^"]*","port":\d+`)
	p1, p2 := clientPort.FindAllString(out1.String(), -1), clientPort.FindAllString(out2.String(), -1)
	if len(p1) != 13 || len(p1) != len(p2) {
		t.Fatalf("%d and %d connections, want 13 each", len(p1), len(p2))
	}
	for i := range p1 {
		if p1[i] == p2[i] {
			t.Fatalf("connection %d has the same client in both runs: %s", i+1, p1[i])
		}
	}
	n1, n2 := testCaseNames(t, j1), testCaseNames(t, j2)
	if strings.Join(n1, "\n") != strings.Join(n2, "\n") {
		t.Errorf("test names differ between the runs:\n%s\n---\n%s", strings.Join(n1, "\n"), strings.Join(n2, "\n"))
	}
	for _, want := range []string{"a 127.0.0.1:44417 sni=localhost #1", "a 127.0.0.1:44417 sni=localhost #6", "a 127.0.0.1:44418 sni=localhost #3", "b 127.0.0.1:44419 sni=localhost #3", "c [::1]:44318 sni=localhost #1"} {
		if !contains(n1, want) {
			t.Errorf("no test named %q: %q", want, n1)
		}
	}
	if err := os.WriteFile(base, out1.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	var out bytes.Buffer
	if status := run(append([]string{"--baseline", base}, second...), &out, &errb); status != exitOK {
		t.Errorf("exit %d against the first run's baseline, want 0: %s", status, errb.String())
	}
	if !strings.Contains(out.String(), "baseline: 0 worse, 0 other changes") {
		t.Errorf("the comparison is not clean:\n%s", out.String())
	}
}

// hostileSNI tries to end an annotation's line and start workflow
// commands of its own, and to smuggle an escaped line break past them.
const hostileSNI = "x\n::set-output name=pwned::1\r\n::error title=a,b::injected%0A::warning::y"

// sniAlerted is a connection whose ClientHello names sni and whose server
// answers with a fatal handshake_failure alert.
func sniAlerted(sni string, port uint16) *synthConn {
	u16 := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	list := append(u16(len(sni)+3), 0)
	list = append(append(list, u16(len(sni))...), sni...)
	exts := append(append(u16(0), u16(len(list))...), list...)
	ch := append([]byte{3, 3}, make([]byte, 32)...)
	ch = append(ch, 0, 0, 2, 0xc0, 0x2b, 1, 0)
	ch = append(append(ch, u16(len(exts))...), exts...)
	c := newSynthConn(port)
	c.send(true, tlsRecord(22, handshakeMsg(1, ch)))
	c.send(false, tlsRecord(21, []byte{2, 40}))
	return c
}

// TestGitHubAnnotations: --annotations github writes an ::error workflow
// command per finding and a ::warning per failed handshake --fail-on did
// not select, on standard error (standard output keeps the format), each
// on one line whatever the capture holds: a hostile SNI starts no command
// of its own.
func TestGitHubAnnotations(t *testing.T) {
	capFile := writePcap(t, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"), []*synthConn{sniAlerted(hostileSNI, 40222)})
	for _, tt := range []struct {
		failOn string
		status int
		want   string
	}{
		{"alert", exitFindings, `::error title=hsdecode alert::`},
		{"violation", exitOK, `::warning title=hsdecode alert::`},
	} {
		var out, errb bytes.Buffer
		if status := run([]string{"--annotations", "github", "--format", "json", "--fail-on", tt.failOn, capFile}, &out, &errb); status != tt.status {
			t.Errorf("--fail-on %s: exit %d, want %d: %s", tt.failOn, status, tt.status, errb.String())
		}
		if strings.HasPrefix(out.String(), "::") || strings.Contains(out.String(), "\n::") {
			t.Errorf("--fail-on %s: annotations on standard output:\n%s", tt.failOn, out.String())
		}
		var commands []string
		for _, l := range strings.Split(errb.String(), "\n") {
			if strings.HasPrefix(l, "::") {
				commands = append(commands, l)
			}
		}
		if len(commands) != 1 || !strings.HasPrefix(commands[0], tt.want) {
			t.Fatalf("--fail-on %s: commands %q, want one starting %q", tt.failOn, commands, tt.want)
		}
		c := commands[0]
		if strings.ContainsAny(c, "\r\x1b") {
			t.Errorf("a control character in %q", c)
		}
		// The SNI's own "%0A" must reach the annotation as those three
		// characters, not as the line break the runner decodes it to.
		if !strings.Contains(c, "injected%250A") || strings.Contains(c, "injected%0A") {
			t.Errorf("the SNI's %%0A is not escaped: %q", c)
		}
		if !strings.Contains(c, "::10.9.0.2:443 sni=x") {
			t.Errorf("the annotation does not name the server and SNI: %q", c)
		}
	}
}

// TestCIExamples runs scripts/ci-examples.sh: the README's GitHub Actions
// workflow, with action.yml, and its GitLab CI job, with the template,
// run as their runners would in fake user repositories.
func TestCIExamples(t *testing.T) {
	if err := exec.Command("python3", "-c", "import yaml").Run(); err != nil {
		t.Skip("python3 with yaml not installed (Debian python3-yaml; scripts/deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "scripts/ci-examples.sh")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("scripts/ci-examples.sh: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "as expected"); n != 6 {
		t.Errorf("%d runs as expected, want 6:\n%s", n, out)
	}
}

// TestGitHubAnnotationsBaseline: a change for the worse of a baseline is
// an ::error annotation of its own.
func TestGitHubAnnotationsBaseline(t *testing.T) {
	capFile := filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")
	var b bytes.Buffer
	run([]string{"--format", "json", capFile}, &b, io.Discard)
	base := filepath.Join(t.TempDir(), "base.jsonl")
	if err := os.WriteFile(base, bytes.Replace(b.Bytes(), []byte(`"outcome":"alert"`), []byte(`"outcome":"established"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if status := run([]string{"--annotations", "github", "--baseline", base, capFile}, &out, &errb); status != exitFindings {
		t.Errorf("exit %d, want %d", status, exitFindings)
	}
	if !strings.Contains(errb.String(), "\n::error title=hsdecode baseline-outcome::WORSE 127.0.0.1:44307 sni=localhost (outcome): 1 connection(s) alert") {
		t.Errorf("no baseline annotation:\n%s", errb.String())
	}
}

// TestLiveGateFailsClosed: a live capture under --fail-on that saw no TLS
// connection fails when it ends, as a capture file would.
func TestLiveGateFailsClosed(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	p := startCapture(t, bin, "-i", "lo", "-f", "tcp port 44492", "--duration", "1s", "--fail-on", "alert")
	if status := p.waitExit(15 * time.Second); status != exitFindings {
		t.Errorf("exit %d, want %d; stderr:\n%s", status, exitFindings, p.stderr)
	}
	if _, _, ok := p.stderr.wait(0, time.Second, func(l string) bool {
		return strings.HasPrefix(l, "hsdecode: gate: interface lo: no TLS connection in 0 packets;")
	}); !ok {
		t.Errorf("no gate line on stderr:\n%s", p.stderr)
	}
}

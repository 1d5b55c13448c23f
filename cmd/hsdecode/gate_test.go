package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailOn: which findings make the exit status 1, and that each names
// its connection and rule in the report.
func TestFailOn(t *testing.T) {
	p := func(name string) string { return filepath.Join(pcapDir, name) }
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
	}{
		{"default passes an established TLS 1.0", []string{p("16-tls10.pcap")}, exitOK, "ESTABLISHED"},
		{"legacy-version fails it", []string{"--fail-on", "legacy-version", p("16-tls10.pcap")}, exitFindings, "FINDING legacy-version: negotiated TLS 1.0, below TLS 1.2"},
		{"--min-version lowers the bar", []string{"--fail-on", "legacy-version", "--min-version", "TLS1.0", p("16-tls10.pcap")}, exitOK, "ESTABLISHED"},
		{"--min-version 1.3 raises it", []string{"--fail-on", "legacy-version", "--min-version", "1.3", p("01-tls12-ecdhe-rsa.pcap")}, exitFindings, "below TLS 1.3"},
		{"alert by default", []string{p("07-tls12-no-shared-cipher.pcap")}, exitFindings, "FINDING alert: fatal handshake_failure from server"},
		{"alert not selected", []string{"--fail-on", "violation", p("07-tls12-no-shared-cipher.pcap")}, exitOK, "ALERT"},
		{"violation names its code", []string{p("24-violation-missing-ske.pcap")}, exitFindings, "FINDING violation missing_message:"},
		{"none", []string{"--fail-on", "none", p("24-violation-missing-ske.pcap")}, exitOK, "VIOLATION"},
		{"not_tls", []string{"--fail-on", "not_tls", p("28-plaintext-to-tls-port.pcap")}, exitFindings, "FINDING not_tls:"},
		{"json findings", []string{"--format", "json", "--fail-on", "all", p("16-tls10.pcap")}, exitFindings, `"findings":[{"rule":"legacy-version","detail":"negotiated TLS 1.0, below TLS 1.2"}]`},
		{"unknown rule", []string{"--fail-on", "violation,typo", p("16-tls10.pcap")}, exitError, ""},
		{"unknown version", []string{"--min-version", "TLS 9", p("16-tls10.pcap")}, exitError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if status := run(tt.args, &out, &errb); status != tt.status {
				t.Errorf("exit %d, want %d; stderr %s", status, tt.status, errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
			if tt.status == exitError && strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("usage error is not one line: %q", errb.String())
			}
		})
	}
}

// TestSeveralInputs: files and a directory in one run, each connection
// with its file, never merged; an unreadable input among them is one line
// and exit 2, the others still reported.
func TestSeveralInputs(t *testing.T) {
	files := captures(t)
	var out, errb bytes.Buffer
	status := run([]string{"--format", "json", "--summary", pcapDir}, &out, &errb)
	if status != exitFindings {
		t.Errorf("exit %d, want %d (the bundled captures have alerts and violations)", status, exitFindings)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	perFile := map[string]int{}
	for _, l := range lines[:len(lines)-1] {
		var c struct {
			File string `json:"file"`
		}
		if err := json.Unmarshal([]byte(l), &c); err != nil || c.File == "" {
			t.Fatalf("connection without its file: %v %s", err, l)
		}
		perFile[c.File]++
	}
	if len(perFile) != len(files) {
		t.Errorf("connections from %d files, want %d", len(perFile), len(files))
	}
	var sum struct {
		Summary struct {
			Files       int                       `json:"files"`
			Connections int                       `json:"connections"`
			Outcomes    map[string]int            `json:"outcomes"`
			Versions    map[string]int            `json:"versions"`
			Violations  map[string]int            `json:"violations"`
			Alerts      map[string]map[string]int `json:"alerts"`
			Packets     struct {
				Read    int            `json:"read"`
				Skipped map[string]int `json:"skipped"`
			} `json:"packets"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last line is not the summary: %v", err)
	}
	s := sum.Summary
	if s.Files != len(files) || s.Connections != len(lines)-1 || s.Packets.Read == 0 || s.Outcomes["established"] == 0 ||
		s.Versions["tls_1_3"] == 0 || s.Violations["unexpected_message"] == 0 || s.Alerts["server"]["handshake_failure"] == 0 {
		t.Errorf("summary %+v", s)
	}

	// The same connections, read as separate files, and a missing one.
	dir := t.TempDir()
	missing := filepath.Join(dir, "gone.pcap")
	out.Reset()
	errb.Reset()
	status = run(append([]string{"--format", "json", "--fail-on", "none"}, append(files[:2:2], missing, files[2])...), &out, &errb)
	if status != exitError {
		t.Errorf("exit %d with a missing input, want %d", status, exitError)
	}
	if strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "gone.pcap") {
		t.Errorf("stderr is not one line naming the file: %q", errb.String())
	}
	for _, f := range []string{files[0], files[1], files[2]} {
		if !strings.Contains(out.String(), `"file":"`+f+`"`) {
			t.Errorf("no connection of %s reported", f)
		}
	}

	// A single file keeps docs/report.md's object: no file field.
	out.Reset()
	run([]string{"--format", "json", files[0]}, &out, &errb)
	if strings.Contains(out.String(), `"file"`) {
		t.Errorf("a single input has file fields: %s", out.String())
	}

	// A directory without captures is a usage error.
	if status := run([]string{dir}, &out, &errb); status != exitError {
		t.Errorf("empty directory: exit %d", status)
	}
}

// TestTextSummaryAndColour: the text report ends with the summary; colour
// only when asked for (a buffer is no terminal).
func TestTextSummaryAndColour(t *testing.T) {
	p := filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")
	var out, errb bytes.Buffer
	run([]string{p}, &out, &errb)
	text := out.String()
	for _, want := range []string{"alerts:        server handshake_failure 1\n", "findings:      alert 1\n", "packets:       10 read", "\n1 connection: 1 alert\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasSuffix(text, "1 connection: 1 alert\n") {
		t.Errorf("the count is not the last line:\n%s", text)
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour on a buffer with --color auto")
	}
	out.Reset()
	run([]string{"--color", "always", p}, &out, &errb)
	for _, want := range []string{"\x1b[1;31mALERT\x1b[0m", "\x1b[31malert fatal handshake_failure\x1b[0m", "\x1b[31;1mFINDING\x1b[0m"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--color always: no %q in\n%q", want, out.String())
		}
	}
	if status := run([]string{"--color", "sometimes", p}, &out, &errb); status != exitError {
		t.Errorf("--color sometimes: exit %d", status)
	}
}

// everyPacket draws progress on every packet of the small test captures.
var everyPacket = pace{redraw: 0, check: 1}

// TestProgress: --progress always draws on standard error and erases its
// line; auto draws nothing on a buffer (no terminal), and nothing with CI
// set.
func TestProgress(t *testing.T) {
	p := filepath.Join(pcapDir, "05-tls12-mtls.pcap")
	var out, errb bytes.Buffer
	runPaced([]string{"--progress", "always", p, p}, &out, &errb, everyPacket)
	e := errb.String()
	for _, want := range []string{"\r\x1b[Khsdecode: " + p + " (1/2) ", "%, ", " packets, ", " connections, ", " packets/s"} {
		if !strings.Contains(e, want) {
			t.Errorf("progress lacks %q: %q", want, e)
		}
	}
	if !strings.HasSuffix(e, "\r\x1b[K") {
		t.Errorf("progress line not erased at the end: %q", e)
	}
	errb.Reset()
	run([]string{p}, &out, &errb)
	if errb.Len() != 0 {
		t.Errorf("progress with auto on a buffer: %q", errb.String())
	}
	t.Setenv("CI", "true")
	if on, _ := useProgress("auto", os.Stderr); on {
		t.Error("progress with CI set")
	}
}

// TestBaselineGate: with --baseline only what got worse fails the run.
func TestBaselineGate(t *testing.T) {
	dir := t.TempDir()
	alert := filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")
	var rep, errb bytes.Buffer
	run([]string{"--format", "json", alert}, &rep, &errb)
	same := filepath.Join(dir, "same.jsonl")
	os.WriteFile(same, rep.Bytes(), 0o644)
	was := filepath.Join(dir, "was-established.jsonl")
	os.WriteFile(was, bytes.Replace(rep.Bytes(), []byte(`"outcome":"alert"`), []byte(`"outcome":"established"`), 1), 0o644)

	var out bytes.Buffer
	if status := run([]string{"--baseline", same, alert}, &out, &errb); status != exitOK {
		t.Errorf("the same alert as the baseline: exit %d, want 0", status)
	}
	if !strings.Contains(out.String(), "baseline: 0 worse, 0 other changes") {
		t.Errorf("text lacks the comparison:\n%s", out.String())
	}
	out.Reset()
	if status := run([]string{"--baseline", was, alert}, &out, &errb); status != exitFindings {
		t.Errorf("established before, alert now: exit %d, want 1", status)
	}
	if !strings.Contains(out.String(), "WORSE 127.0.0.1:44307 sni=localhost (outcome): 1 connection(s) alert, the baseline's were 1 established") {
		t.Errorf("text lacks the change:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	run([]string{"--baseline", was, "--format", "json", "--summary", alert}, &out, &errb)
	if !strings.Contains(out.String(), `"baseline":{"worse":1,"changes":[{"server":"127.0.0.1:44307","server_name":"localhost","kind":"outcome","worse":true`) {
		t.Errorf("summary lacks the comparison: %s", out.String())
	}
	if !strings.Contains(errb.String(), "hsdecode: baseline: WORSE") {
		t.Errorf("stderr lacks the change: %s", errb.String())
	}
	if status := run([]string{"--baseline", alert, alert}, &out, &errb); status != exitError {
		t.Errorf("a capture as baseline: exit %d, want 2", status)
	}
}

// TestCorpusRules: the certificate and cipher rules on real captures of
// the corpus: Zeek's expired-certificate trace (one of its two servers
// sent a certificate that had expired nine days before) and its RC4-MD5
// TLS 1.2 trace. Skips without the corpus.
func TestCorpusRules(t *testing.T) {
	traces := filepath.Join(tsharkCorpusDir, "zeek/testing/btest/Traces/tls")
	needCorpus(t, traces)
	var out, errb bytes.Buffer
	status := run([]string{"--format", "json", "--fail-on", "expired-cert,weak-cipher",
		filepath.Join(traces, "tls-expired-cert.pcap"), filepath.Join(traces, "tls1.2.pcap")}, &out, &errb)
	if status != exitFindings {
		t.Errorf("exit %d, want 1: %s", status, errb.String())
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var c struct {
			Server   struct{ IP string }
			Findings []struct{ Rule, Detail string }
		}
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		for _, f := range c.Findings {
			got[c.Server.IP] += f.Rule + ": " + f.Detail + "; "
		}
	}
	want := map[string]string{
		"87.98.220.10": "expired-cert: server certificate CN=www.spidh.org,OU=COMODO SSL,OU=Domain Control Validated expired 2014-03-04T23:59:59Z, before the connection (2014-03-13T21:20:02Z); ",
		"68.233.76.12": "weak-cipher: TLS_RSA_WITH_RC4_128_MD5 (RC4, MD5 MAC); ",
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for ip, w := range want {
		if got[ip] != w {
			t.Errorf("%s: %q, want %q", ip, got[ip], w)
		}
	}
}

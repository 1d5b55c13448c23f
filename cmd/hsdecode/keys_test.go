package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyLogMissingFile: a --keylog that cannot be read stops the run
// before anything is read, in one line.
func TestKeyLogMissingFile(t *testing.T) {
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope.keys")
	status := run([]string{"--keylog", missing, filepath.Join(pcapDir, "12-tls13-full.pcap")}, &out, &errb)
	if status != exitError {
		t.Errorf("status %d, want %d", status, exitError)
	}
	if lines := strings.Split(strings.TrimSpace(errb.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--keylog") || !strings.Contains(lines[0], "nope.keys") {
		t.Errorf("stderr %q, want one line naming --keylog and the file", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("report written: %q", out.String())
	}
}

// TestKeyLogMalformedLine: a bad line is a warning naming the first one,
// and the run goes on.
func TestKeyLogMalformedLine(t *testing.T) {
	kl := filepath.Join(t.TempDir(), "bad.keys")
	body := "# comment\nCLIENT_RANDOM zz 00\nnot a line\nCLIENT_HANDSHAKE_TRAFFIC_SECRET " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 32) + "\n"
	if err := os.WriteFile(kl, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	status := run([]string{"--format", "json", "--keylog", kl, filepath.Join(pcapDir, "12-tls13-full.pcap")}, &out, &errb)
	if status != exitOK {
		t.Fatalf("status %d, stderr %s", status, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "warning: 1 malformed") || !strings.Contains(lines[0], "bad.keys line 2") {
		t.Errorf("stderr %q, want one warning naming line 2", errb.String())
	}
	if !strings.Contains(out.String(), `"outcome":"established"`) {
		t.Errorf("report %s", out.String())
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitStatus: 0 when nothing failed, 1 for an alert or violation, 2 for
// usage and input errors, each error a single line naming the file.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("this is not a capture file at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	established := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	whole, err := os.ReadFile(established)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.pcap")
	if err := os.WriteFile(truncated, whole[:len(whole)-7], 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		status  int
		stderr  string // a line of stderr must contain it
		stdout  string // stdout must contain it
		oneLine bool
	}{
		{"established", []string{"-r", established}, exitOK, "", "ESTABLISHED", false},
		{"file as argument", []string{established, "--format", "json"}, exitOK, "", `"outcome":"established"`, false},
		{"violation", []string{"-r", filepath.Join(pcapDir, "23-violation-shd-before-cert.pcap")}, exitFindings, "", "VIOLATION unexpected_message by server", false},
		{"alert", []string{"-r", filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")}, exitFindings, "", "alert fatal handshake_failure", false},
		{"missing file", []string{"-r", filepath.Join(dir, "nope.pcap")}, exitError, "nope.pcap", "", true},
		{"not a capture", []string{"-r", notCapture}, exitError, "notes.txt", "", true},
		{"truncated capture", []string{"-r", truncated, "--format", "json"}, exitError, "truncated.pcap", `"client_hello"`, true},
		{"unknown format", []string{"-r", established, "--format", "xml"}, exitError, "xml", "", true},
		{"no input", nil, exitError, "-r FILE", "", true},
		{"help", []string{"--help"}, exitOK, "", "partial", false},
		{"-h", []string{"-h"}, exitOK, "", "partial", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			status := run(tt.args, &out, &errb)
			if status != tt.status {
				t.Errorf("exit %d, want %d; stderr %q", status, tt.status, errb.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.stderr)
			}
			if tt.oneLine && strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
		})
	}
}

// TestFlagErrors: a flag the parser rejects gets its message, saying what
// form a value takes, and one usage line, as tcpdump and tshark do.
func TestFlagErrors(t *testing.T) {
	established := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--foo", established}, "hsdecode: unknown flag: --foo"},
		{[]string{established, "--format"}, "hsdecode: flag needs an argument: --format"},
		{[]string{"--max-buffer", "16 furlongs", established}, `hsdecode: --max-buffer "16 furlongs": give a size such as 16777216, 16MB (decimal), 16M or 16MiB (binary)`},
		{[]string{"--max-buffer", "MB", established}, `hsdecode: --max-buffer "MB": give a size such as 16777216, 16MB (decimal), 16M or 16MiB (binary)`},
		{[]string{"--workers", "x", established}, `hsdecode: --workers "x": give a whole number`},
		{[]string{"--idle-timeout", "5", established}, `hsdecode: --idle-timeout "5": give a duration such as 30s, 5m or 1h30m`},
	} {
		var out, errb bytes.Buffer
		status := run(tt.args, &out, &errb)
		want := tt.want + "\n" + usageLine + "\n"
		if status != exitError || errb.String() != want || out.Len() > 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit %d, stderr %q", tt.args, status, errb.String(), out.String(), exitError, want)
		}
	}
}

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const systemdUnit = "../../contrib/systemd/hsdecode@.service"

// TestSystemdUnit: the sensor's unit runs hsdecode on its instance's
// interface, writing JSON lines to its logs directory, as a user of its
// own with only the capture capabilities, and systemd-analyze verify
// finds nothing to say of it (an unknown key, a command that is not
// executable).
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(systemdUnit)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, l := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			settings[k] = v
		}
	}
	for k, want := range map[string]string{
		"ExecStart":             "/usr/local/bin/hsdecode -i %i --format json -o /var/log/hsdecode/%i.jsonl $HSDECODE_ARGS",
		"ExecReload":            "/bin/kill -HUP $MAINPID",
		"DynamicUser":           "yes",
		"AmbientCapabilities":   "CAP_NET_RAW CAP_NET_ADMIN",
		"CapabilityBoundingSet": "CAP_NET_RAW CAP_NET_ADMIN",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"LogsDirectory":         "hsdecode",
		"SuccessExitStatus":     "1",
	} {
		if settings[k] != want {
			t.Errorf("%s=%q, want %q", k, settings[k], want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian's systemd): the unit is not verified")
	}
	bin := buildHsdecode(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hsdecode@.service"), []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/hsdecode", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "verify", "--man=no", filepath.Join(dir, "hsdecode@lo.service")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The unit's command itself, for a second on lo, its log file in a
	// temporary directory, once the binary has -o (helper G's flag).
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	if !strings.Contains(string(help), "--output") {
		t.Log("this hsdecode has no -o/--output yet: the unit's command line is not run")
		return
	}
	needLive(t)
	needCgoBinary(t, bin)
	log := filepath.Join(dir, "lo.jsonl")
	cmdline := strings.ReplaceAll(strings.TrimPrefix(settings["ExecStart"], "/usr/local/bin/hsdecode "), "%i", "lo")
	cmdline = strings.Replace(strings.ReplaceAll(cmdline, "/var/log/hsdecode/lo.jsonl", log), "$HSDECODE_ARGS", "--duration 1s -f 'tcp port 44493'", 1)
	run := exec.CommandContext(ctx, "sh", "-c", `exec "$0" `+cmdline, bin)
	if out, err := run.CombinedOutput(); err != nil {
		t.Errorf("the unit's command: %v\n%s", err, out)
	}
	if _, err := os.Stat(log); err != nil {
		t.Errorf("the unit's command wrote no log: %v", err)
	}
}

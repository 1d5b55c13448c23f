package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/report"
)

// completionScript writes hsdecode completion SHELL to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if status := run([]string{"completion", shell}, &out, &errb); status != exitOK || errb.Len() > 0 {
		t.Fatalf("completion %s: exit %d, stderr %q", shell, status, errb.String())
	}
	path := filepath.Join(t.TempDir(), "hsdecode."+shell)
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shell runs a script in a shell, with a deadline, and returns its output.
func shell(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not found (scripts/deps.sh installs it); skipped", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestCompletionBash: bash loads the script, complete -p shows it, and it
// completes flags, --format's values, a rule after a comma, and files.
func TestCompletionBash(t *testing.T) {
	script := completionScript(t, "bash")
	dir := t.TempDir()
	for _, name := range []string{"dump.pcap", "my capture.pcap"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := shell(t, "bash", "-c", `source "$1" || exit 1
complete -p hsdecode
words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _hsdecode; local IFS=/; echo "$*: ${COMPREPLY[*]}"; }
words hsdecode --for
words hsdecode --format ''
words hsdecode --fail-on alert,vio
words hsdecode -i lo
words hsdecode completion ''
cd "$2" && words hsdecode -r du && words hsdecode --keylog my`, "bash", script, dir)
	for _, want := range []string{
		"complete -F _hsdecode hsdecode",
		"hsdecode/--for: --format",
		"hsdecode/--format/: text/json/ecs/zeek/html",
		"hsdecode/--fail-on/alert,vio: alert,violation",
		"hsdecode/-i/lo: lo",
		"hsdecode/completion/: bash/zsh/fish",
		"hsdecode/-r/du: dump.pcap",
		"hsdecode/--keylog/my: my capture.pcap",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("bash: no line %q in:\n%s", want, out)
		}
	}
}

// zshComplete types line and a Tab into an interactive zsh (in a pseudo
// terminal, zsh/zpty) that loaded script, and returns what zsh draws
// until want appears or 10 seconds pass.
const zshComplete = `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source "'$1'"'
zpty -w -n z "$2"$'\t'
local out all
for i in {1..100}; do
	zpty -r -t z out && all+=$out
	[[ $all == *$3* ]] && break
	sleep 0.1
done
print -r -- "$all"
zpty -d z
`

// TestCompletionZsh: zsh loads the script after compinit, registers it
// for hsdecode, and completes flags and --format's values when Tab is
// pressed.
func TestCompletionZsh(t *testing.T) {
	script := completionScript(t, "zsh")
	out := shell(t, "zsh", "-f", "-c", `autoload -U compinit && compinit -u -D && source "$1" && print -r -- "hsdecode: $_comps[hsdecode]" && whence -w _hsdecode`, "zsh", script)
	for _, want := range []string{"hsdecode: _hsdecode", "_hsdecode: function"} {
		if !strings.Contains(out, want) {
			t.Errorf("zsh: %q lacks %q", out, want)
		}
	}
	for _, tt := range []struct{ line, want string }{
		{"hsdecode --fo", "--format  -- output FORMAT"},
		{"hsdecode --format ", "zeek"},
		{"hsdecode --min-version TLS1.", "TLS1.3"},
	} {
		out := shell(t, "zsh", "-f", "-c", zshComplete, "zsh", script, tt.line, tt.want)
		if !strings.Contains(out, tt.want) {
			t.Errorf("zsh, %q and Tab: %q lacks %q", tt.line, out, tt.want)
		}
	}
}

// TestCompletionFish: fish loads the script and completes flags and
// --format's values.
func TestCompletionFish(t *testing.T) {
	script := completionScript(t, "fish")
	out := shell(t, "fish", "--no-config", "-c", `source $argv[1]; complete -C 'hsdecode --for'; complete -C 'hsdecode --format '`, script)
	for _, want := range []string{"--format\toutput FORMAT", "\njson\t", "\nzeek\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("fish: %q lacks %q", out, want)
		}
	}
}

// TestCompletionValues: the values completion offers are those hsdecode
// takes, and a shell it does not know is a usage error.
func TestCompletionValues(t *testing.T) {
	for _, f := range flagValues()["format"] {
		if _, err := report.NewWriter(f, &bytes.Buffer{}, report.Options{}); err != nil {
			t.Errorf("--format %s is offered but refused: %v", f, err)
		}
	}
	for _, r := range flagValues()["fail-on"] {
		if _, err := report.ParseRules(r); err != nil {
			t.Errorf("--fail-on %s is offered but refused: %v", r, err)
		}
	}
	for _, o := range flagValues()["outcome"] {
		if _, err := parseOutcomes(o); err != nil {
			t.Errorf("--outcome %s is offered but refused: %v", o, err)
		}
	}
	for _, v := range flagValues()["min-version"] {
		if _, err := report.ParseVersion(v); err != nil {
			t.Errorf("--min-version %s is offered but refused: %v", v, err)
		}
	}
	for _, mode := range flagValues()["color"] {
		if _, err := useColor(mode, &bytes.Buffer{}); err != nil {
			t.Errorf("--color %s is offered but refused: %v", mode, err)
		}
	}
	for _, mode := range flagValues()["checksum"] {
		if _, err := checksumMode(mode); err != nil {
			t.Errorf("--checksum %s is offered but refused: %v", mode, err)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}} {
		var out, errb bytes.Buffer
		if status := run(args, &out, &errb); status != exitError || strings.Count(errb.String(), "\n") != 1 || out.Len() > 0 {
			t.Errorf("%q: exit %d, stderr %q", args, status, errb.String())
		}
	}
}

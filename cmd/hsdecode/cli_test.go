package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// flagLine is a flag's line in --help: its names and placeholder.
var flagLine = regexp.MustCompile(`^  (?:-[a-zA-Z], |    )--([a-z0-9-]+)(?: (\S+))?(?:   |$)`)

// helpFlags runs --help and returns its text and, by flag name, the
// placeholder each flag shows ("" for none).
func helpFlags(t *testing.T, arg string) (string, map[string]string) {
	t.Helper()
	var out, errb bytes.Buffer
	if status := run([]string{arg}, &out, &errb); status != exitOK || errb.Len() > 0 {
		t.Fatalf("%s: exit %d, stderr %q; want 0 and nothing on standard error", arg, status, errb.String())
	}
	flags := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if m := flagLine.FindStringSubmatch(l); m != nil {
			flags[m[1]] = m[2]
		}
	}
	return out.String(), flags
}

// TestHelp: --help and -h go to standard output with exit 0 (| less), every
// line fits 80 columns, and every flag that takes a value shows a
// placeholder in capitals (FILE, N, DURATION, BYTES...), not pflag's type
// names (string, int, duration).
func TestHelp(t *testing.T) {
	help, flags := helpFlags(t, "--help")
	short, _ := helpFlags(t, "-h")
	if help != short {
		t.Errorf("-h and --help differ")
	}
	for i, l := range strings.Split(help, "\n") {
		if len(l) > helpWidth {
			t.Errorf("line %d is %d columns: %q", i+1, len(l), l)
		}
	}
	for _, name := range []string{"read", "max-buffer", "idle-timeout", "output", "local", "version", "man", "format", "interface", "keylog"} {
		if _, ok := flags[name]; !ok {
			t.Errorf("--%s is not listed", name)
		}
	}
	placeholder := regexp.MustCompile(`^[A-Z]+$`)
	for name, p := range flags {
		if p != "" && !placeholder.MatchString(p) {
			t.Errorf("--%s shows %q, not a placeholder in capitals", name, p)
		}
	}
	for name, want := range map[string]string{"read": "FILE", "max-buffer": "BYTES", "idle-timeout": "DURATION",
		"duration": "DURATION", "count": "N", "buffer-size": "SIZE", "snaplen": "N", "filter": "EXPR", "interface": "IFACE", "output": "FILE",
		"format": "FORMAT", "fail-on": "RULES", "min-version": "VERSION", "follow": "", "local": ""} {
		if flags[name] != want {
			t.Errorf("--%s shows %q, want %q", name, flags[name], want)
		}
	}
	if !strings.Contains(help, "(default 512MiB)") {
		t.Errorf("--max-buffer's default is not shown as a size:\n%s", help)
	}
}

// TestByteSize: sizes take decimal (kB, MB, GB) and binary (K, M, G, KiB,
// MiB, GiB) units, and plain numbers.
func TestByteSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"16777216", 16 << 20}, {"16MB", 16e6}, {"16mb", 16e6}, {"16M", 16 << 20}, {"512MiB", 512 << 20},
		{"1G", 1 << 30}, {"1GB", 1e9}, {"1.5GiB", 3 << 29}, {"64k", 64 << 10}, {"64kB", 64e3}, {"100B", 100}, {"2TiB", 2 << 40},
	} {
		var b byteSize
		if err := b.Set(tt.in); err != nil || int64(b) != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, b, err, tt.want)
		}
	}
	for _, in := range []string{"", "MB", "16 furlongs", "-1", "1e3", "16MBB", "9999999TiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q: accepted as %d", in, b)
		}
	}
	for n, want := range map[byteSize]string{512 << 20: "512MiB", 1000: "1000", 3 << 10: "3KiB", 0: "0"} {
		if got := n.String(); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
	var out, errb bytes.Buffer
	if status := run([]string{"--max-buffer", "64MB", filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")}, &out, &errb); status != exitOK {
		t.Errorf("--max-buffer 64MB: exit %d: %s", status, errb.String())
	}
	// -B: a plain number is KiB, as tcpdump's; a size is rounded up to KiB.
	for _, tt := range []struct {
		in   string
		want int
	}{{"2048", 2048}, {"64MiB", 64 << 10}, {"100MB", 97657}, {"1", 1}, {"1B", 1}, {"-1", -1}} {
		var k kibSize
		if err := k.Set(tt.in); err != nil || int(k) != tt.want {
			t.Errorf("-B %q: %d KiB, %v; want %d", tt.in, k, err, tt.want)
		}
	}
	errb.Reset()
	if status := run([]string{"-i", "lo", "-B", "lots"}, &out, &errb); status != exitError ||
		errb.String() != "hsdecode: --buffer-size \"lots\": give a number of KiB, or a size such as 64MiB or 100MB\n"+usageLine+"\n" {
		t.Errorf("-B lots: exit %d, stderr %q", status, errb.String())
	}
}

// TestVersion: --version names the build's module version, (devel) in a
// test binary, and the Go version.
func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if status := run([]string{"--version"}, &out, &errb); status != exitOK || errb.Len() > 0 {
		t.Fatalf("exit %d, stderr %q", status, errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	if lines[0] != "hsdecode (devel)" {
		t.Errorf("first line %q, want hsdecode (devel)", lines[0])
	}
	if !strings.Contains(out.String(), "go1.") {
		t.Errorf("no Go version:\n%s", out.String())
	}
}

// TestOutputFile: -o writes, in every format, the report standard output
// would carry, and standard output stays empty.
func TestOutputFile(t *testing.T) {
	capture := filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")
	for _, format := range []string{"text", "json", "ecs", "zeek", "html"} {
		var want, errb bytes.Buffer
		wantStatus := run([]string{"--format", format, capture}, &want, &errb)
		path := filepath.Join(t.TempDir(), "report")
		// A file -o overwrites, as a shell's > does.
		if err := os.WriteFile(path, bytes.Repeat([]byte("old "), 1<<12), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		errb.Reset()
		status := run([]string{"--format", format, "-o", path, capture}, &out, &errb)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if status != wantStatus || out.Len() > 0 || errb.Len() > 0 {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q", format, status, wantStatus, out.String(), errb.String())
		}
		if format == "zeek" || format == "html" { // they stamp the time they are written
			got, want := zeekOpenClose.ReplaceAll(got, nil), zeekOpenClose.ReplaceAll(want.Bytes(), nil)
			if format == "zeek" && !bytes.Equal(got, want) || format == "html" && !bytes.Contains(got, []byte("</html>")) {
				t.Errorf("%s: -o file differs from standard output:\n%s\nwant\n%s", format, got, want)
			}
			continue
		}
		if len(got) == 0 || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: -o file differs from standard output:\n%s\nwant\n%s", format, got, want.String())
		}
	}
	var out, errb bytes.Buffer
	if status := run([]string{"-o", filepath.Join(t.TempDir(), "no", "such", "dir"), capture}, &out, &errb); status != exitError ||
		!strings.Contains(errb.String(), "-o: ") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("-o in a missing directory: exit %d, stderr %q", status, errb.String())
	}
	// -o naming an input would empty it before it is read.
	copied := filepath.Join(t.TempDir(), "copy.pcap")
	whole, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	status := run([]string{"-o", copied, filepath.Dir(copied)}, &out, &errb)
	after, _ := os.ReadFile(copied)
	if status != exitError || !strings.Contains(errb.String(), "that is an input") || !bytes.Equal(after, whole) {
		t.Errorf("-o an input: exit %d, stderr %q, input kept %v", status, errb.String(), bytes.Equal(after, whole))
	}
}

// zeekOpenClose are a Zeek log's #open and #close lines.
var zeekOpenClose = regexp.MustCompile(`(?m)^#(open|close)\t.*\n`)

// TestNoEmptySummary: when no input could be read, the error is all there
// is: no summary of zeros and no "0 connections" after it, in any format.
// When one of several could, the report and its summary come as usual.
func TestNoEmptySummary(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pcap")
	for _, format := range []string{"text", "json", "ecs", "zeek"} {
		var out, errb bytes.Buffer
		status := run([]string{"--format", format, "--summary", missing}, &out, &errb)
		if status != exitError || out.Len() > 0 || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "nope.pcap") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2, nothing, one line", format, status, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	status := run([]string{missing, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")}, &out, &errb)
	if status != exitError || !strings.Contains(out.String(), "files:         1 read, 1 with errors") || !strings.HasSuffix(out.String(), "\n1 connection: 1 established\n") {
		t.Errorf("a missing and a good capture: exit %d, stdout:\n%s", status, out.String())
	}
}

// TestTextTimes: the text report's times say their zone: Z for UTC, the
// offset with --local.
func TestTextTimes(t *testing.T) {
	capture := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("CET", 3600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{capture}, "#1 2026-11-27 14:19:14.824357Z "},
		{[]string{"--local", capture}, "#1 2026-11-27 15:19:14.824357+01:00 "},
	} {
		var out, errb bytes.Buffer
		if status := run(tt.args, &out, &errb); status != exitOK || !strings.HasPrefix(out.String(), tt.want) {
			t.Errorf("%q: exit %d, report begins %q, want %q", tt.args, status, strings.SplitN(out.String(), "\n", 2)[0], tt.want)
		}
	}
}

// TestManPage: the manual page renders with man -l without a warning, and
// names every flag --help lists.
func TestManPage(t *testing.T) {
	for _, tool := range []string{"man", "groff"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (scripts/deps.sh installs man-db and groff); skipped", tool)
		}
	}
	var page, errb bytes.Buffer
	if status := run([]string{"--man"}, &page, &errb); status != exitOK || errb.Len() > 0 {
		t.Fatalf("--man: exit %d, stderr %q", status, errb.String())
	}
	path := filepath.Join(t.TempDir(), "hsdecode.1")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "man", "--warnings", "-l", path)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8", "MAN_KEEP_FORMATTING=", "MANPAGER=cat", "PAGER=cat")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	// Bold and underlining, if man leaves them, are overstruck letters.
	text := regexp.MustCompile(".\b").ReplaceAllString(out.String(), "")
	_, flags := helpFlags(t, "--help")
	for name, placeholder := range flags {
		if !strings.Contains(text, "--"+name) {
			t.Errorf("the manual lacks --%s", name)
		}
		if placeholder != "" && !strings.Contains(text, "--"+name+" "+placeholder) {
			t.Errorf("the manual lacks --%s %s", name, placeholder)
		}
	}
	words := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"HSDECODE(1)", "NAME", "hsdecode - decode the TLS handshakes", "SYNOPSIS", "EXIT STATUS", "SIGHUP", "logrotate"} {
		if !strings.Contains(words, want) {
			t.Errorf("the manual lacks %q:\n%s", want, text)
		}
	}
	for i, l := range strings.Split(text, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("manual line %d is wider than 80 columns: %q", i+1, l)
		}
	}
}

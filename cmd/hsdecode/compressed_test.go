package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// compressors write a capture compressed the way each tool's Go library
// does; TestCompressedByTools checks the tools' own files.
var compressors = []struct {
	ext   string
	write func(io.Writer) (io.WriteCloser, error)
}{
	{".gz", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriter(w), nil }},
	{".zst", func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) }},
	{".xz", func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) }},
	{".lz4", func(w io.Writer) (io.WriteCloser, error) { return lz4.NewWriter(w), nil }},
}

func compressFile(t *testing.T, src, dst string, write func(io.Writer) (io.WriteCloser, error)) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := write(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bundledCaptures are testdata/pcaps' captures.
func bundledCaptures(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng"} {
		m, err := filepath.Glob(filepath.Join(pcapDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no bundled captures")
	}
	return files
}

// compressedReport runs hsdecode and returns its standard output, failing on an
// exit status other than want.
func compressedReport(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if got := run(args, &out, &errb); got != want {
		t.Fatalf("hsdecode %s: exit %d, want %d; stderr %q", strings.Join(args, " "), got, want, errb.String())
	}
	return out.String()
}

// TestCompressedCaptures: every bundled capture compressed with gzip, zstd,
// xz and lz4, under a name that says nothing of it, gives the report of
// the capture itself, byte for byte, as a file and on standard input.
func TestCompressedCaptures(t *testing.T) {
	dir := t.TempDir()
	for _, in := range bundledCaptures(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			args := []string{"--format", "json", "--summary", "--workers", "1"}
			if keys := strings.TrimSuffix(strings.TrimSuffix(in, ".pcap"), ".pcapng") + ".keys"; fileExists(keys) {
				args = append(args, "--keylog", keys)
			}
			want := compressedReport(t, status(t, append(args, in)), append(args, in)...)
			for _, c := range compressors {
				// Named as it is, .pcap: detection is by the first
				// bytes.
				z := filepath.Join(dir, c.ext, filepath.Base(in))
				if err := os.MkdirAll(filepath.Dir(z), 0o755); err != nil {
					t.Fatal(err)
				}
				compressFile(t, in, z, c.write)
				if got := compressedReport(t, status(t, append(args, in)), append(args, z)...); got != want {
					t.Errorf("%s: the report differs from the uncompressed capture's:\n%s\nwant\n%s", c.ext, got, want)
				}
			}
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// status is hsdecode's exit status for args.
func status(t *testing.T, args []string) int {
	t.Helper()
	return run(args, io.Discard, io.Discard)
}

// TestCompressedByTools: files written by the gzip, zstd, xz and lz4
// tools (lz4 also in its legacy format, -l), read from a file and from
// standard input, give the uncompressed capture's report.
func TestCompressedByTools(t *testing.T) {
	in := filepath.Join(pcapDir, "53-keylog-suites.pcap")
	want := compressedReport(t, exitOK, "--format", "json", in)
	plain, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	wantStdin := stdinReport(t, plain, "--format", "json", "-")
	dir := t.TempDir()
	for _, tool := range [][]string{
		{"gzip", "-c"}, {"zstd", "-c", "-q"}, {"xz", "-c"}, {"lz4", "-c", "-q"}, {"lz4", "-l", "-c", "-q"},
	} {
		t.Run(strings.Join(tool, " "), func(t *testing.T) {
			if _, err := exec.LookPath(tool[0]); err != nil {
				t.Skipf("%s not installed (scripts/deps.sh installs it)", tool[0])
			}
			out, err := exec.Command(tool[0], append(tool[1:], in)...).Output()
			if err != nil {
				t.Fatal(err)
			}
			z := filepath.Join(dir, "capture")
			if err := os.WriteFile(z, out, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := compressedReport(t, exitOK, "--format", "json", z); got != want {
				t.Errorf("from a file: the report differs:\n%s", got)
			}
			if got := stdinReport(t, out, "--format", "json", "-"); got != wantStdin {
				t.Errorf("on standard input: the report differs:\n%s", got)
			}
		})
	}
}

// stdinReport runs the hsdecode binary (go run would be slow: it is built
// once per test binary in os.Args[0]'s stead) with data on standard input.
func stdinReport(t *testing.T, data []byte, args ...string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	return compressedReport(t, exitOK, args...)
}

// TestCompressedInDirectory: a directory scan reads compressed captures
// named as captures (.pcap.gz, .pcapng.zst, .cap.xz, .pcap.lz4) and leaves
// other compressed files alone; a truncated one is one error line, and the
// others are still reported, with exit status 2.
func TestCompressedInDirectory(t *testing.T) {
	dir := t.TempDir()
	src := map[string]string{
		"a.pcap.gz":    "01-tls12-ecdhe-rsa.pcap",
		"b.pcapng.zst": "36-tls13-injected-secrets.pcapng",
		"c.cap.xz":     "12-tls13-full.pcap",
		"d.PCAP.LZ4":   "18-ipv6-tls13.pcap",
		"notes.txt.gz": "01-tls12-ecdhe-rsa.pcap",
	}
	for name, from := range src {
		compressFile(t, filepath.Join(pcapDir, from), filepath.Join(dir, name), compressors[0].write)
	}
	// Compressed by the right tool for the name, and gzip for the rest:
	// the name does not choose the decompressor.
	compressFile(t, filepath.Join(pcapDir, "36-tls13-injected-secrets.pcapng"), filepath.Join(dir, "b.pcapng.zst"), compressors[1].write)
	out := compressedReport(t, exitOK, "--format", "json", dir)
	for _, name := range []string{"a.pcap.gz", "b.pcapng.zst", "c.cap.xz", "d.PCAP.LZ4"} {
		if !strings.Contains(out, `"file":"`+filepath.Join(dir, name)+`"`) {
			t.Errorf("%s not reported:\n%s", name, out)
		}
	}
	if strings.Contains(out, "notes.txt.gz") {
		t.Errorf("notes.txt.gz read as a capture")
	}

	whole, err := os.ReadFile(filepath.Join(dir, "a.pcap.gz"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "0-cut.pcap.gz")
	if err := os.WriteFile(cut, whole[:len(whole)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if got := run([]string{"--format", "json", dir}, &stdout, &stderr); got != exitError {
		t.Errorf("exit %d, want %d", got, exitError)
	}
	if want := "hsdecode: capture: " + cut + ": packet "; !strings.HasPrefix(stderr.String(), want) ||
		!strings.Contains(stderr.String(), "gzip: truncated capture (the compressed data ends early)") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", stderr.String(), want)
	}
	for _, name := range []string{"a.pcap.gz", "b.pcapng.zst", "c.cap.xz", "d.PCAP.LZ4"} {
		if !strings.Contains(stdout.String(), `"file":"`+filepath.Join(dir, name)+`"`) {
			t.Errorf("%s not reported after the truncated capture", name)
		}
	}
}

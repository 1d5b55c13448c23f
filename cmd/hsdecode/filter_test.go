package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/hsdecode/hsdecode/capture"
)

// needFilters skips a test where capture filters cannot be compiled: a
// build without cgo (TestFilterNeedsLibpcap covers it).
func needFilters(t *testing.T) {
	t.Helper()
	if err := capture.CheckFilter("tcp"); errors.Is(err, capture.ErrFilterNeedsLibpcap) {
		t.Skip(err)
	}
}

// filterCases are bundled captures with several connections, of two link
// types and both IP versions, and filters that keep some of their packets.
var filterCases = []struct {
	capture string
	filters []string
}{
	{"53-keylog-suites.pcap", []string{"tcp port 44380", "port 44385 or port 44386", "not port 44381", "tcp[tcpflags] & tcp-rst == 0", "src port 44383", "udp"}},
	{"64-diag-nothing-in-common.pcap", []string{"tcp and greater 100", "host 127.0.0.1 and not port 44390"}},
	{"19-tls12-any-sll2.pcap", []string{"tcp dst portrange 1-1024 or tcp src portrange 1-1024", "len > 200"}},
	{"18-ipv6-tls13.pcap", []string{"ip6", "ip"}},
	{"10-tls12-resume-session-id.pcap", []string{"tcp[13] & 2 != 0 or tcp[13] & 16 != 0"}},
}

// TestFileFilterAgainstTcpdump: a capture filter on a file gives the
// report of what tcpdump -r FILE -w OUT EXPR keeps, byte for byte with
// the summary, whether the filter follows the file, comes with -f, or the
// file is gzip-compressed; and with several files, the report of each
// filtered by tcpdump.
func TestFileFilterAgainstTcpdump(t *testing.T) {
	needFilters(t)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("no tcpdump (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	args := []string{"--format", "json", "--summary", "--fail-on", "none", "--min-connections", "0"}
	for _, c := range filterCases {
		in := filepath.Join(pcapDir, c.capture)
		gz := filepath.Join(dir, "gzip", c.capture)
		if err := os.MkdirAll(filepath.Dir(gz), 0o755); err != nil {
			t.Fatal(err)
		}
		compressFile(t, in, gz, compressors[0].write)
		for _, expr := range c.filters {
			t.Run(c.capture+"/"+expr, func(t *testing.T) {
				kept := filepath.Join(dir, "kept", c.capture)
				if err := os.MkdirAll(filepath.Dir(kept), 0o755); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("tcpdump", "-r", in, "-w", kept, expr).CombinedOutput(); err != nil {
					t.Fatalf("tcpdump: %v\n%s", err, out)
				}
				want := compressedReport(t, exitOK, append(args, kept)...)
				keptBytes, err := os.ReadFile(kept)
				if err != nil {
					t.Fatal(err)
				}
				inBytes, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := stdinReport(t, inBytes, append(append(args, "-"), strings.Fields(expr)...)...), stdinReport(t, keptBytes, append(args, "-")...); got != want {
					t.Errorf("on standard input: not the report of tcpdump's packets: %s", lineDiff(got, want))
				}
				for _, form := range [][]string{
					append(append(args, in), strings.Fields(expr)...),
					append(args, "-r", in, expr),
					append(args, "-f", expr, in),
					append(append(args, gz), strings.Fields(expr)...),
				} {
					if got := compressedReport(t, exitOK, form...); got != want {
						t.Errorf("hsdecode %s: not the report of tcpdump's packets: %s", strings.Join(form, " "), lineDiff(got, want))
					}
				}
			})
		}
	}

	t.Run("several files", func(t *testing.T) {
		orig, kept := filepath.Join(dir, "orig"), filepath.Join(dir, "kept-all")
		for _, d := range []string{orig, kept} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		const expr = "not port 44381 and not port 44390"
		var files []string
		for _, c := range filterCases {
			data, err := os.ReadFile(filepath.Join(pcapDir, c.capture))
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(orig, c.capture)
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			if out, err := exec.Command("tcpdump", "-r", f, "-w", filepath.Join(kept, c.capture), expr).CombinedOutput(); err != nil {
				t.Fatalf("tcpdump: %v\n%s", err, out)
			}
		}
		sort.Strings(files) // as the directory lists them
		want := compressedReport(t, exitOK, append(args, kept)...)
		got := compressedReport(t, exitOK, append(append(args, files...), strings.Fields(expr)...)...)
		if got = strings.ReplaceAll(got, orig, kept); got != want {
			t.Errorf("several files filtered: %s", lineDiff(got, want))
		}
		got = compressedReport(t, exitOK, append(append(args, "-f", expr), orig)...)
		if got = strings.ReplaceAll(got, orig, kept); got != want {
			t.Errorf("a directory filtered: %s", lineDiff(got, want))
		}
	})
}

// TestFileFilterPcapngLinkTypes: in a pcapng file whose two interfaces
// have different link types (Ethernet, Linux cooked v2), the filter is
// compiled for each: a port kept from either interface gives the report
// of the capture it came from.
func TestFileFilterPcapngLinkTypes(t *testing.T) {
	needFilters(t)
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{LinkType: 1, SnapLength: 262144, TimestampResolution: 6}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	sll2, err := w.AddInterface(pcapgo.NgInterface{LinkType: 276, SnapLength: 262144, TimestampResolution: 6})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"01-tls12-ecdhe-rsa.pcap", "19-tls12-any-sll2.pcap"} {
		src, err := capture.OpenFile(filepath.Join(pcapDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := src.Next()
			if err != nil {
				break
			}
			ci := p.CaptureInfo
			ci.InterfaceIndex = []int{0, sll2}[i]
			if err := w.WritePacket(ci, p.Data); err != nil {
				t.Fatal(err)
			}
		}
		src.Close()
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(t.TempDir(), "mixed.pcapng")
	if err := os.WriteFile(mixed, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, expr := range map[string]string{"01-tls12-ecdhe-rsa.pcap": "port 44301", "19-tls12-any-sll2.pcap": "not port 44301"} {
		want := compressedReport(t, exitOK, "--format", "json", filepath.Join(pcapDir, name))
		if got := compressedReport(t, exitOK, "--format", "json", mixed, expr); got != want {
			t.Errorf("%s: %s: %s", mixed, expr, lineDiff(got, want))
		}
	}
}

// TestFileFilterArguments: what is an input and what a filter among the
// arguments, and the errors that say which when it is unclear.
func TestFileFilterArguments(t *testing.T) {
	needFilters(t)
	dir := t.TempDir()
	a := filepath.Join(pcapDir, "53-keylog-suites.pcap")
	b := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		stdout []string // each must be in stdout
		stderr string   // the one line of stderr must contain it, "" for none
	}{
		{"filter after the file", []string{a, "port", "44380"}, exitOK, []string{"1 connection: 1 established"}, ""},
		{"filter after -r", []string{"-r", a, "port 44380"}, exitOK, []string{"1 connection: 1 established"}, ""},
		{"files then filter", []string{a, b, "port", "44380", "or", "port", "44301"}, exitOK, []string{"2 connections: 2 established", "files:         2 read"}, ""},
		{"-f and files", []string{"-f", "port 44380 or port 44301", a, b}, exitOK, []string{"2 connections: 2 established"}, ""},
		{"a file after the filter", []string{a, "port", "44380", b}, exitError, nil, `"` + b + `" follows the capture filter that begins at "port"`},
		{"a mistyped capture name", []string{a, filepath.Join(dir, "nope.pcap"), "port", "44380"}, exitError, []string{"1 connection: 1 established"}, "nope.pcap: no such file or directory"},
		{"a mistyped directory", []string{filepath.Join(dir, "captures") + "/", "port", "44380"}, exitError, nil, "captures/: no such file or directory"},
		{"a mistyped name, then words", []string{a, "captrue", "port", "44380"}, exitError, nil, `syntax error; the filter began at "captrue", which is no file or directory either`},
		{"only a filter", []string{"port", "443"}, exitError, nil, `no file or directory is named "port"`},
		{"a bad filter with -f", []string{"-f", "port 99999", a}, exitError, nil, "bad capture filter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := run(tt.args, &out, &errb); got != tt.status {
				t.Errorf("exit %d, want %d; stderr %q", got, tt.status, errb.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if tt.stderr == "" && errb.Len() > 0 || tt.stderr != "" && (!strings.Contains(errb.String(), tt.stderr) || strings.Count(errb.String(), "\n") != 1) {
				t.Errorf("stderr %q, want one line with %q", errb.String(), tt.stderr)
			}
		})
	}
}

// lineDiff says where two reports first differ, a line of each.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got %.600s\nwant %.600s", i+1, gl, wl)
		}
	}
	return "no difference"
}

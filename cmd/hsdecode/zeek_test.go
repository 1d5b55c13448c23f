package main

// Tests of --format zeek: the log reads as Zeek's ssl.log does (header,
// types, one row per connection), and, on the captures of the shared
// corpus whose Zeek ssl.log baselines are known, the fields hsdecode can
// know agree with Zeek's for the connections both report (matched by
// 4-tuple). Differences with a reason are listed in
// testdata/zeek-known-differences.md; the test fails on any other, and on
// an entry that no longer differs.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const zeekKnownDiffs = "../../testdata/zeek-known-differences.md"

// zeekCompared are the ssl.log fields compared with Zeek's baselines.
var zeekCompared = []string{"version", "cipher", "curve", "server_name", "resumed", "last_alert", "next_protocol",
	"established", "ssl_history", "cert_chain_fps", "client_cert_chain_fps", "sni_matches_cert"}

// zeekLog is a Zeek TSV log: rows by column name.
type zeekLog struct {
	fields []string
	types  []string
	rows   []map[string]string
}

// parseZeekLog reads Zeek's ASCII log format: #fields and #types headers
// (a log may hold several blocks, each with its own header), or the bare
// header line of zeek-cut -c output.
func parseZeekLog(b []byte) (*zeekLog, error) {
	l := new(zeekLog)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			l.fields = strings.Split(line, "\t")[1:]
			continue
		case strings.HasPrefix(line, "#types\t"):
			l.types = strings.Split(line, "\t")[1:]
			continue
		case strings.HasPrefix(line, "#") || line == "":
			continue
		case strings.HasPrefix(line, "ts\tuid\t"):
			l.fields = strings.Split(line, "\t")
			continue
		}
		cols := strings.Split(line, "\t")
		if l.fields == nil {
			return nil, errNoHeader
		}
		if len(cols) != len(l.fields) {
			return nil, fmt.Errorf("%d columns, header has %d: %q", len(cols), len(l.fields), line)
		}
		row := map[string]string{}
		for i, f := range l.fields {
			row[f] = cols[i]
		}
		l.rows = append(l.rows, row)
	}
	return l, sc.Err()
}

// errNoHeader is a log without a header line (zeek-cut output without
// -c), whose columns cannot be named.
var errNoHeader = errors.New("no #fields header")

func zeekTuple(row map[string]string) string {
	return fmt.Sprintf("%s:%s -> %s:%s", row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"])
}

// TestZeekFormat: the header and every row of the bundled captures'
// ssl.log, as Zeek's readers expect them.
func TestZeekFormat(t *testing.T) {
	var out, errb bytes.Buffer
	if status := run([]string{"--format", "zeek", pcapDir}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	text := out.String()
	for _, want := range []string{"#separator \\x09\n", "#set_separator\t,\n", "#empty_field\t(empty)\n", "#unset_field\t-\n", "#path\tssl\n", "\n#close\t"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	l, err := parseZeekLog(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.fields) != len(l.types) {
		t.Fatalf("%d fields, %d types", len(l.fields), len(l.types))
	}
	want := []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "cipher", "curve", "server_name",
		"resumed", "last_alert", "next_protocol", "established", "ssl_history", "cert_chain_fps", "client_cert_chain_fps", "sni_matches_cert"}
	if got := strings.Join(l.fields[:len(want)], " "); got != strings.Join(want, " ") {
		t.Errorf("fields %s, want Zeek's %s first", got, strings.Join(want, " "))
	}
	if l.fields[len(l.fields)-1] != "hsdecode_file" {
		t.Errorf("several inputs, but no hsdecode_file column: %v", l.fields)
	}
	if n := len(captures(t)); len(l.rows) < n {
		t.Errorf("%d rows for %d captures", len(l.rows), n)
	}
	typeRE := map[string]*regexp.Regexp{
		"time": regexp.MustCompile(`^\d+\.\d{6}$`), "port": regexp.MustCompile(`^\d+$`), "bool": regexp.MustCompile(`^[TF-]$`),
		"addr": regexp.MustCompile(`^[0-9a-f.:]+$`),
	}
	uids := map[string]bool{}
	for _, row := range l.rows {
		for i, f := range l.fields {
			if re := typeRE[l.types[i]]; re != nil && !re.MatchString(row[f]) {
				t.Errorf("%s %s: %q is not a Zeek %s", zeekTuple(row), f, row[f], l.types[i])
			}
		}
		if uid := row["uid"]; !regexp.MustCompile(`^C[0-9A-Za-z]{17}$`).MatchString(uid) || uids[uid] {
			t.Errorf("uid %q: not C and 17 base62 digits, or not unique", uid)
		} else {
			uids[uid] = true
		}
	}
}

// zeekBaseline is a Zeek ssl.log baseline of the corpus and the traces
// its test read.
type zeekBaseline struct {
	path   string // relative to the corpus
	traces []string
}

// zeekSSLBaselines finds the corpus's ssl.log baselines and their traces:
// MANIFEST.md names the traces of Baseline/ files; a Baseline-split/ file
// is named after its trace. Logs written with settings that change the
// compared fields (a shorter ssl_history) are left out.
func zeekSSLBaselines(t *testing.T, corpus string) []zeekBaseline {
	manifest, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	traced := map[string][]string{}
	re := regexp.MustCompile("`(zeek/testing/btest/Baseline/[^`]*)`[^\\n]*traces used: ([^|]*)\\|")
	for _, m := range re.FindAllStringSubmatch(string(manifest), -1) {
		for _, tr := range strings.Split(m[2], ",") {
			traced[m[1]] = append(traced[m[1]], "zeek/testing/btest/Traces/"+strings.TrimSpace(tr))
		}
	}
	traceByName := map[string]string{}
	filepath.WalkDir(filepath.Join(corpus, "zeek/testing/btest/Traces"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(corpus, p)
			traceByName[d.Name()] = rel
		}
		return nil
	})
	var out []zeekBaseline
	isSSL := regexp.MustCompile(`(^|[./])ssl[^/]*\.(log|cut)$`)
	filepath.WalkDir(filepath.Join(corpus, "zeek/testing/btest"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isSSL.MatchString(d.Name()) || strings.Contains(p, "/Traces/") ||
			strings.Contains(d.Name(), "max-history-length-3") {
			return nil
		}
		rel, _ := filepath.Rel(corpus, p)
		b := zeekBaseline{path: rel, traces: traced[rel]}
		if strings.Contains(rel, "/Baseline-split/") {
			if i := strings.Index(d.Name(), ".pcap."); i > 0 {
				if tr, ok := traceByName[d.Name()[:i+5]]; ok {
					b.traces = []string{tr}
				}
			}
		}
		if len(b.traces) == 0 {
			t.Errorf("%s: no trace known for this baseline", rel)
			return nil
		}
		out = append(out, b)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// zeekKnownDiff is an explained difference: "trace|tuple|field".
type zeekKnownDiff struct {
	key, reason string
	seen        bool
}

// readZeekKnownDiffs reads the table of testdata/zeek-known-differences.md:
// | trace | connection | field | Zeek | hsdecode | reason |.
func readZeekKnownDiffs(t *testing.T) map[string]*zeekKnownDiff {
	b, err := os.ReadFile(zeekKnownDiffs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*zeekKnownDiff{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 8 || !strings.HasPrefix(line, "| `") {
			continue
		}
		trim := func(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }
		key := trim(cells[1]) + "|" + trim(cells[2]) + "|" + trim(cells[3]) + "|" + trim(cells[4]) + "|" + trim(cells[5])
		out[key] = &zeekKnownDiff{key: key, reason: strings.TrimSpace(cells[6])}
	}
	return out
}

// TestZeekAgreement compares hsdecode's ssl.log with Zeek's baselines.
func TestZeekAgreement(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	known := readZeekKnownDiffs(t)
	ours := map[string]map[string]map[string]string{} // trace -> tuple -> row
	load := func(trace string) map[string]map[string]string {
		if rows, ok := ours[trace]; ok {
			return rows
		}
		var out, errb bytes.Buffer
		run([]string{"--format", "zeek", filepath.Join(tsharkCorpusDir, trace)}, &out, &errb)
		l, err := parseZeekLog(out.Bytes())
		if err != nil {
			t.Fatalf("%s: our log: %v", trace, err)
		}
		rows := map[string]map[string]string{}
		for _, r := range l.rows {
			rows[zeekTuple(r)] = r
		}
		ours[trace] = rows
		return rows
	}
	type result struct{ fields, agree, explained, unmatched int }
	var total result
	seenDiff := map[string]bool{}
	var unexplained []string
	for _, b := range zeekSSLBaselines(t, tsharkCorpusDir) {
		data, err := os.ReadFile(filepath.Join(tsharkCorpusDir, b.path))
		if err != nil {
			t.Fatal(err)
		}
		zl, err := parseZeekLog(data)
		if errors.Is(err, errNoHeader) {
			t.Logf("%s: skipped: no header names its columns", b.path)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", b.path, err)
			continue
		}
		var res result
		for _, zrow := range zl.rows {
			tuple := zeekTuple(zrow)
			var row map[string]string
			var trace string
			for _, tr := range b.traces {
				if r, ok := load(tr)[tuple]; ok {
					row, trace = r, tr
					break
				}
			}
			if row == nil {
				key := strings.Join(b.traces, ",") + "|" + tuple + "|connection|" + zrow["version"] + "|-"
				if k := known[key]; k != nil {
					k.seen = true
					res.explained++
				} else if !seenDiff[key] {
					unexplained = append(unexplained, fmt.Sprintf("| `%s` | `%s` | `connection` | `%s` | `-` | (not reported by hsdecode) |", strings.Join(b.traces, ","), tuple, zrow["version"]))
				}
				seenDiff[key] = true
				res.unmatched++
				continue
			}
			for _, f := range zeekCompared {
				want, ok := zrow[f]
				if !ok {
					continue
				}
				res.fields++
				got := row[f]
				if got == want {
					res.agree++
					continue
				}
				key := trace + "|" + tuple + "|" + f + "|" + want + "|" + got
				if k := known[key]; k != nil {
					k.seen = true
					res.explained++
				} else if !seenDiff[key] {
					unexplained = append(unexplained, fmt.Sprintf("| `%s` | `%s` | `%s` | `%s` | `%s` | ? |", trace, tuple, f, want, got))
				}
				seenDiff[key] = true
			}
		}
		t.Logf("%s: %d rows, %d fields compared, %d agree, %d differ with a known reason, %d connections not matched",
			b.path, len(zl.rows), res.fields, res.agree, res.explained, res.unmatched)
		total.fields += res.fields
		total.agree += res.agree
		total.explained += res.explained
		total.unmatched += res.unmatched
	}
	t.Logf("all baselines: %d fields compared, %d agree (%.1f%%); %d known differences (fields, and Zeek rows without an hsdecode connection: %d)",
		total.fields, total.agree, 100*float64(total.agree)/float64(max(total.fields, 1)), total.explained, total.unmatched)
	sort.Strings(unexplained)
	for _, u := range unexplained {
		t.Errorf("unexplained difference (add to %s with a reason if it is not a bug):\n%s", zeekKnownDiffs, u)
	}
	for _, k := range known {
		if !k.seen {
			t.Errorf("%s lists %q, which no longer differs: remove it", zeekKnownDiffs, k.key)
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
)

// The HTML report's page is checked here as bytes: its embedded JSON reads
// back as the results written, nothing from the wire escapes the JSON,
// and the page parses as HTML. cmd/hsdecode's html_test.go opens it in a
// browser.

const dataOpen = `<script type="application/json" id="hsdecode-data">`

// htmlPage is the page's JSON (docs/report.md, "The HTML report").
type htmlPage struct {
	Summary *struct {
		Connections int64
		Outcomes    map[string]int64
		Baseline    *struct {
			Worse   int
			Changes []struct {
				Server     string
				ServerName string `json:"server_name"`
				Detail     string
			}
		}
	}
	Files       []string
	InputErrors []struct{ File, Error string } `json:"input_errors"`
	Connections []struct {
		TS                string `json:"ts"`
		EndTS             string `json:"end_ts"`
		Client, Server    string
		Outcome, Version  string
		CipherSuite       string `json:"cipher_suite"`
		ServerName        string `json:"server_name"`
		ALPN              string
		Resumed           *bool
		ClientCertificate string `json:"client_certificate"`
		Keys, Closed      string
		File              *int
		Messages          [][]any
		Alerts            []struct {
			TS, From, Level, Description string
			Encrypted                    bool
		}
		Violations []struct {
			TS, From, Code, Got, Detail string
			Expected                    []string
		}
		Gap       *struct{ From string }
		Findings  []struct{ Rule, Code, Detail string }
		Diagnosis *struct {
			Code, Cause, Hint string
			Evidence          []string
		}
	}
}

// pageData cuts the JSON out of a page and reads it.
func pageData(t *testing.T, page []byte) (htmlPage, []byte) {
	t.Helper()
	_, rest, ok := bytes.Cut(page, []byte(dataOpen))
	if !ok {
		t.Fatalf("no %s in the page", dataOpen)
	}
	data, _, ok := bytes.Cut(rest, []byte("</script>"))
	if !ok {
		t.Fatal("the data's script element does not end")
	}
	var p htmlPage
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("the page's JSON does not parse: %v", err)
	}
	return p, data
}

// xmllintHTML checks a page with xmllint's HTML parser, which must say
// nothing; the test goes on without it when xmllint is not installed.
func xmllintHTML(t *testing.T, page []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint not installed (Debian libxml2-utils; scripts/deps.sh installs it): the page is not parsed")
		return
	}
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--html", "--noout", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("xmllint --html: %v\n%s", err, out)
	}
}

var countRE = regexp.MustCompile(`<li class="count o-[a-z_]+" data-outcome="([a-z_]+)"><span class="n">(\d+)</span>`)

// TestHTMLCaptures: every connection of the bundled captures is in the
// page once, in order, with what the table and its diagram show:
// endpoints, outcome, version, suite, SNI, each message (offset, side,
// type, length, flags), alerts, violations, findings, its file and a
// diagnosis where one was set; the counts above the plot are right; the
// spool is gone after Close; xmllint parses the page.
func TestHTMLCaptures(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	h := NewHTMLWriter(&out, Options{MultiFile: true})
	sum := NewSummary()
	type written struct {
		r        flows.Result
		findings []Finding
		file     string
	}
	var all []written
	outcomes := map[string]int64{}
	for _, path := range capturesIn(t, bundledPcaps) {
		h.BeginFile(path)
		for _, r := range analyzeFile(t, path, flows.Options{}) {
			if r.Outcome != flows.OutcomeEstablished {
				r.Diagnosis = &flows.Diagnosis{Code: "test_" + string(r.Outcome), Cause: "cause of " + path,
					Evidence: []string{"one", "two"}, Hint: "hint"}
			}
			fs := Findings(&r, rules)
			if err := h.Write(&r, fs); err != nil {
				t.Fatal(err)
			}
			sum.Add(&r, fs)
			all = append(all, written{r, fs, path})
			outcomes[string(r.Outcome)]++
		}
	}
	h.FileError("missing.pcap", errors.New("open missing.pcap: no such file"))
	h.WriteSummary(sum, nil)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "hsdecode-html-*")); len(left) > 0 {
		t.Errorf("spool left behind: %v", left)
	}
	page := out.Bytes()
	p, _ := pageData(t, page)
	if len(p.Connections) != len(all) || len(all) == 0 {
		t.Fatalf("%d connections in the page, %d written", len(p.Connections), len(all))
	}
	if p.Summary == nil || p.Summary.Connections != int64(len(all)) {
		t.Errorf("summary: %+v, want %d connections", p.Summary, len(all))
	}
	if len(p.InputErrors) != 1 || p.InputErrors[0].File != "missing.pcap" {
		t.Errorf("input errors %+v", p.InputErrors)
	}
	for i, w := range all {
		r, c := &w.r, p.Connections[i]
		where := fmt.Sprintf("#%d %s %s", i+1, w.file, r.Client)
		if c.TS != stamp(r.Start) || c.EndTS != stamp(r.End) || c.Client != unmap(r.Client).String() || c.Server != unmap(r.Server).String() {
			t.Errorf("%s: %s %s %s %s", where, c.TS, c.EndTS, c.Client, c.Server)
		}
		if c.Outcome != string(r.Outcome) || c.ServerName != Escape(r.ServerName) || (r.Version != 0) != (c.Version == r.Version.String()) ||
			(r.HasCipherSuite && c.CipherSuite != r.CipherSuite.String()) || c.Closed != r.Closed {
			t.Errorf("%s: %s %s %s %q %s", where, c.Outcome, c.Version, c.CipherSuite, c.ServerName, c.Closed)
		}
		if c.File == nil || p.Files[*c.File] != w.file {
			t.Errorf("%s: file %v", where, c.File)
		}
		if len(c.Messages) != len(r.Messages) {
			t.Errorf("%s: %d messages, want %d", where, len(c.Messages), len(r.Messages))
			continue
		}
		for j, m := range r.Messages {
			side, flags := "c", ""
			if m.From == flows.Server {
				side = "s"
			}
			if m.Encrypted {
				flags += "e"
			}
			if m.Decrypted {
				flags += "d"
			}
			if m.EarlyData {
				flags += "0"
			}
			want := []any{float64(m.TS.Sub(r.Start).Microseconds()), side, m.Type, float64(m.Length), flags}
			if got := c.Messages[j]; len(got) < 5 || fmt.Sprint(got[:5]) != fmt.Sprint(want) {
				t.Errorf("%s: message %d is %v, want %v", where, j, got, want)
			}
		}
		if len(c.Alerts) != len(r.Alerts) || len(c.Violations) != len(r.Violations) || len(c.Findings) != len(w.findings) {
			t.Errorf("%s: %d alerts, %d violations, %d findings; want %d, %d, %d", where, len(c.Alerts), len(c.Violations),
				len(c.Findings), len(r.Alerts), len(r.Violations), len(w.findings))
			continue
		}
		for j, a := range r.Alerts {
			if !a.Encrypted && c.Alerts[j].Description != a.Description.String() || c.Alerts[j].From != string(a.From) {
				t.Errorf("%s: alert %d %+v", where, j, c.Alerts[j])
			}
		}
		for j, v := range r.Violations {
			if c.Violations[j].Code != string(v.Code) || c.Violations[j].Got != v.Got || c.Violations[j].TS != stamp(v.TS) {
				t.Errorf("%s: violation %d %+v", where, j, c.Violations[j])
			}
		}
		if (r.Diagnosis == nil) != (c.Diagnosis == nil) || r.Diagnosis != nil && (c.Diagnosis.Code != r.Diagnosis.Code ||
			c.Diagnosis.Cause != r.Diagnosis.Cause || len(c.Diagnosis.Evidence) != 2 || c.Diagnosis.Hint != "hint") {
			t.Errorf("%s: diagnosis %+v, want %+v", where, c.Diagnosis, r.Diagnosis)
		}
	}
	got := map[string]int64{}
	for _, m := range countRE.FindAllSubmatch(page, -1) {
		var n int64
		fmt.Sscan(string(m[2]), &n)
		got[string(m[1])] = n
	}
	if fmt.Sprint(got) != fmt.Sprint(outcomes) {
		t.Errorf("counts on the page %v, want %v", got, outcomes)
	}
	xmllintHTML(t, page)
}

// htmlHostile are the strings of the hostile test: those the JSON
// encoder's tests use, and markup meant to close the script or inject.
var htmlHostile = append([]string{
	"</script><script>alert(1)</script>",
	`"><img src=x onerror=alert(1)>`,
	"</SCRIPT ><!--<script>",
	"<!-- &lt; ]]> -->",
	"\u202eevil\u2066 bidi",
}, hostileStrings...)

// TestHTMLHostile puts each hostile string into every string of a
// connection that the page shows, into the diagnosis, a file name, an
// input error and a baseline's change: the page still has its two script elements only, the
// JSON holds no '<', '>' or '&', reads back with each string escaped as
// the text report escapes it (Escape), and xmllint parses the page.
func TestHTMLHostile(t *testing.T) {
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range htmlHostile {
		r := hostileResult(s)
		r.Diagnosis = &flows.Diagnosis{Code: s, Cause: s, Evidence: []string{s, s}, Hint: s}
		var out bytes.Buffer
		h := NewHTMLWriter(&out, Options{MultiFile: true})
		h.FileError(s, errors.New(s))
		h.BeginFile(s)
		if err := h.Write(r, Findings(r, rules)); err != nil {
			t.Fatal(err)
		}
		h.WriteSummary(NewSummary(), &BaselineChanges{Changes: []BaselineChange{{Server: s, SNI: s, Kind: "outcome", Worse: true, Detail: s}}})
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		page := out.Bytes()
		lower := bytes.ToLower(page)
		if n, m := bytes.Count(lower, []byte("<script")), bytes.Count(lower, []byte("</script")); n != 2 || m != 2 {
			t.Errorf("%q: %d <script and %d </script in the page, want 2 and 2", s, n, m)
		}
		p, data := pageData(t, page)
		if i := bytes.IndexAny(data, "<>&"); i >= 0 {
			t.Errorf("%q: the JSON holds %q at %d", s, data[i], i)
		}
		if bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029")) {
			t.Errorf("%q: a raw line or paragraph separator in the JSON", s)
		}
		e := Escape(s)
		if len(p.Connections) != 1 {
			t.Fatalf("%q: %d connections", s, len(p.Connections))
		}
		c := p.Connections[0]
		d := c.Diagnosis
		if c.ServerName != e || c.ALPN != e || c.Violations[0].Detail != e || d == nil || d.Cause != e || d.Evidence[1] != e ||
			p.Files[0] != e || p.InputErrors[0].Error != e || c.Messages[len(c.Messages)-1][2] != e ||
			p.Summary == nil || p.Summary.Baseline == nil || p.Summary.Baseline.Changes[0].ServerName != e || p.Summary.Baseline.Changes[0].Detail != e {
			t.Errorf("%q: not read back as %q: %+v %+v %v", s, e, c, p.InputErrors, p.Files)
		}
		xmllintHTML(t, page)
	}
}

// TestHTMLAssets: the page's script and style cannot end their elements,
// and the script never parses a string as markup: it builds every node.
func TestHTMLAssets(t *testing.T) {
	for name, text := range map[string]string{"page.js": pageJS, "page.css": pageCSS} {
		l := strings.ToLower(text)
		for _, bad := range []string{"</script", "</style", "<!--"} {
			if strings.Contains(l, bad) {
				t.Errorf("%s holds %s", name, bad)
			}
		}
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser", "createContextualFragment"} {
		if strings.Contains(pageJS, bad) {
			t.Errorf("page.js uses %s", bad)
		}
	}
}

// FuzzHTMLConn: any string in a connection's fields comes out as JSON that
// parses, holds none of '<', '>', '&', and reads back as Escape makes it.
func FuzzHTMLConn(f *testing.F) {
	for _, s := range htmlHostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := hostileResult(s)
		r.Diagnosis = &flows.Diagnosis{Code: s, Cause: s, Evidence: []string{s}, Hint: s}
		b := appendHTMLConn([]byte("x"), &htmlConn{r: r, file: -1})
		if b[0] != 'x' {
			t.Fatalf("the prefix was lost: %q", b)
		}
		b = b[1:]
		if i := bytes.IndexAny(b, "<>&\u2028\u2029"); i >= 0 {
			t.Fatalf("%q: unsafe byte at %d: %s", s, i, b)
		}
		var c struct {
			ServerName string `json:"server_name"`
			Diagnosis  struct{ Hint string }
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%q: %v: %s", s, err, b)
		}
		if c.ServerName != Escape(s) || c.Diagnosis.Hint != Escape(s) {
			t.Errorf("%q: read back %q, %q; want %q", s, c.ServerName, c.Diagnosis.Hint, Escape(s))
		}
	})
}

// TestHTMLEmpty: a run without connections is still a page: no
// connections in its JSON, no counts, and xmllint parses it.
func TestHTMLEmpty(t *testing.T) {
	var out bytes.Buffer
	h := NewHTMLWriter(&out, Options{})
	h.BeginFile("empty.pcap")
	h.WriteSummary(NewSummary(), nil)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	p, _ := pageData(t, out.Bytes())
	if len(p.Connections) != 0 || p.Summary == nil || len(p.Files) != 1 || countRE.Match(out.Bytes()) {
		t.Errorf("empty run: %+v", p)
	}
	xmllintHTML(t, out.Bytes())
}

package main

// The HTML report opened in a browser: headless Chromium (Debian's
// chromium package; scripts/deps.sh installs it) runs the page's script
// and dumps the DOM it built, which the tests read: the counts, a row and
// a diagram per connection, the filters, and nothing a hostile string
// injected. A screenshot is kept (HSDECODE_ARTIFACTS names a directory to
// keep it in; else the test's temporary directory, logged).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// chromiumPath is headless Chromium's path; the test is skipped without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (Debian chromium; scripts/deps.sh installs it): the page is not opened in a browser")
	return ""
}

// openPage runs Chromium headless on a page with a URL fragment and the
// given output flag (--dump-dom or --screenshot=FILE), long enough in
// virtual time for the script to run; it returns standard output.
func openPage(t *testing.T, chromium, page, fragment string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000"}, args...)
	cmd := exec.CommandContext(ctx, chromium, append(args, "file://"+page+fragment)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", fragment, err, errb.String())
	}
	return out.String()
}

// htmlDOM is the DOM Chromium dumped after the page's script ran.
type htmlDOM string

var (
	htmlRowRE    = regexp.MustCompile(`<tr class="conn[^"]*" data-n="(\d+)" data-outcome="([a-z_]+)"`)
	htmlLadderRE = regexp.MustCompile(`<svg class="ladder" data-n="(\d+)"`)
	htmlMsgRE    = regexp.MustCompile(`<g class="msg[^"]*" data-type="`)
	htmlShownRE  = regexp.MustCompile(`<p id="shown">([^<]*)</p>`)
)

func (d htmlDOM) rows() map[string]int {
	out := map[string]int{}
	for _, m := range htmlRowRE.FindAllStringSubmatch(string(d), -1) {
		out[m[2]]++
	}
	return out
}

func (d htmlDOM) count(re *regexp.Regexp) int { return len(re.FindAllString(string(d), -1)) }

func (d htmlDOM) shown() string {
	if m := htmlShownRE.FindStringSubmatch(string(d)); m != nil {
		return m[1]
	}
	return ""
}

// pageConn is a connection of a page's JSON, what the filters read.
type pageConn struct {
	TS               string `json:"ts"`
	Server           string
	Outcome, Version string
	ServerName       string `json:"server_name"`
	Messages         []json.RawMessage
	Alerts           []struct{ Description string }
	Diagnosis        *struct{ Code string }
}

// pageConns reads the connections of a page's JSON, as its script does.
func pageConns(t *testing.T, page []byte) []pageConn {
	t.Helper()
	_, rest, _ := bytes.Cut(page, []byte(`<script type="application/json" id="hsdecode-data">`))
	data, _, _ := bytes.Cut(rest, []byte("</script>"))
	var p struct{ Connections []pageConn }
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("the page's JSON: %v", err)
	}
	return p.Connections
}

// htmlArtifactDir is where screenshots are kept: $HSDECODE_ARTIFACTS, else
// the test's temporary directory.
func htmlArtifactDir(t *testing.T) string {
	if d := os.Getenv("HSDECODE_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestHTMLBrowser: the page of the bundled captures, opened in Chromium.
// All open (#open=all): a row and a diagram per connection, an arrow per
// message, the counts and the line saying how many are shown. Each
// filter given in the fragment narrows the table to the connections the
// JSON says match. A screenshot with two diagrams open is kept.
func TestHTMLBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var errb bytes.Buffer
	baseline := filepath.Join(goldenDir, "01-tls12-ecdhe-rsa.jsonl")
	if status := run([]string{"--fail-on", "none", "--baseline", baseline, "--html", page, "--format", "json", pcapDir}, new(bytes.Buffer), &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	conns := pageConns(t, raw)
	outcomes, msgs := map[string]int{}, 0
	for _, c := range conns {
		outcomes[c.Outcome]++
		msgs += len(c.Messages)
	}
	if len(conns) < 50 {
		t.Fatalf("%d connections in the page of %s", len(conns), pcapDir)
	}

	d := htmlDOM(openPage(t, chromium, page, "#open=all&size=10000", "--dump-dom"))
	if !strings.Contains(string(d), `data-ready="true"`) {
		t.Fatalf("the page's script did not finish:\n%.2000s", d)
	}
	if got := d.rows(); fmt.Sprint(got) != fmt.Sprint(outcomes) {
		t.Errorf("rows by outcome %v, want %v", got, outcomes)
	}
	if n := d.count(htmlLadderRE); n != len(conns) {
		t.Errorf("%d diagrams, want one per connection (%d)", n, len(conns))
	}
	if n := d.count(htmlMsgRE); n != msgs {
		t.Errorf("%d arrows, want one per message (%d)", n, msgs)
	}
	if got, want := d.shown(), fmt.Sprintf("%d connections", len(conns)); got != want {
		t.Errorf("shown %q, want %q", got, want)
	}
	for o, n := range outcomes {
		if want := fmt.Sprintf(`data-outcome="%s"><span class="n">%d</span>`, o, n); !strings.Contains(string(d), want) {
			t.Errorf("the counts lack %s", want)
		}
	}
	mismatch := 0
	for _, c := range conns {
		if c.Diagnosis != nil && c.Diagnosis.Code == "server_cert_name_mismatch" {
			mismatch++
		}
	}
	if want := fmt.Sprintf("server_cert_name_mismatch %d", mismatch); mismatch == 0 || !regexp.MustCompile(`<div id="run"><p>[^<]*diagnoses: [^<]*`+want).MatchString(string(d)) {
		t.Errorf("the run's line lacks the diagnoses' count %q", want)
	}
	if !regexp.MustCompile(`<p>baseline: \d+ worse</p>`).MatchString(string(d)) {
		t.Error("the run's comparison with its baseline is not shown")
	}

	// The filters, each given in the fragment.
	filters := []struct {
		fragment string
		match    func(c pageConn) bool
	}{
		// A part not percent-encoded right is left out.
		{"#outcome=alert&sni=%E0%A4%A", func(c pageConn) bool {
			return c.Outcome == "alert"
		}},
		{"#version=TLS%201.3&outcome=established", func(c pageConn) bool {
			return c.Version == "TLS 1.3" && c.Outcome == "established"
		}},
		{"#to=2026-11-28T00:00:00.000000Z&server=127.0.0.1", func(c pageConn) bool {
			return c.TS < "2026-11-28" && strings.Contains(c.Server, "127.0.0.1")
		}},
		{"#diagnosis=server_cert_name_mismatch", func(c pageConn) bool {
			return c.Diagnosis != nil && c.Diagnosis.Code == "server_cert_name_mismatch"
		}},
		{"#diagnosis=(none)&outcome=established", func(c pageConn) bool {
			return c.Diagnosis == nil && c.Outcome == "established"
		}},
		{"#alert=unknown_ca", func(c pageConn) bool {
			for _, a := range c.Alerts {
				if a.Description == "unknown_ca" {
					return true
				}
			}
			return false
		}},
	}
	for _, f := range filters {
		want := map[string]int{}
		n := 0
		for _, c := range conns {
			if f.match(c) {
				want[c.Outcome]++
				n++
			}
		}
		if n == 0 || n == len(conns) {
			t.Fatalf("%s matches %d of %d: it cannot show a filter narrowing the table", f.fragment, n, len(conns))
		}
		d := htmlDOM(openPage(t, chromium, page, f.fragment+"&size=10000", "--dump-dom"))
		if got := d.rows(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: rows by outcome %v, want %v", f.fragment, got, want)
		}
		if got, want := d.shown(), fmt.Sprintf("%d of %d connections match", n, len(conns)); got != want {
			t.Errorf("%s: shown %q, want %q", f.fragment, got, want)
		}
		if n := d.count(htmlLadderRE); n != 0 {
			t.Errorf("%s: %d diagrams open, none asked for", f.fragment, n)
		}
	}

	// A click on the plot's first slice of time, by a script added to a
	// copy of the page: the table keeps what the slice's title counts.
	clicked := filepath.Join(dir, "clicked.html")
	click := []byte(`<script>document.querySelector('#plot .slice').dispatchEvent(new MouseEvent('click'));</script>` + "\n</body>")
	if err := os.WriteFile(clicked, bytes.Replace(raw, []byte("</body>"), click, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	d = htmlDOM(openPage(t, chromium, clicked, "", "--dump-dom"))
	slice := regexp.MustCompile(`<rect [^>]*class="slice"><title>[^<]*: (\d+) connections`).FindStringSubmatch(string(d))
	if slice == nil || slice[1] == "0" || slice[1] == fmt.Sprint(len(conns)) {
		t.Fatalf("the plot's first slice: %v", slice)
	}
	if got, want := d.shown(), fmt.Sprintf("%s of %d connections match", slice[1], len(conns)); got != want {
		t.Errorf("a click on the first slice: shown %q, want %q", got, want)
	}
	if !strings.Contains(string(d), `<span id="f-time"><span>begun from `) {
		t.Error("a click on the first slice: the time filter is not shown")
	}

	shot := filepath.Join(htmlArtifactDir(t), "html-report.png")
	openPage(t, chromium, page, "#open=9,23", "--window-size=1400,2200", "--screenshot="+shot, "--hide-scrollbars")
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}

// The hostile strings of the browser test: each would mark the body with
// data-pwned if it ran.
const (
	pwnScript = "</script><script>document.body.setAttribute('data-pwned','script')</script>"
	pwnImg    = `"><img src=x onerror="document.body.setAttribute('data-pwned','img')">`
	pwnSVG    = `<svg onload="document.body.setAttribute('data-pwned','svg')">`
)

// htmlHostileHandshake is a ClientHello with a hostile SNI and ALPN that
// the server refuses with an alert.
func htmlHostileHandshake() *synthConn {
	u16 := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	ext := func(typ int, data []byte) []byte { return append(append(u16(typ), u16(len(data))...), data...) }
	alpnList := append(u16(len(pwnImg)+1), byte(len(pwnImg)))
	alpnList = append(alpnList, pwnImg...)
	sniList := append(u16(len(pwnScript)+3), 0)
	sniList = append(append(sniList, u16(len(pwnScript))...), pwnScript...)
	exts := append(ext(0, sniList), ext(16, alpnList)...)
	ch := append([]byte{3, 3}, make([]byte, 32)...)
	ch = append(ch, 0, 0, 2, 0xc0, 0x2b, 1, 0)
	ch = append(append(ch, u16(len(exts))...), exts...)
	c := newSynthConn(40112)
	c.send(true, tlsRecord(22, handshakeMsg(1, ch)))
	c.send(false, tlsRecord(21, []byte{2, 40}))
	return c
}

// TestHTMLBrowserHostile: a capture whose SNI and ALPN are markup, in a
// file whose name is markup, beside an input that cannot be read, and a
// page of a result whose diagnosis and violation are markup: opened in
// Chromium with everything drawn, nothing runs (the body is not marked),
// no element is injected, the script finishes, and the strings show as
// text.
func TestHTMLBrowserHostile(t *testing.T) {
	chromium := chromiumPath(t)
	dir := t.TempDir()
	capFile := filepath.Join(dir, strings.ReplaceAll(pwnSVG, "/", "")+".pcap")
	if err := os.Rename(writePcap(t, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"), []*synthConn{htmlHostileHandshake()}), capFile); err != nil {
		t.Fatal(err)
	}
	fromCLI := filepath.Join(dir, "cli.html")
	run([]string{"--format", "json", "--html", fromCLI, capFile, filepath.Join(dir, pwnImg+".pcap")}, new(bytes.Buffer), new(bytes.Buffer))

	// A diagnosis and a violation, which no capture here makes, set on a
	// result directly.
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := &flows.Result{Start: t0, End: t0.Add(time.Millisecond), Outcome: flows.OutcomeViolation,
		Client: netip.MustParseAddrPort("10.0.0.1:5000"), Server: netip.MustParseAddrPort("10.0.0.2:443"), ServerName: pwnSVG,
		Messages:   []flows.Message{{TS: t0, From: flows.Client, Type: pwnScript, Length: 3}},
		Violations: []flows.Violation{{TS: t0, From: flows.Client, Code: flows.Code(pwnImg), Got: pwnScript, Expected: []string{pwnSVG}, Detail: pwnImg}},
		Diagnosis:  &flows.Diagnosis{Code: pwnSVG, Cause: pwnScript, Evidence: []string{pwnImg, "\x1b[2K\u202e\xff"}, Hint: pwnSVG}}
	direct := filepath.Join(dir, "direct.html")
	f, err := os.Create(direct)
	if err != nil {
		t.Fatal(err)
	}
	h := report.NewHTMLWriter(f, report.Options{})
	if err := h.Write(r, []report.Finding{{Rule: "violation", Code: pwnImg, Detail: pwnScript}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for page, conns := range map[string]int{fromCLI: 2, direct: 1} { // the CLI's: the hostile one and 01's
		d := openPage(t, chromium, page, "#open=all&size=10000", "--dump-dom")
		name := filepath.Base(page)
		if !strings.Contains(d, `data-ready="true"`) {
			t.Errorf("%s: the page's script did not finish:\n%.3000s", name, d)
		}
		if strings.Contains(d, `data-pwned="`) {
			t.Errorf("%s: a hostile string ran", name)
		}
		// Chromium serialises text with <, > and & escaped: any of these
		// raw is an element the data made.
		for _, tag := range []string{"<img", "<svg onload", "<script>document"} {
			if strings.Contains(d, tag) {
				t.Errorf("%s: %s in the DOM", name, tag)
			}
		}
		if n := strings.Count(d, `<svg class="ladder"`); n != conns {
			t.Errorf("%s: %d diagrams, want %d", name, n, conns)
		}
		if !strings.Contains(d, "&lt;/script&gt;&lt;script&gt;document.body.setAttribute") {
			t.Errorf("%s: the hostile string is not shown as text", name)
		}
	}
}

// TestHTMLLarge writes a page of $HSDECODE_HTML_LARGE connections (say
// 100000; skipped when unset, as it takes a minute), the bundled
// captures' results over and over, a second apart, those not established
// with a diagnosis of a typical length: it logs the page's size per
// 10,000 connections, checks the writer's heap did not grow with the
// connections (they wait in a file), and that Chromium opens the page, its
// script done within the budget, filtering and opening on a later page of
// the table.
func TestHTMLLarge(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HSDECODE_HTML_LARGE"))
	if n <= 0 {
		t.Skip("HSDECODE_HTML_LARGE unset: set it to a number of connections, 100000 for the size stated in docs/report.md")
	}
	chromium := chromiumPath(t)
	var base []flows.Result
	pcaps, err := filepath.Glob(filepath.Join(pcapDir, "*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pcaps {
		an, err := analyze(p, flows.Options{}, reassembly.Options{})
		if err != nil {
			t.Fatal(err)
		}
		base = append(base, an.results...)
	}
	rules, err := report.ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "large.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	h := report.NewHTMLWriter(f, report.Options{})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var early uint64
	alerts := 0
	for i := range n {
		if i == n/10 {
			early = heap()
		}
		r := base[i%len(base)]
		shift := t0.Add(time.Duration(i) * time.Second).Sub(r.Start)
		r.Start, r.End = r.Start.Add(shift), r.End.Add(shift)
		r.Client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), r.Client.Port())
		r.Messages = append([]flows.Message(nil), r.Messages...)
		for j := range r.Messages {
			r.Messages[j].TS = r.Messages[j].TS.Add(shift)
		}
		r.Alerts = append([]flows.Alert(nil), r.Alerts...)
		for j := range r.Alerts {
			r.Alerts[j].TS = r.Alerts[j].TS.Add(shift)
		}
		r.Violations = append([]flows.Violation(nil), r.Violations...)
		for j := range r.Violations {
			r.Violations[j].TS = r.Violations[j].TS.Add(shift)
		}
		if r.Outcome != flows.OutcomeEstablished {
			r.Diagnosis = &flows.Diagnosis{Code: "server_rejected_client",
				Cause:    "The server ended the handshake with handshake_failure right after the ClientHello: nothing the client offered was acceptable.",
				Evidence: []string{"client offered TLS 1.0-1.2, 28 suites", "the server chose TLS 1.3 TLS_AES_128_GCM_SHA256 for 41 other clients"},
				Hint:     "Enable TLS 1.2 or later on the client."}
		}
		if r.Outcome == flows.OutcomeAlert {
			alerts++
		}
		if err := h.Write(&r, report.Findings(&r, rules)); err != nil {
			t.Fatal(err)
		}
	}
	late := heap()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d connections: %d bytes, %.1f MB per 10,000 connections; heap %d KiB after %d connections, %d KiB after %d",
		n, st.Size(), float64(st.Size())/float64(n)*10000/1e6, early>>10, n/10, late>>10, n)
	if late > early+16<<20 {
		t.Errorf("the heap grew by %d MB from %d to %d connections: the writer holds them", (late-early)>>20, n/10, n)
	}

	start := time.Now()
	d := htmlDOM(openPage(t, chromium, page, "#outcome=alert&page=3&open=all", "--dump-dom"))
	took := time.Since(start)
	ms := regexp.MustCompile(`data-ready-ms="(\d+)"`).FindStringSubmatch(string(d))
	if ms == nil || !strings.Contains(string(d), `data-ready="true"`) {
		t.Fatalf("the page's script did not finish")
	}
	// Most of Chromium's time goes to writing out the DOM, the data with it.
	t.Logf("the page drew the alerts' page 3 %s ms after it began to load; chromium took %s in all",
		ms[1], took.Round(time.Millisecond))
	if got, want := d.shown(), fmt.Sprintf("%d of %d connections match", alerts, n); got != want {
		t.Errorf("shown %q, want %q", got, want)
	}
	rows := d.rows()
	if want := min(100, max(0, alerts-200)); rows["alert"] != want || len(rows) != 1 || d.count(htmlLadderRE) != want {
		t.Errorf("page 3 of the alerts: rows %v, %d diagrams; want %d alert rows and diagrams", rows, d.count(htmlLadderRE), want)
	}
	shot := filepath.Join(htmlArtifactDir(t), "html-report-large.png")
	openPage(t, chromium, page, "#page=500", "--window-size=1400,1600", "--screenshot="+shot, "--hide-scrollbars")
	t.Logf("screenshot: %s", shot)
}

// TestHTMLFormatAndFile: --format html on standard output and --html FILE
// beside it write the same page, with the run's summary and the input
// that could not be read, and the run's exit status is the gate's.
func TestHTMLFormatAndFile(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	missing := filepath.Join(t.TempDir(), "missing.pcap")
	var out, errb bytes.Buffer
	if status := run([]string{"--format", "html", "--html", page, filepath.Join(pcapDir, "23-violation-shd-before-cert.pcap"), missing}, &out, &errb); status != exitError {
		t.Errorf("exit %d, want %d (an input is missing): %s", status, exitError, errb.String())
	}
	file, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), file) {
		t.Errorf("standard output (%d bytes) and --html's file (%d bytes) differ", out.Len(), len(file))
	}
	for _, want := range []string{`"summary":{"files":1,"input_errors":1,"connections":1,`, `"input_errors":[{"file":"` + missing + `","error":"capture: open ` + missing,
		`"outcome":"violation"`, `<li class="count o-violation" data-outcome="violation"><span class="n">1</span> violation</li>`} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(errb.String(), "summary") {
		t.Errorf("the summary went to standard error too:\n%s", errb.String())
	}
}

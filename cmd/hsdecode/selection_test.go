package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// selectionInputs are captures with connections of every kind the
// selection flags tell apart: outcomes (established, alert, violation,
// not_tls), servers on several ports and both IP versions, SNI present
// and absent.
var selectionInputs = []string{
	"01-tls12-ecdhe-rsa.pcap", "07-tls12-no-shared-cipher.pcap", "18-ipv6-tls13.pcap",
	"23-violation-shd-before-cert.pcap", "28-plaintext-to-tls-port.pcap",
	"53-keylog-suites.pcap", "64-diag-nothing-in-common.pcap", "69-diag-no-sni.pcap",
}

// selLine is what a selection looks at in a JSON report line.
type selLine struct {
	UID         string `json:"uid"`
	CommunityID string `json:"community_id"`
	Outcome     string `json:"outcome"`
	Server      struct {
		IP   string `json:"ip"`
		Port int    `json:"port"`
	} `json:"server"`
	ServerName string `json:"server_name"`
}

// TestSelection: each selection's report is, line for line and byte for
// byte, the lines of the report of every connection that it matches, the
// diagnoses included; the summary counts those and says what was left
// out.
func TestSelection(t *testing.T) {
	var inputs []string
	for _, name := range selectionInputs {
		inputs = append(inputs, filepath.Join(pcapDir, name))
	}
	all := strings.SplitAfter(compressedReport(t, exitOK, append([]string{"--format", "json", "--fail-on", "none", "--min-connections", "0"}, inputs...)...), "\n")
	all = all[:len(all)-1]
	lines := make([]selLine, len(all))
	for i, l := range all {
		if err := json.Unmarshal([]byte(l), &lines[i]); err != nil {
			t.Fatal(err)
		}
	}
	third, ipv6 := lines[2], 0
	for i, l := range lines {
		if strings.Contains(l.Server.IP, ":") {
			ipv6 = i
		}
	}
	for _, tt := range []struct {
		flags []string
		match func(selLine) bool
	}{
		{[]string{"--outcome", "alert"}, func(l selLine) bool { return l.Outcome == "alert" }},
		{[]string{"--outcome", "violation,not-tls"}, func(l selLine) bool { return l.Outcome == "violation" || l.Outcome == "not_tls" }},
		{[]string{"--server", "127.0.0.1:44380"}, func(l selLine) bool { return l.Server.IP == "127.0.0.1" && l.Server.Port == 44380 }},
		{[]string{"--server", "*:4438?,::1"}, func(l selLine) bool {
			return l.Server.IP == "::1" || l.Server.Port >= 44380 && l.Server.Port <= 44389
		}},
		{[]string{"--server", "[::1]:" + strconv.Itoa(lines[ipv6].Server.Port)}, func(l selLine) bool { return l.Server.IP == "::1" }},
		{[]string{"--server", "127.0.0.0/8"}, func(l selLine) bool { return l.Server.IP != "::1" }},
		{[]string{"--server", "10.*"}, func(selLine) bool { return false }},
		{[]string{"--sni", "LOCAL*."}, func(l selLine) bool { return l.ServerName == "localhost" }},
		{[]string{"--sni", ""}, func(l selLine) bool { return l.ServerName == "" }},
		{[]string{"--id", third.UID}, func(l selLine) bool { return l.UID == third.UID }},
		{[]string{"--id", lines[ipv6].CommunityID + "," + third.UID}, func(l selLine) bool {
			return l.CommunityID == lines[ipv6].CommunityID || l.UID == third.UID
		}},
		{[]string{"--outcome", "established", "--server", "*:44380,*:44381", "--sni", "localhost"}, func(l selLine) bool {
			return l.Outcome == "established" && (l.Server.Port == 44380 || l.Server.Port == 44381) && l.ServerName == "localhost"
		}},
	} {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			var want []string
			for i, l := range lines {
				if tt.match(l) {
					want = append(want, all[i])
				}
			}
			if len(want) == len(all) && tt.flags[0] != "--server" {
				t.Fatalf("the selection keeps every connection: no test")
			}
			args := append(append([]string{"--format", "json", "--fail-on", "none", "--min-connections", "0", "--summary"}, tt.flags...), inputs...)
			var out, errb bytes.Buffer
			if got := run(args, &out, &errb); got != exitOK {
				t.Fatalf("exit %d; stderr %q", got, errb.String())
			}
			got := strings.SplitAfter(out.String(), "\n")
			sum := got[len(got)-2]
			got = got[:len(got)-2]
			if strings.Join(got, "") != strings.Join(want, "") {
				t.Errorf("%d connections reported, want %d: %s", len(got), len(want), lineDiff(strings.Join(got, ""), strings.Join(want, "")))
			}
			var s struct {
				Summary struct {
					Connections int `json:"connections"`
					Selection   struct {
						Given       string `json:"given"`
						NotSelected int    `json:"not_selected"`
					} `json:"selection"`
				} `json:"summary"`
			}
			if err := json.Unmarshal([]byte(sum), &s); err != nil {
				t.Fatalf("%v: %s", err, sum)
			}
			if s.Summary.Connections != len(want) || s.Summary.Selection.NotSelected != len(all)-len(want) ||
				!strings.HasPrefix(s.Summary.Selection.Given, tt.flags[0]+" ") {
				t.Errorf("summary %s: want %d connections, %d not selected", sum, len(want), len(all)-len(want))
			}
			if none := "none of the " + strconv.Itoa(len(all)) + " connections read matched"; (len(want) == 0) != strings.Contains(errb.String(), none) {
				t.Errorf("stderr %q, want %q only when nothing matched", errb.String(), none)
			}
		})
	}
}

// TestSelectionGate: --fail-on judges the selected connections only, in
// every output: the exit status, the text summary, JUnit's test cases,
// the HTML page's connections;
// --min-connections counts every TLS connection read.
func TestSelectionGate(t *testing.T) {
	established := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	alert := filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")
	junit, page := filepath.Join(t.TempDir(), "junit.xml"), filepath.Join(t.TempDir(), "report.html")
	out := compressedReport(t, exitOK, "--outcome", "established", "--junit", junit, "--html", page, established, alert)
	for _, want := range []string{"selected:      1 of 2 connections read (--outcome established)", "1 connection: 1 established"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(x), "<testcase "); n != 1 || strings.Contains(string(x), "<failure") {
		t.Errorf("JUnit: %d test cases, want 1 and no failure:\n%s", n, x)
	}
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if conns := pageConns(t, raw); len(conns) != 1 || conns[0].Outcome != "established" {
		t.Errorf("the HTML page has %d connections, want the established one", len(conns))
	}
	compressedReport(t, exitFindings, "--outcome", "alert,established", established, alert)
	// The gate's floor (--min-connections, 1 under --fail-on) asks what
	// the capture holds: TLS connections left out count.
	compressedReport(t, exitOK, "--outcome", "alert", "--fail-on", "alert", established)
	compressedReport(t, exitFindings, "--sni", "localhost", "--format", "ecs", established, alert)
}

// TestSelectionErrors: a misspelt outcome, a server given by name, a bad
// glob and an id of neither form are usage errors, on one line.
func TestSelectionErrors(t *testing.T) {
	in := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--outcome", "alert,establised"}, `--outcome: unknown outcome "establised" (outcomes: violation, alert, established, partial, gap, incomplete, not_tls)`},
		{[]string{"--outcome", ""}, `--outcome: unknown outcome ""`},
		{[]string{"--server", "example.com:443"}, `a server's name is --sni`},
		{[]string{"--server", "[::1]"}, `give [IPv6]:port`},
		{[]string{"--server", "10.0.0.1,"}, `an empty item`},
		{[]string{"--server", "10.[0"}, `syntax error in pattern`},
		{[]string{"--sni", "[a"}, `--sni: "[a": syntax error in pattern`},
		{[]string{"--id", "CjV0ZH"}, `--id: "CjV0ZH": give a connection's uid`},
	} {
		var out, errb bytes.Buffer
		if got := run(append(tt.args, in), &out, &errb); got != exitError || !strings.Contains(errb.String(), tt.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, got, errb.String(), tt.want)
		}
		if out.Len() > 0 {
			t.Errorf("%q: wrote %q", tt.args, out.String())
		}
	}
}

// TestDocsNameSelection: docs/report.md names the summary's selection
// members, which TestDocsNameEveryJSONField's run, with no selection, does
// not see.
func TestDocsNameSelection(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/report.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := compressedReport(t, exitOK, "--format", "json", "--summary", "--id", "C00000000000000000", filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"))
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	memberNames(v, names)
	for _, want := range []string{"selection", "given", "not_selected"} {
		if !names[want] {
			t.Errorf("the summary has no %q", want)
		}
		if !bytes.Contains(doc, []byte("`"+want+"`")) {
			t.Errorf("docs/report.md does not name %q", want)
		}
	}
}

// TestLiveSelection: live, a connection the selection leaves out is not
// written and does not count toward -c. Ports 44460 and 44461.
func TestLiveSelection(t *testing.T) {
	needLive(t)
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	const left, kept = 44460, 44461
	p := startCapture(t, bin, "-i", "lo", "--format", "json", "--idle-timeout", "1s", "-c", "1",
		"--server", "127.0.0.1:"+strconv.Itoa(kept), fmt.Sprintf("tcp port %d or tcp port %d", left, kept))
	hangingHandshake(t, left)
	time.Sleep(2500 * time.Millisecond) // past its idle timeout: decided, left out
	if p.hasExited() {
		t.Fatalf("hsdecode exited after the connection left out; stdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	hangingHandshake(t, kept)
	if r := p.find(kept, 10*time.Second); r.Outcome != "incomplete" {
		t.Errorf("outcome %q, want incomplete", r.Outcome)
	}
	if status := p.waitExit(10 * time.Second); status != exitOK {
		t.Errorf("exit status %d after -c 1, want 0; stderr:\n%s", status, p.stderr)
	}
	if lines := p.stdout.snapshot(); len(lines) != 1 {
		t.Errorf("%d lines written, want the kept connection's:\n%s", len(lines), p.stdout)
	}
}

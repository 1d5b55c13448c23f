package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// manifestWriter writes the manifest: one TSV line per connection.
type manifestWriter struct {
	f  *os.File
	w  *bufio.Writer
	mu sync.Mutex
}

var manifestHeader = []string{"script", "conn", "kind", "expect", "expect_version", "client", "server", "start_unix_ns", "client_version", "client_resumed", "client_error"}

func newManifest(f *os.File) *manifestWriter {
	m := &manifestWriter{f: f, w: bufio.NewWriter(f)}
	m.w.WriteString(strings.Join(manifestHeader, "\t") + "\n")
	return m
}

func (m *manifestWriter) write(script, idx int, c conn, o outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ki := kinds[c.kind]
	ver := ""
	if o.version != 0 {
		ver = versionName(o.version)
	}
	errs := ""
	if o.err != nil {
		errs = strings.NewReplacer("\t", " ", "\n", " ").Replace(o.err.Error())
	}
	fields := []string{strconv.Itoa(script), strconv.Itoa(idx), ki.name, ki.expect, ki.version,
		o.client, o.server, strconv.FormatInt(o.start.UnixNano(), 10), ver, strconv.FormatBool(o.resumed), errs}
	m.w.WriteString(strings.Join(fields, "\t") + "\n")
}

func (m *manifestWriter) close() error {
	if err := m.w.Flush(); err != nil {
		return err
	}
	return m.f.Close()
}

func versionName(v uint16) string {
	switch v {
	case 0x0301:
		return "TLS 1.0"
	case 0x0302:
		return "TLS 1.1"
	case 0x0303:
		return "TLS 1.2"
	case 0x0304:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// planned is one manifest line.
type planned struct {
	kind          kind
	client        string
	server        string
	start         int64
	clientVersion string
	clientResumed bool
	clientError   string
	got           *reported
}

// reported is the part of hsdecode's JSON report the check looks at.
type reported struct {
	Client   endpoint `json:"client"`
	Server   endpoint `json:"server"`
	Outcome  string   `json:"outcome"`
	Version  string   `json:"version"`
	Resumed  bool     `json:"resumed"`
	Closed   string   `json:"closed"`
	History  string   `json:"history"`
	TS       string   `json:"ts"`
	Messages []struct {
		Type string `json:"type"`
	} `json:"messages"`
	Alerts []struct {
		From        string `json:"from"`
		Description string `json:"description"`
		Encrypted   bool   `json:"encrypted"`
	} `json:"alerts"`
	Violations []struct {
		From   string `json:"from"`
		Code   string `json:"code"`
		Got    string `json:"got"`
		Detail string `json:"detail"`
	} `json:"violations"`
	Gap json.RawMessage `json:"gap"`
}

type endpoint struct {
	IP   string `json:"ip"`
	Port int    `json:"port"`
}

func (e endpoint) String() string { return net.JoinHostPort(e.IP, strconv.Itoa(e.Port)) }

func readManifest(path string) ([]*planned, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = len(manifestHeader)
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []*planned
	for i, rec := range recs {
		if i == 0 {
			continue
		}
		k, ok := kindByName(rec[2])
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown kind %q", path, i+1, rec[2])
		}
		start, _ := strconv.ParseInt(rec[7], 10, 64)
		out = append(out, &planned{kind: k, client: rec[5], server: rec[6], start: start,
			clientVersion: rec[8], clientResumed: rec[9] == "true", clientError: rec[10]})
	}
	return out, nil
}

// runCheck compares hsdecode's report with the manifest, prints a table
// per kind and the mismatches, and returns 0 when all match.
func runCheck(w io.Writer, manifestPath, reportPath string) int {
	plan, err := readManifest(manifestPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		return 2
	}
	if reportPath == "" {
		fmt.Fprintln(os.Stderr, "benchgen: -check needs -report")
		return 2
	}
	f, err := os.Open(reportPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		return 2
	}
	defer f.Close()

	// A 4-tuple can be used twice (ephemeral ports come round again): the
	// connections of one key are paired in the order they began.
	byKey := map[string][]*planned{}
	for _, p := range plan {
		if p.client == "" {
			continue // the dial itself failed: nothing on the wire
		}
		k := p.client + " " + p.server
		byKey[k] = append(byKey[k], p)
	}
	for _, ps := range byKey {
		sort.Slice(ps, func(i, j int) bool { return ps[i].start < ps[j].start })
	}
	var extra []*reported
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	nrep := 0
	for sc.Scan() {
		r := new(reported)
		if err := json.Unmarshal(sc.Bytes(), r); err != nil {
			fmt.Fprintf(os.Stderr, "benchgen: %s: line %d: %v\n", reportPath, nrep+1, err)
			return 2
		}
		nrep++
		k := r.Client.String() + " " + r.Server.String()
		ps := byKey[k]
		if len(ps) == 0 {
			extra = append(extra, r)
			continue
		}
		ps[0].got = r
		byKey[k] = ps[1:]
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "benchgen: %s: %v\n", reportPath, err)
		return 2
	}

	type row struct {
		n        int
		outcomes map[string]int
		badVer   int
		badRes   int
	}
	var rows [numKinds]row
	type example struct {
		p   *planned
		why string
	}
	var bad []example
	perKindBad := map[string]int{}
	for _, p := range plan {
		ki := kinds[p.kind]
		r := &rows[p.kind]
		if r.outcomes == nil {
			r.outcomes = map[string]int{}
		}
		r.n++
		got := "(absent)"
		if p.got != nil {
			got = p.got.Outcome
		}
		r.outcomes[got]++
		want := ki.expect
		if want == "" {
			want = "(absent)"
		}
		var why []string
		if got != want {
			why = append(why, fmt.Sprintf("outcome %s, want %s", got, want))
		}
		if p.got != nil && got == want && ki.version != "" && p.got.Version != ki.version {
			r.badVer++
			why = append(why, fmt.Sprintf("version %q, want %q", p.got.Version, ki.version))
		}
		if p.got != nil && got == "established" && p.got.Resumed != p.clientResumed {
			r.badRes++
			why = append(why, fmt.Sprintf("resumed %v, the client's DidResume %v", p.got.Resumed, p.clientResumed))
		}
		if len(why) > 0 {
			key := ki.name + " " + strings.Join(why, "; ")
			perKindBad[key]++
			if perKindBad[key] <= 3 {
				bad = append(bad, example{p, strings.Join(why, "; ")})
			}
		}
	}

	fmt.Fprintf(w, "check: %d planned connections, %d in hsdecode's report\n", len(plan), nrep)
	fmt.Fprintf(w, "check: %-32s %7s  %-11s %s\n", "kind", "conns", "expect", "hsdecode outcomes")
	for k := range numKinds {
		r := rows[k]
		if r.n == 0 {
			continue
		}
		var outs []string
		for o, n := range r.outcomes {
			outs = append(outs, fmt.Sprintf("%s %d", o, n))
		}
		sort.Strings(outs)
		exp := kinds[k].expect
		if exp == "" {
			exp = "(absent)"
		}
		extraCols := ""
		if r.badVer > 0 {
			extraCols += fmt.Sprintf("; wrong version %d", r.badVer)
		}
		if r.badRes > 0 {
			extraCols += fmt.Sprintf("; wrong resumed %d", r.badRes)
		}
		fmt.Fprintf(w, "check: %-32s %7d  %-11s %s%s\n", kinds[k].name, r.n, exp, strings.Join(outs, ", "), extraCols)
	}
	status := 0
	if len(bad) > 0 || len(extra) > 0 {
		status = 1
		var keys []string
		for k := range perKindBad {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "check: MISMATCHES\n")
		for _, k := range keys {
			fmt.Fprintf(w, "check:   %6d  %s\n", perKindBad[k], k)
		}
		fmt.Fprintf(w, "check: examples (at most 3 of each):\n")
		for _, e := range bad {
			fmt.Fprintf(w, "check:   %s %s -> %s: %s; client saw: version %q resumed %v error %q\n",
				e.p.kind, e.p.client, e.p.server, e.why, e.p.clientVersion, e.p.clientResumed, e.p.clientError)
			if e.p.got != nil {
				fmt.Fprintf(w, "check:       hsdecode: ts %s closed %s history %q messages %s alerts %s violations %s gap %s\n",
					e.p.got.TS, e.p.got.Closed, e.p.got.History, msgTypes(e.p.got), alertList(e.p.got), violationList(e.p.got), string(e.p.got.Gap))
			}
		}
		if len(extra) > 0 {
			fmt.Fprintf(w, "check: %d reported connections not in the manifest, e.g.:\n", len(extra))
			for _, r := range extra[:min(5, len(extra))] {
				fmt.Fprintf(w, "check:   %s -> %s %s ts %s closed %s history %q\n", r.Client, r.Server, r.Outcome, r.TS, r.Closed, r.History)
			}
		}
	} else {
		fmt.Fprintf(w, "check: every connection as planned\n")
	}
	return status
}

func msgTypes(r *reported) string {
	var s []string
	for _, m := range r.Messages {
		s = append(s, m.Type)
	}
	if len(s) > 12 {
		s = append(s[:12], "...")
	}
	return strings.Join(s, ",")
}

func alertList(r *reported) string {
	var s []string
	for _, a := range r.Alerts {
		d := a.Description
		if a.Encrypted {
			d = "encrypted"
		}
		s = append(s, a.From+":"+d)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func violationList(r *reported) string {
	var s []string
	for _, v := range r.Violations {
		s = append(s, fmt.Sprintf("%s:%s got %s (%s)", v.From, v.Code, v.Got, v.Detail))
	}
	return "[" + strings.Join(s, ",") + "]"
}

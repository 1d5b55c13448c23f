package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// Summary counts what a run saw: connections per outcome, version, cipher
// suite, alert (by side and description), violation code and finding rule,
// and the packets read and skipped. The text report ends with it; --summary
// writes it as the JSON report's last object.
type Summary struct {
	Connections  int64
	Outcomes     map[string]int64
	Versions     map[string]int64
	CipherSuites map[string]int64
	// Alerts counts every alert record, by the side that sent it and its
	// description ("encrypted" for an encrypted one).
	Alerts     map[string]map[string]int64
	Violations map[string]int64
	Findings   map[string]int64
	// Diagnoses counts the connections by diagnosis code
	// (docs/diagnosis.md): the causes of a run's failures at a glance.
	Diagnoses map[string]int64
	// Packets and Skipped come from the capture and reassembly, given by
	// the caller with AddPackets.
	Packets int64
	Skipped map[string]int64
	// Files counts the inputs read; Errors the inputs that could not be
	// read, or broke off.
	Files  int
	Errors int
	// OutOfOrder counts the connections reported after one that began
	// later: results held back for start order would have passed their
	// share of --max-buffer.
	OutOfOrder int64
	// Selection is the selection of the connections reported (--outcome,
	// --server, --sni, --id) as given, "" when every one is; the counts
	// above are of those reported, and NotSelected counts those read and
	// left out.
	Selection   string
	NotSelected int64
}

// NewSummary returns an empty Summary.
func NewSummary() *Summary {
	return &Summary{Outcomes: map[string]int64{}, Versions: map[string]int64{}, CipherSuites: map[string]int64{},
		Alerts: map[string]map[string]int64{}, Violations: map[string]int64{}, Findings: map[string]int64{},
		Diagnoses: map[string]int64{}, Skipped: map[string]int64{}}
}

// Add counts one connection and its findings.
func (s *Summary) Add(r *flows.Result, findings []Finding) {
	s.Connections++
	s.Outcomes[string(r.Outcome)]++
	if r.Version != 0 {
		s.Versions[r.Version.String()]++
	}
	if r.HasCipherSuite {
		s.CipherSuites[r.CipherSuite.String()]++
	}
	for _, a := range r.Alerts {
		desc := "encrypted"
		if !a.Encrypted {
			desc = a.Description.String()
		}
		side := string(a.From)
		if s.Alerts[side] == nil {
			s.Alerts[side] = map[string]int64{}
		}
		s.Alerts[side][desc]++
	}
	for _, v := range r.Violations {
		s.Violations[string(v.Code)]++
	}
	for _, f := range findings {
		s.Findings[string(f.Rule)]++
	}
	if d := r.Diagnosis; d != nil {
		s.Diagnoses[d.Code]++
	}
}

// AddPackets counts packets read and skipped by reason.
func (s *Summary) AddPackets(read int64, skipped map[string]int64) {
	s.Packets += read
	for k, n := range skipped {
		s.Skipped[k] += n
	}
}

// jsonSummary is the --summary object: {"summary":{...}}. Maps are
// written with sorted keys.
type jsonSummary struct {
	Summary struct {
		Files        int                         `json:"files"`
		InputErrors  int                         `json:"input_errors,omitempty"`
		Connections  int64                       `json:"connections"`
		Outcomes     map[string]int64            `json:"outcomes"`
		Versions     map[string]int64            `json:"versions"`
		CipherSuites map[string]int64            `json:"cipher_suites"`
		Alerts       map[string]map[string]int64 `json:"alerts"`
		Violations   map[string]int64            `json:"violations"`
		Findings     map[string]int64            `json:"findings"`
		Diagnoses    map[string]int64            `json:"diagnoses,omitempty"`
		Packets      struct {
			Read    int64            `json:"read"`
			Skipped map[string]int64 `json:"skipped"`
		} `json:"packets"`
		OutOfOrder int64                `json:"out_of_order,omitempty"`
		Selection  *jsonSelection       `json:"selection,omitempty"`
		Baseline   *jsonBaselineChanges `json:"baseline,omitempty"`
	} `json:"summary"`
}

// jsonSelection is the summary's selection member: the flags as given and
// the connections they left out.
type jsonSelection struct {
	Given       string `json:"given"`
	NotSelected int64  `json:"not_selected"`
}

// WriteJSON writes the summary as one JSON object on a line.
func (s *Summary) WriteJSON(w io.Writer, b *BaselineChanges) error {
	var j jsonSummary
	js := &j.Summary
	js.Files, js.InputErrors, js.Connections = s.Files, s.Errors, s.Connections
	js.Outcomes, js.Versions, js.CipherSuites = dataKeys(s.Outcomes), dataKeys(s.Versions), dataKeys(s.CipherSuites)
	js.Alerts = make(map[string]map[string]int64, len(s.Alerts))
	for side, m := range s.Alerts {
		js.Alerts[side] = dataKeys(m)
	}
	js.Violations, js.Findings, js.Diagnoses = dataKeys(s.Violations), dataKeys(s.Findings), dataKeys(s.Diagnoses)
	js.Packets.Read, js.Packets.Skipped = s.Packets, dataKeys(s.Skipped)
	js.OutOfOrder = s.OutOfOrder
	if s.Selection != "" {
		js.Selection = &jsonSelection{Given: s.Selection, NotSelected: s.NotSelected}
	}
	if b != nil {
		js.Baseline = b.toJSON()
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(&j)
}

// dataKeys rekeys counts by dataKey, adding the counts of keys that
// become one.
func dataKeys(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, n := range m {
		out[dataKey(k)] += n
	}
	return out
}

// dataKey is a value as a key of the JSON summary's counts
// (docs/report.md, the summary): a token (letters, digits, underscores
// and hyphens: an outcome, a code, a rule, a suite's IANA name) as it is, so that
// it matches the connections' values; prose (a version, a reason packets
// were skipped) in lower case with each run of other characters an
// underscore, "TLS 1.2" as tls_1_2: no spaces, and no dots, which
// Elasticsearch and jq paths read as nesting.
func dataKey(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == "" {
		return s
	}
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(c)
			sep = false
			continue
		}
		sep = true
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// WriteText writes the summary's breakdown, a line per count, before the
// text report's last line (the count per outcome); a line is left out
// when it would be empty, and everything when nothing was read.
func (s *Summary) WriteText(w io.Writer) {
	if s.Connections == 0 && s.Packets == 0 && s.Errors == 0 {
		return
	}
	if s.Selection != "" {
		fmt.Fprintf(w, "%-15s%d of %d connections read (%s)\n", "selected:", s.Connections, s.Connections+s.NotSelected, Escape(s.Selection))
	}
	line := func(label string, m map[string]int64) {
		if len(m) > 0 {
			fmt.Fprintf(w, "%-15s%s\n", label+":", counted(m))
		}
	}
	line("versions", s.Versions)
	line("cipher suites", s.CipherSuites)
	alerts := map[string]int64{}
	for side, m := range s.Alerts {
		for d, n := range m {
			alerts[side+" "+d] += n
		}
	}
	line("alerts", alerts)
	line("violations", s.Violations)
	line("findings", s.Findings)
	line("diagnoses", s.Diagnoses)
	if s.Files > 1 || s.Errors > 0 {
		fmt.Fprintf(w, "%-15s%d read", "files:", s.Files)
		if s.Errors > 0 {
			fmt.Fprintf(w, ", %d with errors", s.Errors)
		}
		fmt.Fprintln(w)
	}
	var skipped int64
	for _, n := range s.Skipped {
		skipped += n
	}
	fmt.Fprintf(w, "%-15s%d read, %d skipped", "packets:", s.Packets, skipped)
	if skipped > 0 {
		fmt.Fprintf(w, " (%s)", counted(s.Skipped))
	}
	fmt.Fprintln(w)
	if s.OutOfOrder > 0 {
		fmt.Fprintf(w, "%-15s%d reported out of start order, to stay within --max-buffer\n", "order:", s.OutOfOrder)
	}
}

// counted renders counts as "name n, name n", most frequent first. The
// names are escaped: a violation code or alert can be one a file made up.
func counted(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", Escape(k), m[k])
	}
	return strings.Join(parts, ", ")
}

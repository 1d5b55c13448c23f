package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// A baseline is an earlier JSON report (--format json, docs/report.md). A run
// compared with it fails only on what got worse, per server (address and
// port) and SNI:
//   - outcome: a connection's outcome is not established, where the
//     baseline had established connections to that server and SNI and
//     none with this outcome;
//   - violation: a violation code the baseline did not have for that
//     server and SNI (for a server new to the baseline, every code);
//   - version: the lowest version negotiated is lower than the baseline's.
// Servers new to the baseline, servers it had that this run did not see,
// and outcomes that became established are listed, and do not fail.

// baselineKey identifies a server as a baseline compares it.
type baselineKey struct {
	Server string // ip:port
	SNI    string
}

func (k baselineKey) String() string {
	if k.SNI == "" {
		return k.Server + " (no SNI)"
	}
	return k.Server + " sni=" + k.SNI
}

// baselineEntry is what a report said of one server and SNI.
type baselineEntry struct {
	outcomes   map[string]int
	codes      map[string]bool
	minVersion decode.Version // lowest negotiated, by rank; 0: none
}

func newEntry() *baselineEntry {
	return &baselineEntry{outcomes: map[string]int{}, codes: map[string]bool{}}
}

func (e *baselineEntry) add(outcome string, codes []string, v decode.Version) {
	e.outcomes[outcome]++
	for _, c := range codes {
		e.codes[c] = true
	}
	if v != 0 && (e.minVersion == 0 || versionRank(v) < versionRank(e.minVersion)) {
		e.minVersion = v
	}
}

// Baseline is an earlier report, read with ReadBaseline, and what this run
// saw of the same servers, given with Observe.
type Baseline struct {
	before, now map[baselineKey]*baselineEntry
}

// ReadBaseline reads a JSON report: one object per connection, as --format
// json writes it; a --summary object and blank lines are skipped.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	b := &Baseline{before: map[baselineKey]*baselineEntry{}, now: map[baselineKey]*baselineEntry{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var c struct {
			Server *struct {
				IP   string `json:"ip"`
				Port uint16 `json:"port"`
			} `json:"server"`
			Outcome    string `json:"outcome"`
			Version    string `json:"version"`
			ServerName string `json:"server_name"`
			Violations []struct {
				Code string `json:"code"`
			} `json:"violations"`
			Summary json.RawMessage `json:"summary"`
		}
		if err := json.Unmarshal([]byte(text), &c); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if c.Summary != nil {
			continue
		}
		if c.Server == nil || c.Outcome == "" {
			return nil, fmt.Errorf("line %d: not a connection of a JSON report (no server or outcome)", line)
		}
		k := baselineKey{Server: netip.AddrPortFrom(parseAddr(c.Server.IP), c.Server.Port).String(), SNI: c.ServerName}
		var codes []string
		for _, v := range c.Violations {
			codes = append(codes, v.Code)
		}
		if b.before[k] == nil {
			b.before[k] = newEntry()
		}
		b.before[k].add(c.Outcome, codes, parseVersionName(c.Version))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseVersionName reads a version as the JSON report writes it.
func parseVersionName(s string) decode.Version {
	if s == "" {
		return 0
	}
	for _, v := range []decode.Version{decode.VersionSSL20, decode.VersionSSL30, decode.VersionTLS10,
		decode.VersionTLS11, decode.VersionTLS12, decode.VersionTLS13} {
		if v.String() == s {
			return v
		}
	}
	var n int
	if _, err := fmt.Sscanf(s, "TLS 1.3 (draft %d)", &n); err == nil {
		return decode.Version(0x7f00 | n&0xff)
	}
	for _, v := range []decode.Version{0xfb17, 0xfb1a} {
		if v.String() == s {
			return v
		}
	}
	return 0
}

// versionRank orders versions: TLS 1.3 drafts rank as TLS 1.3.
func versionRank(v decode.Version) int {
	if v.IsTLS13() {
		return int(decode.VersionTLS13)
	}
	return int(v)
}

// Observe counts a connection of this run.
func (b *Baseline) Observe(r *flows.Result) {
	k := baselineKey{Server: unmap(r.Server).String(), SNI: r.ServerName}
	if b.now[k] == nil {
		b.now[k] = newEntry()
	}
	var codes []string
	for _, v := range r.Violations {
		codes = append(codes, string(v.Code))
	}
	b.now[k].add(string(r.Outcome), codes, r.Version)
}

// BaselineChange is one difference from the baseline.
type BaselineChange struct {
	Server string // ip:port
	SNI    string
	// Kind is "outcome", "violation", "version" (worse), "new", "gone",
	// "established" (better).
	Kind   string
	Worse  bool
	Detail string
}

// BaselineChanges is the comparison of a run with its baseline.
type BaselineChanges struct {
	Changes []BaselineChange
}

// Worse counts the changes that fail the run.
func (c *BaselineChanges) Worse() int {
	n := 0
	for _, ch := range c.Changes {
		if ch.Worse {
			n++
		}
	}
	return n
}

// Compare lists what changed between the baseline and what Observe saw,
// worse first, then by server.
func (b *Baseline) Compare() *BaselineChanges {
	out := &BaselineChanges{}
	add := func(k baselineKey, kind string, worse bool, detail string) {
		out.Changes = append(out.Changes, BaselineChange{Server: k.Server, SNI: k.SNI, Kind: kind, Worse: worse, Detail: detail})
	}
	for k, now := range b.now {
		before := b.before[k]
		if before == nil {
			add(k, "new", false, "not in the baseline: "+outcomeList(now.outcomes))
			before = newEntry()
		}
		if before.outcomes[string(flows.OutcomeEstablished)] > 0 {
			for o, n := range now.outcomes {
				if o != string(flows.OutcomeEstablished) && before.outcomes[o] == 0 {
					add(k, "outcome", true, fmt.Sprintf("%d connection(s) %s, the baseline's were %s", n, o, outcomeList(before.outcomes)))
				}
			}
		} else if now.outcomes[string(flows.OutcomeEstablished)] > 0 && len(before.outcomes) > 0 {
			add(k, "established", false, fmt.Sprintf("established now, the baseline's were %s", outcomeList(before.outcomes)))
		}
		for c := range now.codes {
			if !before.codes[c] {
				add(k, "violation", true, "new violation "+c)
			}
		}
		if now.minVersion != 0 && before.minVersion != 0 && versionRank(now.minVersion) < versionRank(before.minVersion) {
			add(k, "version", true, fmt.Sprintf("%s negotiated, the baseline's lowest was %s", now.minVersion, before.minVersion))
		}
	}
	for k, before := range b.before {
		if b.now[k] == nil {
			add(k, "gone", false, "in the baseline ("+outcomeList(before.outcomes)+"), not seen now")
		}
	}
	sort.Slice(out.Changes, func(i, j int) bool {
		a, c := out.Changes[i], out.Changes[j]
		if a.Worse != c.Worse {
			return a.Worse
		}
		if a.Server != c.Server {
			return a.Server < c.Server
		}
		if a.SNI != c.SNI {
			return a.SNI < c.SNI
		}
		if a.Kind != c.Kind {
			return a.Kind < c.Kind
		}
		return a.Detail < c.Detail
	})
	return out
}

// outcomeList renders outcome counts: "2 established, 1 alert".
func outcomeList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// String is one line: "WORSE 127.0.0.1:443 sni=a: new violation ...".
func (ch BaselineChange) String() string {
	tag := "changed"
	if ch.Worse {
		tag = "WORSE"
	}
	return fmt.Sprintf("%s %s (%s): %s", tag, baselineKey{ch.Server, ch.SNI}, ch.Kind, ch.Detail)
}

// WriteText writes the comparison as the text report's last lines, the
// SNIs, outcomes and codes a baseline file gave escaped.
func (c *BaselineChanges) WriteText(w io.Writer, paint func(code, s string) string) {
	fmt.Fprintf(w, "baseline: %d worse, %d other changes\n", c.Worse(), len(c.Changes)-c.Worse())
	for _, ch := range c.Changes {
		s := Escape(ch.String())
		if ch.Worse {
			s = paint(colorRed, s)
		}
		fmt.Fprintf(w, "  %s\n", s)
	}
}

type jsonBaselineChange struct {
	Server string `json:"server"`
	SNI    string `json:"server_name,omitempty"`
	Kind   string `json:"kind"`
	Worse  bool   `json:"worse"`
	Detail string `json:"detail"`
}

type jsonBaselineChanges struct {
	Worse   int                  `json:"worse"`
	Changes []jsonBaselineChange `json:"changes"`
}

func (c *BaselineChanges) toJSON() *jsonBaselineChanges {
	j := &jsonBaselineChanges{Worse: c.Worse(), Changes: []jsonBaselineChange{}}
	for _, ch := range c.Changes {
		j.Changes = append(j.Changes, jsonBaselineChange(ch))
	}
	return j
}

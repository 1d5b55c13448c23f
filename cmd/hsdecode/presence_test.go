package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestJSONPresence holds the JSON report to docs/report.md's rule of
// presence: no member is null and no string empty; the members its table
// lists as always present are in every object at that path, in every
// golden report and in a run over all the bundled captures with every
// rule, --summary and a baseline; every member name is snake_case, and
// the keys of the summary's counts are tokens without spaces or dots.
func TestJSONPresence(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/report.md"))
	if err != nil {
		t.Fatal(err)
	}
	always := presenceTable(t, string(doc))
	var lines []string
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.jsonl"))
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	var out, errb bytes.Buffer
	baseline := filepath.Join(goldenDir, "01-tls12-ecdhe-rsa.jsonl")
	if status := run([]string{"--format", "json", "--fail-on", "all", "--summary", "--baseline", baseline, pcapDir}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	lines = append(lines, strings.Split(strings.TrimSpace(out.String()), "\n")...)
	if len(goldens) < 50 || len(lines) < 200 {
		t.Fatalf("%d goldens, %d lines: this test no longer sees the reports", len(goldens), len(lines))
	}
	seen := map[string]int{}
	p := presence{t: t, always: always, seen: seen}
	for _, line := range lines {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		p.walk(".", v, false)
	}
	if seen["."] == 0 || seen[".summary"] == 0 || len(seen) < 20 {
		t.Errorf("objects seen at %d of the table's paths (%v): this test no longer sees the reports", len(seen), seen)
	}
}

var (
	memberName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	dataName   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

type presence struct {
	t      *testing.T
	always map[string][]string
	seen   map[string]int
}

// walk checks v, found at path; data says v's keys are data (a summary
// count's), not member names.
func (p *presence) walk(path string, v any, data bool) {
	switch v := v.(type) {
	case nil:
		p.t.Errorf("%s is null", path)
	case string:
		if v == "" {
			p.t.Errorf("%s is an empty string", path)
		}
	case []any:
		for _, e := range v {
			p.walk(path+"[]", e, false)
		}
	case map[string]any:
		_, isSummary := v["summary"]
		if want, ok := p.always[path]; ok && !(path == "." && isSummary && len(v) == 1) {
			p.seen[path]++
			for _, m := range want {
				if _, ok := v[m]; !ok {
					p.t.Errorf("%s has no %q, which docs/report.md says is always present", path, m)
				}
			}
		}
		for k, e := range v {
			if data && !dataName.MatchString(k) {
				p.t.Errorf("%s: key %q of a count is not a token", path, k)
			} else if !data && !memberName.MatchString(k) {
				p.t.Errorf("%s: member %q is not snake_case", path, k)
			}
			next := path + "." + k
			if path == "." {
				next = "." + k
			}
			p.walk(next, e, strings.HasPrefix(path, ".summary") && countsByData[k])
		}
	}
}

// presenceTable reads docs/report.md's table of the members always
// present: object paths (`.client_hello`) and member names, both in
// backquotes.
func presenceTable(t *testing.T, doc string) map[string][]string {
	_, rest, ok := strings.Cut(doc, "## Always present, or absent when unknown")
	if !ok {
		t.Fatal(`docs/report.md has no section "Always present, or absent when unknown"`)
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	quoted := regexp.MustCompile("`([^`]*)`")
	out := map[string][]string{}
	for _, line := range strings.Split(rest, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`.") {
			continue
		}
		var members []string
		for _, m := range quoted.FindAllStringSubmatch(cells[2], -1) {
			members = append(members, m[1])
		}
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			out[m[1]] = members
		}
	}
	if len(out) < 20 {
		keys := make([]string, 0, len(out))
		for k := range out {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("the table names only %v", keys)
	}
	return out
}

package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/internal/rewrite"
)

const repoRoot = "../.."

// TestDocsStandAlone: the contracts the code implements are cited where a
// clone of the repository has them, docs/, by that path; a citation of the
// spec outside the repository, of a docs page that does not exist, or of
// a page by its bare name fails.
func TestDocsStandAlone(t *testing.T) {
	outside := regexp.MustCompile(`shared/[s]pec`)
	cited := regexp.MustCompile(`docs/([\w.-]+\.md)`)
	bare := regexp.MustCompile(`(?:^|[^\w/])((?:handshake-order|report|design|CONVENTIONS)\.md)`)
	n := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "fuzz" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".sh":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(repoRoot, path)
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d cites the spec outside the repository: %s", rel, i+1, line)
			}
			for _, m := range cited.FindAllStringSubmatch(line, -1) {
				if _, err := os.Stat(filepath.Join(repoRoot, "docs", m[1])); err != nil {
					t.Errorf("%s:%d cites docs/%s, which is not there", rel, i+1, m[1])
				}
			}
			for _, m := range bare.FindAllStringSubmatch(line, -1) {
				t.Errorf("%s:%d cites %s without its path, docs/%s", rel, i+1, m[1], m[1])
			}
		}
		return nil
	})
	if err != nil || n < 100 {
		t.Fatalf("%d files read: %v", n, err)
	}
}

// TestDocsNameEveryJSONField: every member name the JSON report writes
// for the bundled captures and one that lost the server's flight (several
// inputs, so file; every rule, so findings; a gap; the summary, and a
// baseline comparison in it) is named in docs/report.md, so a field added
// without its documentation fails.
func TestDocsNameEveryJSONField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/report.md"))
	if err != nil {
		t.Fatal(err)
	}
	lost := filepath.Join(t.TempDir(), "lost.pcap")
	if err := rewrite.WriteFile(lost, without(clean(t), 6)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	baseline := filepath.Join(goldenDir, "01-tls12-ecdhe-rsa.jsonl")
	if status := run([]string{"--format", "json", "--fail-on", "all", "--summary", "--baseline", baseline, pcapDir, lost}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	names := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		memberNames(v, names)
	}
	for _, want := range []string{"gap", "closed", "findings", "file", "summary", "baseline", "client_hello", "certificates"} {
		if !names[want] {
			t.Errorf("the bundled captures' report has no %q: this test no longer sees every field", want)
		}
	}
	var missing []string
	for name := range names {
		if !bytes.Contains(doc, []byte("`"+name+"`")) {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docs/report.md does not name %d JSON fields the report writes: %s", len(missing), strings.Join(missing, ", "))
	}
}

// countsByData are the summary's members whose own keys are data (a
// version, a code, a reason), not field names.
var countsByData = map[string]bool{"outcomes": true, "versions": true, "cipher_suites": true,
	"alerts": true, "violations": true, "findings": true, "diagnoses": true, "skipped": true}

// memberNames adds the member names of v and what it holds to names.
func memberNames(v any, names map[string]bool) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			memberNames(e, names)
		}
	case map[string]any:
		for k, e := range v {
			names[k] = true
			if _, isObject := e.(map[string]any); isObject && countsByData[k] {
				continue
			}
			memberNames(e, names)
		}
	}
}

package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJUnitSpooled: the JUnit document, written from test cases spooled to
// a file, is byte for byte what encoding/xml writes for the whole document
// held in memory, with empty suites, input errors and a baseline suite;
// and the spool is gone after Close.
func TestJUnitSpooled(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	j := NewJUnitWriter(&out, Options{})
	j.BeginFile("empty.pcap")
	j.BeginFile("a.pcap")
	r := hostileResult("sni\x1b[2K")
	for range 3 {
		if err := j.Write(r, Findings(r, rules)); err != nil {
			t.Fatal(err)
		}
	}
	j.FileError("a.pcap", errors.New("capture: a.pcap: truncated"))
	j.FileError("missing.pcap", errors.New("open missing.pcap: no such file"))
	j.BeginFile("b.pcap")
	if err := j.Write(r, Findings(r, rules)); err != nil {
		t.Fatal(err)
	}
	j.WriteSummary(nil, &BaselineChanges{})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	var doc junitSuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("the document does not parse: %v", err)
	}
	if len(doc.Suites) != 5 || doc.Tests != 7 || len(doc.Suites[1].Cases) != 4 {
		t.Fatalf("%d suites, %d tests, %d cases in a.pcap; want 5, 7, 4", len(doc.Suites), doc.Tests, len(doc.Suites[1].Cases))
	}
	var want bytes.Buffer
	want.WriteString(xml.Header)
	enc := xml.NewEncoder(&want)
	enc.Indent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	want.WriteByte('\n')
	if diff := cmp.Diff(want.String(), out.String()); diff != "" {
		t.Errorf("spooled document differs from encoding/xml's (-want +got):\n%s", diff)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "hsdecode-junit-*")); len(left) > 0 {
		t.Errorf("spool left behind: %v", left)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}

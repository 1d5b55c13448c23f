package report

import (
	"bytes"
	"strings"
	"testing"
)

// switched writes to the buffer it points at, as -o's file is switched
// for a new one on SIGHUP.
type switched struct{ to *bytes.Buffer }

func (s *switched) Write(b []byte) (int, error) { return s.to.Write(b) }

// TestZeekEndLog: a Zeek log rotated between two connections: the first
// file ends with #close, the second is a whole log of its own, header
// first, as Zeek's rotated logs are.
func TestZeekEndLog(t *testing.T) {
	var first, second bytes.Buffer
	out := &switched{&first}
	z := NewZeekWriter(out, Options{}, false)
	if err := z.Write(sample(), nil); err != nil {
		t.Fatal(err)
	}
	if err := z.EndLog(); err != nil {
		t.Fatal(err)
	}
	out.to = &second
	if err := z.Write(sample(), nil); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	for name, log := range map[string]string{"first": first.String(), "second": second.String()} {
		lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
		if len(lines) != 10 || lines[0] != `#separator \x09` || !strings.HasPrefix(lines[8], "1") || !strings.HasPrefix(lines[9], "#close\t") {
			t.Errorf("%s file is not a whole log of one row:\n%s", name, log)
		}
	}
}

package report

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/flows"
)

// parallelResults are connections that differ from line to line, so a
// line written out of order shows.
func parallelResults(n int) []*flows.Result {
	rs := make([]*flows.Result, n)
	for i := range rs {
		r := sample()
		r.Start = r.Start.Add(time.Duration(i) * time.Millisecond)
		r.Client = netip.AddrPortFrom(r.Client.Addr(), uint16(1024+i))
		r.ServerName = fmt.Sprintf("host-%d.example", i)
		rs[i] = r
	}
	return rs
}

// TestJSONParallelSameBytes: lines encoded on several goroutines are
// written as one goroutine writes them, in the order given, and
// WriteSummary comes after the last.
func TestJSONParallelSameBytes(t *testing.T) {
	rs := parallelResults(2000)
	write := func(par int) []byte {
		var b bytes.Buffer
		w := NewJSONWriter(&b)
		w.opt.MultiFile = true
		w.Parallel(par)
		for i, r := range rs {
			if i%700 == 0 {
				if err := w.BeginFile(fmt.Sprintf("file-%d.pcap", i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Write(r, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteSummary(&Summary{Connections: int64(len(rs))}, nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := write(1)
	for _, par := range []int{2, 3, 8} {
		if got := write(par); !bytes.Equal(got, want) {
			t.Fatalf("Parallel(%d): %d bytes differ from one goroutine's %d", par, len(got), len(want))
		}
	}
	if bytes.Count(want, []byte("\n")) != len(rs)+1 {
		t.Fatalf("%d lines, want %d connections and the summary", bytes.Count(want, []byte("\n")), len(rs)+1)
	}
}

// failAfter fails every write after the first n.
type failAfter struct {
	n   int
	out bytes.Buffer
}

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errDiskFull
	}
	f.n--
	return f.out.Write(p)
}

// TestJSONParallelWriteError: the first write error comes back from Sync,
// later Writes and Close, and no line follows it.
func TestJSONParallelWriteError(t *testing.T) {
	out := &failAfter{n: 10}
	w := NewJSONWriter(out)
	w.Parallel(4)
	var err error
	for _, r := range parallelResults(500) {
		if err = w.Write(r, nil); err != nil {
			break
		}
	}
	if err := w.Sync(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Sync: %v, want %v", err, errDiskFull)
	}
	if err := w.Write(sample(), nil); !errors.Is(err, errDiskFull) {
		t.Fatalf("Write after the error: %v", err)
	}
	if err := w.Close(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Close: %v", err)
	}
	if n := bytes.Count(out.out.Bytes(), []byte("\n")); n != 10 {
		t.Fatalf("%d lines written, want the 10 before the error", n)
	}
}

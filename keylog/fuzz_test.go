package keylog

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse: any key log is read to its end without a panic, every line
// is counted once as exactly one kind, and what was filed can be found.
// Each line is read as parseLine reads it (quick, else fields) and by
// fields alone, with the same counts and secrets. Seeds in
// testdata/fuzz/FuzzParse are key logs of each label and malformed lines.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Log
		st, err := g.Parse("fuzz", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		kinds := st.Secrets + st.Duplicate + st.Comments + st.Unknown + st.RSA + st.Full + st.Malformed
		if kinds != st.Lines {
			t.Fatalf("%d lines, %d counted by kind: %+v", st.Lines, kinds, st)
		}
		if (st.Malformed > 0) != (st.FirstMalformed != nil) {
			t.Fatalf("%d malformed, first %v", st.Malformed, st.FirstMalformed)
		}
		if st.Secrets > 0 && g.Len() == 0 {
			t.Fatalf("%d secrets filed, none found", st.Secrets)
		}
		sameAsFields(t, data)
	})
}

// sameAsFields checks that each line of data, read by parseLine, is
// counted and filed as fields alone would.
func sameAsFields(t *testing.T, data []byte) {
	var g1, g2 Log
	p1, p2 := parser{log: &g1, name: "fuzz"}, parser{log: &g2, name: "fuzz"}
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(line) > MaxLine {
			continue
		}
		p1.parseLine(line)
		p2.line++
		p2.stats.Lines++
		p2.fields(line)
		if !reflect.DeepEqual(p1.stats, p2.stats) {
			t.Fatalf("line %q: parseLine counts %+v, fields alone %+v", line, p1.stats, p2.stats)
		}
	}
	if len(g1.index) != len(g2.index) {
		t.Fatalf("parseLine filed %d client randoms, fields alone %d", len(g1.index), len(g2.index))
	}
	for cr := range g1.index {
		s1, _ := g1.Lookup(cr)
		s2, _ := g2.Lookup(cr)
		if !reflect.DeepEqual(s1, s2) {
			t.Fatalf("client random %x: parseLine filed %+v, fields alone %+v", cr, s1, s2)
		}
	}
}

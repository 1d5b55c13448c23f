package keylog

import (
	"bytes"
	"testing"
)

// FuzzParse: any key log is read to its end without a panic, every line
// is counted once as exactly one kind, and what was filed can be found.
// Seeds in testdata/fuzz/FuzzParse are key logs of each label and
// malformed lines.
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
	})
}

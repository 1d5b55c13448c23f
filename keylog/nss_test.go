package keylog

import (
	"bytes"
	"strings"
	"testing"
)

// TestAppendNSS: the lines written for a connection read back as the
// same secrets, every label and length kept.
func TestAppendNSS(t *testing.T) {
	cr := strings.Repeat("ab", 32)
	in := "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr + " " + strings.Repeat("01", 48) + "\n" +
		"SERVER_HANDSHAKE_TRAFFIC_SECRET " + cr + " " + strings.Repeat("02", 48) + "\n" +
		"CLIENT_TRAFFIC_SECRET_0 " + cr + " " + strings.Repeat("03", 48) + "\n" +
		"EXPORTER_SECRET " + cr + " " + strings.Repeat("04", 48) + "\n" +
		"CLIENT_RANDOM " + cr + " " + strings.Repeat("05", 48) + "\n"
	var g Log
	if _, err := g.Parse("in", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	var key [32]byte
	for i := range key {
		key[i] = 0xab
	}
	s, ok := g.Lookup(key)
	if !ok {
		t.Fatal("not found")
	}
	out := s.AppendNSS(nil)
	if n := bytes.Count(out, []byte("\n")); n != 5 {
		t.Fatalf("%d lines, want 5:\n%s", n, out)
	}
	var back Log
	if _, err := back.Parse("out", bytes.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	s2, ok := back.Lookup(key)
	if !ok {
		t.Fatal("written lines not found back")
	}
	for l := range numLabels {
		if !bytes.Equal(s.Secret(l), s2.Secret(l)) {
			t.Errorf("%s: %x back, want %x", l, s2.Secret(l), s.Secret(l))
		}
	}
}

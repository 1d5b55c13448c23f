package dtls

import (
	"bytes"
	"testing"
)

// frag builds a handshake fragment's bytes.
func frag(typ uint8, length int, seq uint16, off int, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(length >> 16), byte(length >> 8), byte(length), byte(seq >> 8), byte(seq),
		byte(off >> 16), byte(off >> 8), byte(off), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// record builds a DTLS 1.2 plaintext record's bytes.
func record(typ uint8, epoch uint16, seq uint64, body []byte) []byte {
	h := []byte{typ, 0xfe, 0xfd, byte(epoch >> 8), byte(epoch), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq),
		byte(len(body) >> 8), byte(len(body))}
	return append(h, body...)
}

func TestRecords(t *testing.T) {
	dg := append(record(ContentHandshake, 0, 1, []byte("abc")), record(ContentChangeCipherSpec, 0, 2, []byte{1})...)
	dg = append(dg, record(ContentHandshake, 1, 0x010203040506, make([]byte, 40))...)
	rs, err := Records(dg)
	if err != nil || len(rs) != 3 {
		t.Fatalf("%d records, %v", len(rs), err)
	}
	if rs[0].Type != ContentHandshake || string(rs[0].Fragment) != "abc" || rs[0].Seq != 1 || rs[0].Version != VersionDTLS12 {
		t.Errorf("first %+v", rs[0])
	}
	if rs[2].Epoch != 1 || rs[2].Seq != 0x010203040506 || len(rs[2].Fragment) != 40 {
		t.Errorf("third %+v", rs[2])
	}
	// DTLS 1.3's unified header: 001CSLEE with S and L set, epoch 3.
	u := []byte{0x2f, 0x12, 0x34, 0x00, 0x05, 1, 2, 3, 4, 5}
	rs, err = Records(append(u, record(ContentAlert, 0, 3, []byte{2, 40})...))
	if err != nil || len(rs) != 2 || !rs[0].Unified || rs[0].Epoch != 3 || rs[0].Seq != 0x1234 || len(rs[0].Fragment) != 5 || rs[1].Type != ContentAlert {
		t.Fatalf("unified: %+v, %v", rs, err)
	}
	if _, err := Records(dg[:20]); err == nil {
		t.Error("a truncated record read")
	}
}

// TestReassembler puts a message split in three fragments back together
// from any order, with overlaps, reads a retransmitted flight once, and
// hands messages over in message_seq order.
func TestReassembler(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 10)
	parts := [][]byte{
		frag(11, 100, 1, 60, body[60:]),
		frag(11, 100, 1, 0, body[:40]),
		frag(2, 5, 0, 0, []byte("hello")), // message 0 comes last of the first three
		frag(11, 100, 1, 30, body[30:70]), // overlaps both
		frag(14, 0, 2, 0, nil),            // ServerHelloDone, empty
		frag(2, 5, 0, 0, []byte("hello")), // the flight sent again
		frag(11, 100, 1, 0, body),
	}
	var r Reassembler
	var got [][]byte
	for _, p := range parts {
		fs, err := Fragments(p)
		if err != nil || len(fs) != 1 {
			t.Fatalf("Fragments: %v", err)
		}
		out, err := r.Add(fs[0])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out...)
	}
	want := [][]byte{append([]byte{2, 0, 0, 5}, "hello"...), append([]byte{11, 0, 0, 100}, body...), {14, 0, 0, 0}}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("message %d: %x, want %x", i, got[i], want[i])
		}
	}
	if r.Retransmitted != 2 || r.Buffered() != 0 || r.Next() != 3 {
		t.Errorf("retransmitted %d, buffered %d, next %d", r.Retransmitted, r.Buffered(), r.Next())
	}
	// A fragment that disagrees with its message, or lies beyond it.
	var r2 Reassembler
	f1, _ := Fragments(frag(1, 10, 0, 0, []byte("abc")))
	f2, _ := Fragments(frag(2, 10, 0, 3, []byte("def")))
	if _, err := r2.Add(f1[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Add(f2[0]); err == nil {
		t.Error("a fragment of another type read")
	}
	if _, err := Fragments(frag(1, 4, 0, 2, []byte("abc"))); err == nil {
		t.Error("a fragment beyond its message read")
	}
}

package dtls

import "testing"

// FuzzRecords reads any datagram's records, and the handshake fragments of
// its handshake records through a Reassembler: no input may panic or hang.
func FuzzRecords(f *testing.F) {
	f.Add(record(ContentHandshake, 0, 0, frag(1, 10, 0, 0, []byte("0123456789"))))
	f.Add(append(record(ContentHandshake, 0, 1, frag(2, 6, 0, 3, []byte("def"))), record(ContentHandshake, 0, 2, frag(2, 6, 0, 0, []byte("abc")))...))
	f.Add([]byte{0x2f, 0x12, 0x34, 0x00, 0x05, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, dg []byte) {
		rs, _ := Records(dg)
		var r Reassembler
		for _, rec := range rs {
			if rec.Type != ContentHandshake || rec.Unified {
				continue
			}
			fs, _ := Fragments(rec.Fragment)
			for _, f := range fs {
				msgs, _ := r.Add(f)
				for _, m := range msgs {
					if len(m) < 4 || int(m[1])<<16|int(m[2])<<8|int(m[3]) != len(m)-4 {
						t.Fatalf("message %x: its header does not give its length", m)
					}
				}
			}
		}
	})
}

package quic

import "testing"

// FuzzDatagram splits a datagram and opens each long header packet with
// the Initial keys of its own Destination Connection ID, then reads the
// frames of what opens, and those of the raw bytes as an Initial's and a
// 1-RTT packet's (NEW_CONNECTION_ID among them): no input may panic or
// hang.
func FuzzDatagram(f *testing.F) {
	for _, s := range []string{rfc9001ClientInitial, rfc9369ClientInitial, rfc9001ServerInitial, rfc9369ServerInitial} {
		f.Add(unhex(f, s))
	}
	// A Handshake packet header whose payload is a NEW_CONNECTION_ID
	// frame, as 1-RTT plaintext.
	f.Add(append([]byte{0xe0, 0, 0, 0, 1, 4, 1, 2, 3, 4, 0, 0x1c, 0x18, 1, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8}, make([]byte, 16)...))
	f.Fuzz(func(t *testing.T, dg []byte) {
		pkts, _ := Split(dg)
		var cs CryptoStream
		for i := range pkts {
			p := &pkts[i]
			if p.Type == PacketRetry {
				RetryTagValid(p, p.DCID)
			}
			if p.PNOffset == 0 || !p.Version.Known() {
				continue
			}
			ck, sk, err := InitialKeys(p.Version, p.DCID)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []*Keys{ck, sk} {
				if _, payload, err := k.Open(p); err == nil {
					fr, _ := ParseFrames(payload)
					for _, c := range fr.Crypto {
						cs.Add(c)
					}
				}
			}
			// Frames of the raw bytes, as if they were plaintext.
			fr, _ := ParseFrames(p.Raw[p.PNOffset:])
			for _, c := range fr.Crypto {
				cs.Add(c)
			}
			fr, _ = ParseFrames1RTT(p.Raw[p.PNOffset:])
			for _, id := range fr.NewConnectionIDs {
				if len(id) == 0 || len(id) > maxConnIDLen {
					t.Fatalf("a connection ID of %d bytes", len(id))
				}
			}
		}
	})
}

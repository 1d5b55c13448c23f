package decode

import (
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResyncEveryOffset starts every fixture at every offset: what the
// stream reports must be exactly the tail of what a stream that saw the
// whole direction reports. Anything else would be garbage taken for
// messages.
func TestResyncEveryOffset(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			data := readFixture(t, f.name)
			full := mustDecode(t, f)
			for i := range data {
				got, err := decodeAll(t, data[i:], Options{Resync: true}, f.encryptAfterCCS)
				if err != nil {
					t.Fatalf("from %d: %v", i, err)
				}
				if len(got) > len(full) {
					t.Fatalf("from %d: %d events, more than the %d of the whole", i, len(got), len(full))
				}
				if d := cmp.Diff(full[len(full)-len(got):], got); len(got) > 0 && d != "" {
					t.Fatalf("from %d: not a tail of the whole:\n%s", i, d)
				}
				if i == 0 && len(got) != len(full) {
					t.Fatalf("from 0: %d events, want %d", len(got), len(full))
				}
			}
		})
	}
}

func TestResyncAfterPrelude(t *testing.T) {
	hello := readFixture(t, "tls12_full.client")
	full := mustDecode(t, fixture{"tls12_full.client", true})
	rng := rand.New(rand.NewSource(7))
	noise := make([]byte, 3000)
	rng.Read(noise)
	for name, prelude := range map[string][]byte{
		"smtp starttls": []byte("220 mail.example ESMTP\r\nEHLO c\r\n250-mail.example\r\n250 STARTTLS\r\nSTARTTLS\r\n220 2.0.0 Ready\r\n"),
		"socks5":        {5, 1, 0, 5, 0, 5, 1, 0, 1, 127, 0, 0, 1, 1, 187, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0},
		"random bytes":  noise,
	} {
		in := cat(prelude, hello)
		for _, chunk := range []int{1, 17, len(in)} {
			s := NewStream(Options{Resync: true})
			got, err := decodeChunks(t, in, Options{Resync: true}, true, func() int { return chunk })
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d := cmp.Diff(full, got); d != "" {
				t.Errorf("%s, chunks of %d:\n%s", name, chunk, d)
			}
			s.Feed(in)
			for {
				if _, ok, _ := s.Next(); !ok {
					break
				}
			}
			if s.Skipped() != int64(len(prelude)) {
				t.Errorf("%s: Skipped %d, want %d", name, s.Skipped(), len(prelude))
			}
		}
		if FindClientHello(in) != len(prelude) {
			t.Errorf("%s: FindClientHello = %d, want %d", name, FindClientHello(in), len(prelude))
		}
	}
}

// TestResyncRandomNeverHandshake feeds random bytes: whatever the stream
// makes of them, it is never a handshake message.
func TestResyncRandomNeverHandshake(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for seed := range 20 {
		data := make([]byte, 64<<10)
		rng.Read(data)
		evs, _ := decodeChunks(t, data, Options{Resync: true}, false, func() int { return 1 + rng.Intn(2000) })
		for _, ev := range evs {
			if ev.Kind == EventHandshake {
				t.Fatalf("seed %d: random bytes gave %s", seed, ev.Message.Type())
			}
		}
	}
}

func TestLooksLikeTLS(t *testing.T) {
	tests := []struct {
		in   []byte
		want bool
	}{
		{nil, true},
		{[]byte{22}, true},
		{[]byte{22, 3}, true},
		{[]byte{22, 3, 1, 2, 0}, true},
		{[]byte{23, 3, 3, 0xff, 0xff}, true}, // length is the stream's to judge
		{[]byte{20, 3, 0}, true},
		{[]byte{24, 3, 4}, true},
		{[]byte{25}, false},
		{[]byte{19, 3, 1}, false},
		{[]byte("GET / HTTP/1.1\r\n"), false},
		{[]byte("SSH-2.0-OpenSSH"), false},
		{[]byte{22, 2, 0}, false},
		{[]byte{22, 3, 5}, false},
		{[]byte{0x80}, true},
		{[]byte{0x80, 0x2e, 1, 3, 1}, true},
		{[]byte{0x80, 0x2e, 1, 0, 2}, true},
		{[]byte{0x80, 0x2e, 2}, false},
		{[]byte{0x80, 0x2e, 1, 3, 9}, false},
		{[]byte{0x80, 0x2e, 1, 0, 3}, false},
		{[]byte{0x80, 0x2e, 1, 4, 1}, false},
	}
	for _, tt := range tests {
		if got := LooksLikeTLS(tt.in); got != tt.want {
			t.Errorf("LooksLikeTLS(% x) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, f := range fixtures {
		if !LooksLikeTLS(readFixture(t, f.name)) {
			t.Errorf("LooksLikeTLS(%s) = false", f.name)
		}
	}
}

func TestFindClientHello(t *testing.T) {
	hello := readFixture(t, "tls13_full.client")
	if got := FindClientHello(hello); got != 0 {
		t.Errorf("FindClientHello(hello) = %d", got)
	}
	for name, in := range map[string][]byte{
		"http":               []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"server hello":       readFixture(t, "tls12_full.server"),
		"truncated header":   hello[:9],
		"hello too short":    record(ContentHandshake, VersionTLS10, hsMsg(HandshakeClientHello, []byte{3, 3, 0})),
		"client_version 2":   record(ContentHandshake, VersionTLS10, hsMsg(HandshakeClientHello, cat([]byte{2, 0}, make([]byte, 60)))),
		"record too long":    {22, 3, 1, 0x48, 0x01, 1, 0, 1, 0, 3, 3},
		"record version 3.9": cat([]byte{22, 3, 9}, hello[3:]),
	} {
		if got := FindClientHello(in); got != -1 {
			t.Errorf("%s: FindClientHello = %d, want -1", name, got)
		}
	}
}

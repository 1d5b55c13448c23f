package decode

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// summary writes events as words so that sequences read like a transcript.
func summary(evs []Event) string {
	var w []string
	for _, ev := range evs {
		switch ev.Kind {
		case EventHandshake:
			if sh, ok := ev.Message.(*ServerHello); ok && sh.HelloRetryRequest {
				w = append(w, "hello_retry_request")
			} else {
				w = append(w, ev.Message.Type().String())
			}
		case EventEncryptedHandshake:
			w = append(w, "enc_hs")
		case EventChangeCipherSpec:
			w = append(w, "ccs")
		case EventAlert:
			w = append(w, "alert:"+ev.Alert.Level.String()+":"+ev.Alert.Description.String())
		case EventEncryptedAlert:
			w = append(w, "enc_alert")
		case EventApplicationData:
			w = append(w, "app")
		case EventHeartbeat:
			w = append(w, "heartbeat")
		}
	}
	return strings.Join(w, " ")
}

func TestStreamFixtureSequences(t *testing.T) {
	want := map[string]string{
		"tls12_full.client": "client_hello certificate client_key_exchange certificate_verify ccs enc_hs app enc_alert",
		"tls12_full.server": "server_hello certificate certificate_status server_key_exchange certificate_request " +
			"server_hello_done new_session_ticket ccs enc_hs app enc_alert",
		"tls12_resumed.client": "client_hello ccs enc_hs app enc_alert",
		"tls12_resumed.server": "server_hello new_session_ticket ccs enc_hs app enc_alert",
		// TLS 1.0 CBC: crypto/tls splits application data 1/n-1.
		"tls10_rsa.client": "client_hello certificate client_key_exchange certificate_verify ccs enc_hs app app enc_alert",
		"tls10_rsa.server": "server_hello certificate certificate_status certificate_request server_hello_done " +
			"ccs enc_hs app app enc_alert",
		"tls13_full.client":          "client_hello ccs app app app",
		"tls13_full.server":          "server_hello ccs app app app app app app",
		"tls13_hrr.client":           "client_hello ccs client_hello app app app",
		"tls13_hrr.server":           "hello_retry_request ccs server_hello app app app app app app",
		"openssl_clienthello.client": "client_hello",
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			data := readFixture(t, f.name)
			s := NewStream(Options{})
			evs := mustDecode(t, f)
			if got := summary(evs); got != want[f.name] {
				t.Errorf("events\n got %s\nwant %s", got, want[f.name])
			}
			s.Feed(data)
			if s.Skipped() != 0 {
				t.Errorf("Skipped = %d without Resync", s.Skipped())
			}
		})
	}
}

// TestStreamOffsetConsumesAll checks that Offset ends at the input length
// and that every record version seen is a TLS one.
func TestStreamOffsetConsumesAll(t *testing.T) {
	for _, f := range fixtures {
		data := readFixture(t, f.name)
		s := NewStream(Options{})
		s.Feed(data)
		for {
			ev, ok, err := s.Next()
			if err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			if !ok {
				break
			}
			if ev.RecordVersion < VersionTLS10 || ev.RecordVersion > VersionTLS12 {
				t.Errorf("%s: record version %s", f.name, ev.RecordVersion)
			}
			if ev.Kind == EventChangeCipherSpec && f.encryptAfterCCS {
				s.SetEncrypted()
			}
		}
		if s.Offset() != int64(len(data)) {
			t.Errorf("%s: Offset = %d, want %d", f.name, s.Offset(), len(data))
		}
	}
}

// TestStreamChunking feeds every fixture one byte at a time, split at
// every offset in two, and in random chunks: the events must not change.
func TestStreamChunking(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			data := readFixture(t, f.name)
			want := mustDecode(t, f)
			one, err := decodeChunks(t, data, Options{}, f.encryptAfterCCS, func() int { return 1 })
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, one); d != "" {
				t.Fatalf("byte at a time differs (-whole +bytewise):\n%s", d)
			}
			for i := 1; i < len(data); i++ {
				first := true
				got, err := decodeChunks(t, data, Options{}, f.encryptAfterCCS, func() int {
					if first {
						first = false
						return i
					}
					return len(data)
				})
				if err != nil {
					t.Fatalf("split at %d: %v", i, err)
				}
				if len(got) != len(want) || summary(got) != summary(want) {
					t.Fatalf("split at %d: %s, want %s", i, summary(got), summary(want))
				}
			}
			for range 20 {
				got, err := decodeChunks(t, data, Options{}, f.encryptAfterCCS, func() int { return 1 + rng.Intn(300) })
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("random chunks differ:\n%s", d)
				}
			}
		})
	}
}

// plaintextFlight returns the handshake messages (headers included) of the
// plaintext handshake records at the start of a fixture.
func plaintextFlight(t *testing.T, data []byte) (msgs []byte, vers Version) {
	t.Helper()
	for len(data) >= 5 && ContentType(data[0]) == ContentHandshake {
		n := int(data[3])<<8 | int(data[4])
		vers = Version(uint16(data[1])<<8 | uint16(data[2]))
		msgs = append(msgs, data[5:5+n]...)
		data = data[5+n:]
	}
	return msgs, vers
}

// TestStreamReframing puts the real server flight of a TLS 1.2 handshake
// into records of many sizes: one record for all messages, one byte per
// record, and sizes that split headers. The messages must not change, and
// each carries the version of the record that completed it.
func TestStreamReframing(t *testing.T) {
	msgs, vers := plaintextFlight(t, readFixture(t, "tls12_full.server"))
	want, err := decodeAll(t, record(ContentHandshake, vers, msgs), Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(want); got != "server_hello certificate certificate_status server_key_exchange "+
		"certificate_request server_hello_done new_session_ticket" {
		t.Fatalf("one record: %s", got)
	}
	for _, size := range []int{1, 2, 3, 4, 5, 7, 100, 1000, maxPlaintext} {
		var in []byte
		for rest := msgs; len(rest) > 0; {
			k := min(size, len(rest))
			// The last record of each pass gets another version so that
			// RecordVersion is seen to come from the completing record.
			v := vers
			if k == len(rest) {
				v = VersionTLS11
			}
			in = append(in, record(ContentHandshake, v, rest[:k])...)
			rest = rest[k:]
		}
		got, err := decodeAll(t, in, Options{}, false)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(got) != len(want) {
			t.Fatalf("size %d: %s", size, summary(got))
		}
		for i := range got {
			if d := cmp.Diff(want[i].Message, got[i].Message); d != "" {
				t.Fatalf("size %d, message %d differs:\n%s", size, i, d)
			}
			if got[i].Length != want[i].Length {
				t.Errorf("size %d, message %d: Length %d, want %d", size, i, got[i].Length, want[i].Length)
			}
		}
		if last := got[len(got)-1]; last.RecordVersion != VersionTLS11 {
			t.Errorf("size %d: last message carries %s, want the completing record's TLS 1.1", size, last.RecordVersion)
		}
	}
}

// maxPlaintext is the largest TLSPlaintext fragment (RFC 5246, Section 6.2.1).
const maxPlaintext = 16384

func TestStreamAlerts(t *testing.T) {
	in := cat(
		record(ContentAlert, VersionTLS12, []byte{1, 0, 2, 40}), // two alerts in one record
		record(ContentAlert, VersionTLS12, []byte{2, 121}),
	)
	evs, err := decodeAll(t, in, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(evs), "alert:warning:close_notify alert:fatal:handshake_failure alert:fatal:ech_required"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if evs[0].Length != 4 || evs[2].Length != 2 {
		t.Errorf("Length = %d, %d; want the record lengths 4, 2", evs[0].Length, evs[2].Length)
	}
}

// TestStreamProtectedAlertBeforeSetEncrypted: a stream that began after
// the sender's ChangeCipherSpec sees a protected alert without knowing it
// is encrypted (ndpi tls_alert.pcap has a 26-byte one). It must be one
// EventEncryptedAlert, not thirteen nonsense alerts.
func TestStreamProtectedAlertBeforeSetEncrypted(t *testing.T) {
	gcm := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0x9c, 0x41, 0x5e, 0x22, 0x0b, 0x7f, 0xd3, 0x66,
		0xa1, 0x05, 0xe8, 0x3c, 0x90, 0x11, 0xaf, 0x52, 0x6d, 0xc8}
	evs, err := decodeAll(t, record(ContentAlert, VersionTLS12, gcm), Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(evs); got != "enc_alert" || evs[0].Length != 26 {
		t.Errorf("got %s (length %d), want one enc_alert of 26", got, evs[0].Length)
	}
}

func TestStreamEncrypted(t *testing.T) {
	s := NewStream(Options{})
	s.Feed(cat(
		record(ContentChangeCipherSpec, VersionTLS12, []byte{1}),
		record(ContentHandshake, VersionTLS12, make([]byte, 40)),
		record(ContentAlert, VersionTLS12, make([]byte, 26)),
		record(ContentChangeCipherSpec, VersionTLS12, make([]byte, 25)), // renegotiation, protected
		record(ContentApplicationData, VersionTLS12, nil),               // empty application data is legal
		record(ContentHeartbeat, VersionTLS12, []byte{1, 0, 0}),
	))
	var kinds []EventKind
	var lens []int
	for {
		ev, ok, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		kinds = append(kinds, ev.Kind)
		lens = append(lens, ev.Length)
		if ev.Kind == EventChangeCipherSpec {
			s.SetEncrypted()
		}
	}
	wantKinds := []EventKind{EventChangeCipherSpec, EventEncryptedHandshake, EventEncryptedAlert,
		EventChangeCipherSpec, EventApplicationData, EventHeartbeat}
	if d := cmp.Diff(wantKinds, kinds); d != "" {
		t.Errorf("kinds (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{1, 40, 26, 25, 0, 3}, lens); d != "" {
		t.Errorf("lengths (-want +got):\n%s", d)
	}
}

// TestStreamErrors checks each malformation, its code and offset, and that
// limits are judged on the header alone: the input ends right after it.
func TestStreamErrors(t *testing.T) {
	ch := hsMsg(HandshakeServerHelloDone, nil)
	tests := []struct {
		name string
		in   []byte
		code ErrorCode
		off  int64
	}{
		{"record overflow", []byte{22, 3, 3, 0x48, 0x01}, CodeRecordOverflow, 0},
		{"record overflow after a record", cat(record(ContentHandshake, VersionTLS12, ch), []byte{23, 3, 3, 0xff, 0xff}),
			CodeRecordOverflow, 9},
		{"16 MB handshake", []byte{22, 3, 3, 0, 4, 1, 0xff, 0xff, 0xff}, CodeMalformedHandshake, 5},
		{"handshake one over the limit", []byte{22, 3, 3, 0, 4, 11, 4, 0, 1}, CodeMalformedHandshake, 5},
		{"16 MB handshake, header split", cat(record(ContentHandshake, VersionTLS12, []byte{11, 0xff}),
			record(ContentHandshake, VersionTLS12, []byte{0xff, 0xff})), CodeMalformedHandshake, 5},
		{"content type 25", []byte{25, 3, 3, 0, 1}, CodeUnknownContentType, 0},
		{"content type 0", []byte{0, 3, 3, 0, 1}, CodeUnknownContentType, 0},
		{"version 2.0", []byte{22, 2, 0, 0, 1}, CodeMalformedRecord, 0},
		{"version 4.1", []byte{22, 4, 1, 0, 1}, CodeMalformedRecord, 0},
		{"empty handshake record", []byte{22, 3, 3, 0, 0}, CodeMalformedRecord, 0},
		{"empty alert record", []byte{21, 3, 3, 0, 0}, CodeMalformedRecord, 0},
		{"empty ccs record", []byte{20, 3, 3, 0, 0}, CodeMalformedRecord, 0},
		{"odd alert", record(ContentAlert, VersionTLS12, []byte{2, 40, 1}), CodeMalformedRecord, 0},
		{"ccs body 2", record(ContentChangeCipherSpec, VersionTLS12, []byte{2}), CodeMalformedRecord, 0},
		{"ccs body too long", record(ContentChangeCipherSpec, VersionTLS12, []byte{1, 1}), CodeMalformedRecord, 0},
		{"alert interleaved", cat(record(ContentHandshake, VersionTLS12, []byte{11, 0, 0, 9, 1}),
			record(ContentAlert, VersionTLS12, []byte{2, 40})), CodeMalformedHandshake, 5},
		{"ccs interleaved in a header", cat(record(ContentHandshake, VersionTLS12, []byte{11, 0}),
			record(ContentChangeCipherSpec, VersionTLS12, []byte{1})), CodeMalformedHandshake, 5},
		{"application data interleaved", cat(record(ContentHandshake, VersionTLS12, ch),
			record(ContentHandshake, VersionTLS12, []byte{11, 0, 0, 9, 1}),
			record(ContentApplicationData, VersionTLS12, []byte{1})), CodeMalformedHandshake, 14},
		{"body does not parse", record(ContentHandshake, VersionTLS12, hsMsg(HandshakeServerHelloDone, []byte{0})),
			CodeMalformedHandshake, 5},
		{"second message does not parse", record(ContentHandshake, VersionTLS12,
			cat(ch, hsMsg(HandshakeHelloRequest, []byte{1}))), CodeMalformedHandshake, 9},
		{"SSLv2 not a client hello", []byte{0x80, 0x20, 4, 0, 2}, CodeMalformedRecord, 0},
		{"SSLv2 too short", []byte{0x80, 0x03, 1, 3, 1}, CodeMalformedRecord, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream(Options{})
			s.Feed(tt.in)
			var err error
			for {
				var ok bool
				_, ok, err = s.Next()
				if err != nil || !ok {
					break
				}
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *Error", err)
			}
			if de.Code != tt.code || de.Offset != tt.off {
				t.Errorf("got %s at %d (%s), want %s at %d", de.Code, de.Offset, de.Reason, tt.code, tt.off)
			}
			// The stream is dead: the same error again, whatever is fed.
			s.Feed(record(ContentApplicationData, VersionTLS12, []byte{1}))
			if _, ok, err2 := s.Next(); ok || err2 != err {
				t.Errorf("after the error: ok=%v err=%v, want the same error", ok, err2)
			}
		})
	}
}

// TestStreamLimitsAreNotErrors checks the largest legal sizes: they wait
// for more input instead of failing, except an application data record,
// which is reported on its header alone (its body is never read).
func TestStreamLimitsAreNotErrors(t *testing.T) {
	for _, tt := range []struct {
		in     []byte
		wantOK bool
	}{
		{[]byte{22, 3, 3, 0x48, 0x00}, false},            // a record of exactly maxCiphertext
		{[]byte{22, 3, 3, 0, 4, 11, 4, 0, 0}, false},     // a handshake of exactly maxHandshake
		{[]byte{23, 3, 4, 0x48, 0x00}, true},             // record version 3.4, maxCiphertext
		{[]byte{0x80, 0x30, 1, 3, 1, 0, 3, 0, 0}, false}, // the start of an SSLv2 hello
		{record(ContentHandshake, 0x0300, ch0()), false}, // SSL 3.0 record version
	} {
		s := NewStream(Options{})
		s.Feed(tt.in)
		if _, ok, err := s.Next(); ok != tt.wantOK || err != nil {
			t.Errorf("% x: ok=%v err=%v, want ok=%v and no error", tt.in, ok, err, tt.wantOK)
		}
	}
}

// TestStreamSkipsOpaqueBodies: an application data record is reported on
// its header, the parts of its body that arrive later are not buffered,
// and the next record is found after it.
func TestStreamSkipsOpaqueBodies(t *testing.T) {
	body := make([]byte, 16000)
	in := append(record(ContentApplicationData, VersionTLS12, body), record(ContentAlert, VersionTLS12, []byte{1, 0})...)
	for _, chunk := range []int{1, 7, 1000, len(in)} {
		s := NewStream(Options{})
		var kinds []EventKind
		for i := 0; i < len(in); i += chunk {
			s.Feed(in[i:min(i+chunk, len(in))])
			// A segment is copied whole when it arrives (Feed owns no view
			// of the caller's bytes); the bodies that follow it are not.
			if chunk < 4096 && cap(s.buf) > 4096 {
				t.Fatalf("chunk %d: buffer grew to %d bytes for an opaque body", chunk, cap(s.buf))
			}
			for {
				ev, ok, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if ev.Kind == EventApplicationData && ev.Length != len(body) {
					t.Errorf("length %d", ev.Length)
				}
				kinds = append(kinds, ev.Kind)
			}
		}
		if len(kinds) != 2 || kinds[0] != EventApplicationData || kinds[1] != EventAlert || s.Offset() != int64(len(in)) {
			t.Errorf("chunk %d: events %v, offset %d", chunk, kinds, s.Offset())
		}
	}
}

// ch0 is the start of a handshake message that has not arrived whole.
func ch0() []byte { return []byte{1, 0, 0, 50, 3, 3} }

// TestStreamNoInput checks the empty cases.
func TestStreamNoInput(t *testing.T) {
	s := NewStream(Options{})
	if _, ok, err := s.Next(); ok || err != nil {
		t.Errorf("empty stream: ok=%v err=%v", ok, err)
	}
	s.Feed(nil)
	if s.Offset() != 0 {
		t.Errorf("Offset = %d", s.Offset())
	}
}

// TestStreamFeedCopies checks that Feed copies: the caller may reuse b.
func TestStreamFeedCopies(t *testing.T) {
	data := readFixture(t, "tls12_full.server")
	want := mustDecode(t, fixture{"tls12_full.server", true})
	buf := make([]byte, 64)
	s := NewStream(Options{})
	var got []Event
	for rest := data; len(rest) > 0; {
		n := copy(buf, rest)
		rest = rest[n:]
		s.Feed(buf[:n])
		for i := range buf {
			buf[i] = 0xEE
		}
		for {
			ev, ok, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, ev)
			if ev.Kind == EventChangeCipherSpec {
				s.SetEncrypted()
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reused feed buffer changed the events:\n%s", d)
	}
}

// TestStreamMessagesOutliveBuffer checks that a message stays intact after
// the stream has compacted and reused its buffer.
func TestStreamMessagesOutliveBuffer(t *testing.T) {
	data := readFixture(t, "tls12_full.server")
	s := NewStream(Options{})
	s.Feed(data[:200])
	ev, ok, err := s.Next()
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	sh := ev.Message.(*ServerHello)
	before := append([]byte(nil), sh.SessionID...)
	rnd := sh.Random
	for i := 200; i < len(data); i += 10 {
		s.Feed(data[i:min(i+10, len(data))])
		for {
			ev, ok, _ := s.Next()
			if !ok {
				break
			}
			if ev.Kind == EventChangeCipherSpec {
				s.SetEncrypted()
			}
		}
	}
	if !cmp.Equal(before, sh.SessionID) || rnd != sh.Random {
		t.Error("ServerHello changed after later input")
	}
}

// TestStreamAllocations checks that records whose messages lie whole in
// the buffer cost no allocations beyond the parsed messages.
func TestStreamAllocations(t *testing.T) {
	in := cat(
		record(ContentApplicationData, VersionTLS12, make([]byte, 100)),
		record(ContentChangeCipherSpec, VersionTLS12, []byte{1}),
		record(ContentAlert, VersionTLS12, []byte{1, 0}),
		record(ContentHandshake, VersionTLS12, hsMsg(HandshakeServerHelloDone, nil)),
	)
	s := NewStream(Options{})
	allocs := testing.AllocsPerRun(100, func() {
		s.Feed(in)
		for {
			_, ok, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
		}
	})
	// One allocation: the *ServerHelloDone.
	if allocs > 1 {
		t.Errorf("%.1f allocations per pass, want at most 1", allocs)
	}
}

// BenchmarkStream decodes a whole TLS 1.2 server direction (certificate
// chain, OCSP staple, ticket) fed in 1460-byte segments.
func BenchmarkStream(b *testing.B) {
	data := readFixture(b, "tls12_full.server")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewStream(Options{})
		for rest := data; len(rest) > 0; {
			n := min(1460, len(rest))
			s.Feed(rest[:n])
			rest = rest[n:]
			for {
				ev, ok, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				if ev.Kind == EventChangeCipherSpec {
					s.SetEncrypted()
				}
			}
		}
	}
}

// TestRawAndKeepProtected: with Options.Raw a handshake event carries the
// message as sent, whole or joined across records; after KeepProtected an
// application_data record is returned once whole, with its body.
func TestRawAndKeepProtected(t *testing.T) {
	fin := hsMsg(HandshakeFinished, []byte("0123456789ab"))
	shd := hsMsg(HandshakeServerHelloDone, nil)
	body := []byte("ciphertext of a protected record")
	in := string(record(ContentHandshake, VersionTLS12, fin[:5])) + string(record(ContentHandshake, VersionTLS12, append(fin[5:], shd...))) +
		string(record(ContentApplicationData, VersionTLS12, body))
	for _, chunk := range []int{1, 3, len(in)} {
		s := NewStream(Options{Raw: true})
		var got []string
		for i := 0; i < len(in); i += chunk {
			s.Feed([]byte(in[i:min(i+chunk, len(in))]))
			for {
				ev, ok, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, string(ev.Raw))
				if ev.Kind == EventHandshake && ev.Message.Type() == HandshakeServerHelloDone {
					s.KeepProtected()
				}
			}
		}
		want := []string{string(fin), string(shd), string(body)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("chunks of %d: Raw (-want +got):\n%s", chunk, diff)
		}
	}
}

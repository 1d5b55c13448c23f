package flows

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The client's and the server's Initial packets of RFC 9001, Appendix A.2
// and A.3 (the first padded to 1200 bytes): a ClientHello and the
// ServerHello answering it, as the quic package's tests keep them.
var (
	rfcClientInitial = quicVector("rfc9001-client-initial.hex")
	rfcServerInitial = quicVector("rfc9001-server-initial.hex")
)

// quicVector is a hex file of the quic package's testdata, its lines
// joined.
func quicVector(name string) string {
	b, err := os.ReadFile(filepath.Join("..", "quic", "testdata", name))
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "")
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// quicResult feeds datagrams, side A the client, to a QUIC consumer.
func quicResult(t testing.TB, dgs ...[]byte) Result {
	col := NewCollector(Options{})
	s := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0, Transport: stream.TransportQUIC})
	ds, ok := s.(stream.DatagramStream)
	if !ok {
		t.Fatal("the consumer of a QUIC flow takes no datagrams")
	}
	for i, dg := range dgs {
		ds.Datagram(stream.Side(i%2), dg, t0)
	}
	s.Close(stream.EndCapture, t0)
	return col.Results()[0]
}

// TestQUICInitials reads the RFC's Initial packets as a connection: the
// ClientHello and the ServerHello, typed and ordered as over TCP.
func TestQUICInitials(t *testing.T) {
	r := quicResult(t, mustHex(t, rfcClientInitial), mustHex(t, rfcServerInitial))
	if r.Transport != stream.TransportQUIC || r.QUIC == nil || r.QUIC.Version != 1 || hex.EncodeToString(r.QUIC.DCID) != "8394c8f03e515708" {
		t.Fatalf("transport %s, quic %+v", r.Transport, r.QUIC)
	}
	if r.ClientHello == nil || r.ClientHello.ServerName != "example.com" || r.ServerHello == nil ||
		r.Version != decode.VersionTLS13 || r.CipherSuite != 0x1301 || len(r.Violations) != 0 {
		t.Fatalf("hellos %v %v, version %s, suite %s, violations %v", r.ClientHello != nil, r.ServerHello != nil, r.Version, r.CipherSuite, r.Violations)
	}
	if r.Outcome != OutcomeIncomplete || len(r.Messages) != 2 {
		t.Errorf("outcome %s, messages %v", r.Outcome, r.Messages)
	}
	// Sent again, the packets change nothing; a server Initial first is
	// not the client's.
	again := quicResult(t, mustHex(t, rfcClientInitial), mustHex(t, rfcServerInitial), mustHex(t, rfcClientInitial), mustHex(t, rfcServerInitial))
	if len(again.Messages) != 2 || len(again.Violations) != 0 {
		t.Errorf("retransmitted: messages %v, violations %v", again.Messages, again.Violations)
	}
	// A byte changed in the server's packet: it does not authenticate,
	// and the ServerHello is not read.
	bad := mustHex(t, rfcServerInitial)
	bad[len(bad)-1] ^= 1
	r = quicResult(t, mustHex(t, rfcClientInitial), bad)
	if r.ServerHello != nil || r.QUIC.Undecryptable != 1 {
		t.Errorf("tampered: server hello %v, undecryptable %d", r.ServerHello != nil, r.QUIC.Undecryptable)
	}
}

// FuzzQUIC drives a QUIC consumer with datagrams: each is a side byte
// (low bit) and a 2-byte length before its bytes.
func FuzzQUIC(f *testing.F) {
	dg := func(side byte, b []byte) []byte {
		return append([]byte{side, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	f.Add(append(dg(0, mustHex(f, rfcClientInitial)), dg(1, mustHex(f, rfcServerInitial))...))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDatagrams(t, stream.TransportQUIC, data) })
}

// fuzzDatagrams drives a consumer of transport with data read as
// datagrams: a side byte, a 16-bit length, the datagram; never a panic,
// always one result.
func fuzzDatagrams(t *testing.T, transport stream.Transport, data []byte) {
	col := NewCollector(Options{})
	s := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0, Transport: transport})
	ds := s.(stream.DatagramStream)
	for len(data) >= 3 {
		n := min(int(binary.BigEndian.Uint16(data[1:3])), len(data)-3)
		ds.Datagram(stream.Side(data[0]&1), data[3:3+n], t0)
		data = data[3+n:]
		_ = s.Done()
		_ = s.(stream.Buffered).Buffered()
	}
	s.Close(stream.EndCapture, t0)
	if len(col.Results()) != 1 {
		t.Fatal("no result")
	}
}

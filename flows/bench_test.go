package flows

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// The benchmarks below drive a Tracker with what reassembly would hand it
// for real connections: the bytes crypto/tls wrote on each side, in the
// order it wrote them, cut into 1448-byte segments as TCP over Ethernet
// with timestamps carries them.

var (
	benchClient = netip.MustParseAddrPort("10.1.0.1:50000")
	benchServer = netip.MustParseAddrPort("10.1.0.2:443")
	benchT0     = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
)

const benchMSS = 1448

// chunk is one Write of one side.
type chunk struct {
	side stream.Side
	b    []byte
}

// recorder appends every Write of its side to a transcript shared with the
// peer before passing it on, so the transcript has the order of the writes.
type recorder struct {
	net.Conn
	side stream.Side
	mu   *sync.Mutex
	out  *[]chunk
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	*r.out = append(*r.out, chunk{r.side, append([]byte(nil), b...)})
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// handshakeTranscript makes one crypto/tls connection over loopback TCP: the
// handshake, a 100-byte request, a 3000-byte response, close_notify from
// both sides. SideA is the client.
func handshakeTranscript(tb testing.TB, cc, sc *tls.Config) []chunk {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var out []chunk
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		s := tls.Server(&recorder{c, stream.SideB, &mu, &out}, sc)
		// The server's close_notify is written before done says the
		// transcript is complete.
		err = serveOnce(s)
		s.Close()
		done <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(&recorder{raw, stream.SideA, &mu, &out}, cc)
	if _, err := c.Write(make([]byte, 100)); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 3000)); err != nil {
		tb.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	raw.Close()
	return out
}

// serveOnce reads the 100-byte request, answers 3000 bytes and reads on
// until the client's close_notify.
func serveOnce(s *tls.Conn) error {
	if _, err := io.ReadFull(s, make([]byte, 100)); err != nil {
		return err
	}
	if _, err := s.Write(make([]byte, 3000)); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, s)
	return err
}

var benchPKI struct {
	once       sync.Once
	roots      *x509.CertPool
	rsa, ecdsa tls.Certificate
}

// benchCerts makes, once, a CA and two server certificates it issued
// (RSA 2048 and ECDSA P-256), each sent with the CA: a chain of two.
func benchCerts(tb testing.TB) {
	tb.Helper()
	benchPKI.once.Do(func() {
		caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		caTmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		}
		caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
		ca, _ := x509.ParseCertificate(caDER)
		benchPKI.roots = x509.NewCertPool()
		benchPKI.roots.AddCert(ca)
		leaf := func(key crypto.Signer, serial int64) tls.Certificate {
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "server.example"},
				DNSNames:  []string{"server.example"},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
				KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			}
			der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
			return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
		}
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		benchPKI.rsa = leaf(rsaKey, 2)
		benchPKI.ecdsa = leaf(ecKey, 3)
	})
}

// feed runs a transcript through a new tracker of col, in segments, and
// closes it; then a last result is what col emitted.
func feed(col *Collector, tr []chunk) {
	s := col.New(stream.ConnInfo{A: benchClient, B: benchServer, SawSYN: true, Start: benchT0})
	ts := benchT0
	for _, c := range tr {
		for b := c.b; len(b) > 0; {
			n := min(benchMSS, len(b))
			ts = ts.Add(50 * time.Microsecond)
			s.Data(c.side, b[:n], ts)
			b = b[n:]
			_ = s.Done() // reassembly asks after every segment
		}
	}
	s.End(stream.SideA, stream.EndFIN, ts)
	s.End(stream.SideB, stream.EndFIN, ts)
	s.Close(stream.EndFIN, ts)
}

// BenchmarkTracker is the flow tracker on whole connections, handshake to
// close: per connection, the cost of flows and decode together.
func BenchmarkTracker(b *testing.B) {
	benchCerts(b)
	tls13Client, tls13Server := tls13Configs()
	tls13KeysClient, _ := tls13Configs()
	cases := []struct {
		name   string
		cc, sc *tls.Config
		keys   bool // with the client's key log: the cost of decrypting and checking
	}{
		{"tls12_ecdhe_rsa",
			&tls.Config{ServerName: "server.example", RootCAs: benchPKI.roots, MaxVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}},
			&tls.Config{Certificates: []tls.Certificate{benchPKI.rsa}, NextProtos: []string{"h2"},
				CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}, false},
		{"tls13_ecdsa", tls13Client, tls13Server, false},
		{"tls13_ecdsa_keys", tls13KeysClient, tls13Server, true},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var kl bytes.Buffer
			var keys KeyStore
			if bc.keys {
				bc.cc.KeyLogWriter = &kl
			}
			tr := handshakeTranscript(b, bc.cc, bc.sc)
			if bc.keys {
				g := new(keylog.Log)
				if _, err := g.Parse("crypto/tls", &kl); err != nil {
					b.Fatal(err)
				}
				keys = g
			}
			col := NewCollector(Options{AsDecided: true, Keys: keys})
			feed(col, tr)
			if rs, _ := col.Drain(); len(rs) != 1 || rs[0].Outcome != OutcomeEstablished {
				b.Fatalf("results %v, want one established", rs)
			}
			var n int64
			for _, c := range tr {
				n += int64(len(c.b))
			}
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				feed(col, tr)
				col.Drain()
			}
		})
	}
}

// BenchmarkTrackerBulk is the tracker's cost per segment of application
// data once a TLS 1.2 connection is established: nothing when its verdict
// is final (done: reassembly stops delivering, and a stray call returns at
// once), record framing when --follow keeps decoding it to its end.
func BenchmarkTrackerBulk(b *testing.B) {
	benchCerts(b)
	tr := handshakeTranscript(b,
		&tls.Config{ServerName: "server.example", RootCAs: benchPKI.roots, MaxVersion: tls.VersionTLS12},
		&tls.Config{Certificates: []tls.Certificate{benchPKI.rsa}})
	// 16 KiB application_data records, as a server sends bulk data.
	var bulk []byte
	for range 16 {
		bulk = append(bulk, 23, 3, 3, 0x40, 0x18)
		bulk = append(bulk, make([]byte, 0x4018)...)
	}
	for _, follow := range []bool{false, true} {
		name := "done"
		if follow {
			name = "follow"
		}
		b.Run(name, func(b *testing.B) {
			col := NewCollector(Options{Follow: follow, AsDecided: true})
			s := col.New(stream.ConnInfo{A: benchClient, B: benchServer, SawSYN: true, Start: benchT0})
			ts := benchT0
			for _, c := range tr[:len(tr)-2] { // leave out the close_notify alerts
				s.Data(c.side, c.b, ts)
			}
			if s.Done() == follow {
				b.Fatalf("Done() = %v with Follow %v after the handshake", s.Done(), follow)
			}
			b.SetBytes(benchMSS)
			b.ReportAllocs()
			off := 0
			for b.Loop() {
				s.Data(stream.SideB, bulk[off:off+benchMSS], ts)
				if off += benchMSS; off+benchMSS > len(bulk) {
					// Restart at a record boundary.
					s.Data(stream.SideB, bulk[off:], ts)
					off = 0
				}
			}
		})
	}
}

// BenchmarkKeyedCryptoFloor is the least a keyed TLS 1.3 connection costs
// whatever code surrounds it: for the connection BenchmarkTracker's
// tls13_ecdsa_keys case feeds, the cryptography alone that checking its
// order needs, on records already framed. That is the transcript hash,
// the four traffic keys, opening each protected record up to each side's
// first one under application keys, and both Finished verified. It leaves
// out the key log lookup, parsing, judging and reporting, so the keyed
// cost of a connection can be no less than this (issue 18's --keylog
// target).
func BenchmarkKeyedCryptoFloor(b *testing.B) {
	benchCerts(b)
	var kl bytes.Buffer
	cc, sc := tls13Configs()
	cc.KeyLogWriter = &kl
	tr := handshakeTranscript(b, cc, sc)
	g := new(keylog.Log)
	if _, err := g.Parse("crypto/tls", &kl); err != nil {
		b.Fatal(err)
	}
	// Each side's records, headers included: the client's first is its
	// ClientHello and the server's its ServerHello, one record each.
	var recs [2][][]byte
	for side, s := range sideBytes(tr) {
		for len(s) >= 5 {
			n := 5 + int(binary.BigEndian.Uint16(s[3:]))
			recs[side] = append(recs[side], s[:n])
			s = s[n:]
		}
	}
	ch, sh := recs[stream.SideA][0][5:], recs[stream.SideB][0][5:]
	sec, ok := g.Lookup([32]byte(ch[6:38]))
	sidLen := int(sh[38])
	s, err := tlscrypto.LookupSuite(binary.BigEndian.Uint16(sh[39+sidLen:]))
	if !ok || err != nil || !s.TLS13 {
		b.Fatalf("no TLS 1.3 secrets or suite: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := keyedCrypto(s, sec, ch, sh, &recs); err != nil {
			b.Fatal(err)
		}
	}
}

// tls13Configs are the client and server of BenchmarkTracker's TLS 1.3
// cases and of BenchmarkKeyedCryptoFloor, which must make the same
// connection; benchCerts first.
func tls13Configs() (client, server *tls.Config) {
	return &tls.Config{ServerName: "server.example", RootCAs: benchPKI.roots, NextProtos: []string{"h2", "http/1.1"}},
		&tls.Config{Certificates: []tls.Certificate{benchPKI.ecdsa}, NextProtos: []string{"h2"}}
}

// sideBytes joins the chunks of each side.
func sideBytes(tr []chunk) (b [2][]byte) {
	for _, c := range tr {
		b[c.side] = append(b[c.side], c.b...)
	}
	return b
}

// keyedCrypto is BenchmarkKeyedCryptoFloor's work for one connection: the
// server's flight first, then the client's, as the transcript orders them.
func keyedCrypto(s *tlscrypto.Suite, sec *keylog.Secrets, ch, sh []byte, recs *[2][][]byte) error {
	var t tlscrypto.Transcript
	t.Write(ch)
	t.Write(sh)
	if err := t.SetHash(s.Hash); err != nil {
		return err
	}
	hs := [2][]byte{sec.Secret(keylog.LabelClientHandshakeTrafficSecret), sec.Secret(keylog.LabelServerHandshakeTrafficSecret)}
	app := [2][]byte{sec.Secret(keylog.LabelClientTrafficSecret0), sec.Secret(keylog.LabelServerTrafficSecret0)}
	for _, side := range []stream.Side{stream.SideB, stream.SideA} {
		dec, err := tlscrypto.NewTLS13Decrypter(s, hs[side])
		if err != nil {
			return err
		}
		finished := false
		var held []byte // a message the last record did not end
		for _, r := range recs[side][1:] {
			if r[0] != byte(decode.ContentApplicationData) {
				continue // change_cipher_spec
			}
			pt, typ, err := dec.Decrypt(r[:5], r[5:])
			if err != nil {
				return err
			}
			if finished {
				break // the first record under application keys
			}
			if typ != byte(decode.ContentHandshake) {
				return fmt.Errorf("record of type %d in the handshake", typ)
			}
			if len(held) > 0 {
				pt = append(held, pt...)
			}
			for len(pt) >= 4 {
				n := 4 + (int(pt[1])<<16 | int(pt[2])<<8 | int(pt[3]))
				if len(pt) < n {
					break
				}
				m := pt[:n]
				pt = pt[n:]
				if decode.HandshakeType(m[0]) == decode.HandshakeFinished {
					if !hmac.Equal(tlscrypto.FinishedVerifyData13(s.Hash, hs[side], t.Sum()), m[4:]) {
						return errors.New("Finished does not verify")
					}
					finished = true
					if dec, err = tlscrypto.NewTLS13Decrypter(s, app[side]); err != nil {
						return err
					}
				}
				t.Write(m)
			}
			held = append(held[:0], pt...)
		}
		if !finished {
			return fmt.Errorf("side %d sent no Finished", side)
		}
	}
	return nil
}

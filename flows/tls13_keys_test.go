package flows

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/tlscrypto"
	"golang.org/x/crypto/chacha20poly1305"
)

// A crypto/tls TLS 1.3 handshake and its key log, cut into records in the
// order they were written, so that a test can rewrite what a side's
// protected records say and seal them again with the real keys.

type rec struct {
	side stream.Side
	b    []byte
}

// tls13Records records a crypto/tls 1.3 handshake with a key log.
func tls13Records(t *testing.T) ([]rec, *keylog.Log) {
	return tlsRecords(t, tls.VersionTLS13, nil)
}

// tlsRecords records a crypto/tls handshake of version at most max with a
// key log. With a session cache the client offers resumption, and a TLS
// 1.3 server that asks for no certificate sends its tickets with its
// first flight, before the client's Finished (RFC 8446, 4.6.1).
func tlsRecords(t *testing.T, max uint16, cache tls.ClientSessionCache) ([]rec, *keylog.Log) {
	t.Helper()
	benchCerts(t)
	var kl bytes.Buffer
	tr := handshakeTranscript(t,
		&tls.Config{ServerName: "server.example", RootCAs: benchPKI.roots, KeyLogWriter: &kl, MaxVersion: max, ClientSessionCache: cache},
		&tls.Config{Certificates: []tls.Certificate{benchPKI.ecdsa}})
	g := new(keylog.Log)
	if _, err := g.Parse("crypto/tls", &kl); err != nil {
		t.Fatal(err)
	}
	var bufs [2][]byte
	var out []rec
	for _, c := range tr {
		bufs[c.side] = append(bufs[c.side], c.b...)
		for b := bufs[c.side]; len(b) >= 5 && len(b) >= 5+int(binary.BigEndian.Uint16(b[3:])); b = bufs[c.side] {
			n := 5 + int(binary.BigEndian.Uint16(b[3:]))
			out = append(out, rec{c.side, b[:n:n]})
			bufs[c.side] = b[n:]
		}
	}
	return out, g
}

// runRecords feeds records to a tracker with keys, one Data call each.
func runRecords(recs []rec, keys KeyStore) Result {
	col := NewCollector(Options{Keys: keys})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	for i, r := range recs {
		tr.Data(r.side, r.b, t0.Add(time.Duration(i+1)*time.Millisecond))
	}
	tr.Close(stream.EndFIN, t0.Add(time.Second))
	return col.Results()[0]
}

// resealServer decrypts the server's records protected with its handshake
// traffic key (through its Finished), lets edit change the handshake
// messages, and puts them back sealed one message a record, as a server
// that sent them so would have.
func resealServer(t *testing.T, recs []rec, g *keylog.Log, edit func(msgs [][]byte) [][]byte) []rec {
	t.Helper()
	ch, err := decode.ParseHandshake(decode.HandshakeClientHello, recs[0].b[9:])
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := g.Lookup(ch.(*decode.ClientHello).Random)
	secret := sec.Secret(keylog.LabelServerHandshakeTrafficSecret)
	var suite *tlscrypto.Suite
	first, last := -1, -1
	var dec *tlscrypto.Decrypter
	var hs []byte
	for i, r := range recs {
		if r.side != stream.SideB {
			continue
		}
		if r.b[0] == 22 && r.b[5] == byte(decode.HandshakeServerHello) {
			sh, err := decode.ParseHandshake(decode.HandshakeServerHello, r.b[9:])
			if err != nil {
				t.Fatal(err)
			}
			if suite, err = tlscrypto.LookupSuite(uint16(sh.(*decode.ServerHello).CipherSuite)); err != nil {
				t.Fatal(err)
			}
			if dec, err = tlscrypto.NewTLS13Decrypter(suite, secret); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if r.b[0] != 23 || dec == nil || last >= 0 {
			continue
		}
		pt, typ, err := dec.Decrypt(r.b[:5], r.b[5:])
		if err != nil || typ != 22 {
			t.Fatalf("server record %d: type %d, %v", i, typ, err)
		}
		if first < 0 {
			first = i
		}
		hs = append(hs, pt...)
		if bytes.Contains(pt, []byte{byte(decode.HandshakeFinished), 0, 0, byte(suite.Hash.Size())}) {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("no server Finished found")
	}
	var msgs [][]byte
	for len(hs) >= 4 {
		n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
		msgs = append(msgs, hs[:n])
		hs = hs[n:]
	}
	key, iv := tlscrypto.TrafficKeys(suite, secret)
	var aead cipher.AEAD
	if suite.Cipher == tlscrypto.CipherChaCha20Poly1305 {
		aead, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			aead, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var sealed []rec
	for seq, m := range edit(msgs) {
		nonce := bytes.Clone(iv)
		for i := 0; i < 8; i++ {
			nonce[len(nonce)-1-i] ^= byte(uint64(seq) >> (8 * i))
		}
		n := len(m) + 1 + aead.Overhead()
		hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
		sealed = append(sealed, rec{stream.SideB, aead.Seal(hdr, nonce, append(bytes.Clone(m), 22), hdr)})
	}
	out := append([]rec(nil), recs[:first]...)
	out = append(out, sealed...)
	for i := first; i < len(recs); i++ {
		if recs[i].side == stream.SideA || i > last {
			out = append(out, recs[i])
		}
	}
	return out
}

func kindsOf(msgs [][]byte) []decode.HandshakeType {
	var ks []decode.HandshakeType
	for _, m := range msgs {
		ks = append(ks, decode.HandshakeType(m[0]))
	}
	return ks
}

// TestKeysEstablished: a real handshake read with its key log is
// established, its server flight decrypted in the order of RFC 8446, 2.
func TestKeysEstablished(t *testing.T) {
	recs, g := tls13Records(t)
	r := runRecords(recs, g)
	if r.Outcome != OutcomeEstablished || r.Keys != KeysFound || len(r.Violations) > 0 {
		t.Fatalf("outcome %s keys %q violations %+v", r.Outcome, r.Keys, r.Violations)
	}
	want := "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions s:certificate s:certificate_verify s:finished c:change_cipher_spec c:finished"
	if got := types(r); !bytes.HasPrefix([]byte(got), []byte(want)) {
		t.Errorf("messages %s, want %s...", got, want)
	}
	// The same records resealed unchanged still verify: the resealing
	// itself breaks nothing the other tests rely on.
	same := runRecords(resealServer(t, recs, g, func(m [][]byte) [][]byte { return m }), g)
	if same.Outcome != OutcomeEstablished || len(same.Violations) > 0 {
		t.Errorf("resealed unchanged: outcome %s violations %+v", same.Outcome, same.Violations)
	}
}

// TestKeysTicketsBeforeClientFinished: crypto/tls's server, asking for no
// client certificate, sends its NewSessionTickets right after its own
// Finished, as RFC 8446, 4.6.1 lets it; they are no violation, and stay
// out of the transcript the client's Finished covers.
func TestKeysTicketsBeforeClientFinished(t *testing.T) {
	recs, g := tlsRecords(t, tls.VersionTLS13, tls.NewLRUClientSessionCache(1))
	r := runRecords(recs, g)
	if r.Outcome != OutcomeEstablished || r.Keys != KeysFound || len(r.Violations) > 0 {
		t.Fatalf("outcome %s keys %q violations %+v", r.Outcome, r.Keys, r.Violations)
	}
	want := "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions s:certificate s:certificate_verify s:finished s:new_session_ticket c:change_cipher_spec c:finished"
	if got := types(r); !bytes.HasPrefix([]byte(got), []byte(want)) {
		t.Errorf("messages %s, want %s...", got, want)
	}
}

// TestKeysBadFinished: one byte of the server's verify_data flipped, the
// record sealed again with the server's real key: bad_finished.
func TestKeysBadFinished(t *testing.T) {
	recs, g := tls13Records(t)
	r := runRecords(resealServer(t, recs, g, func(msgs [][]byte) [][]byte {
		fin := msgs[len(msgs)-1]
		if fin[0] != byte(decode.HandshakeFinished) {
			t.Fatalf("last message is %d, not Finished", fin[0])
		}
		fin[len(fin)-1] ^= 1
		return msgs
	}), g)
	// The client's Finished then covers the altered one and fails too;
	// the first violation is the server's.
	if r.Outcome != OutcomeViolation || len(r.Violations) == 0 || r.Violations[0].Code != CodeBadFinished || r.Violations[0].From != Server {
		t.Fatalf("outcome %s violations %+v, want bad_finished from server", r.Outcome, r.Violations)
	}
}

// TestKeysOrder: the server's decrypted flight out of the order of RFC
// 8446, 2, each record authentic.
func TestKeysOrder(t *testing.T) {
	recs, g := tls13Records(t)
	for _, tt := range []struct {
		name     string
		edit     func([][]byte) [][]byte
		code     Code
		got      string
		expected string
	}{
		{"certificate_verify before certificate", func(m [][]byte) [][]byte {
			// EE, CV, Cert, Finished
			return [][]byte{m[0], m[2], m[1], m[3]}
		}, CodeMissingMessage, "certificate_verify", "certificate"},
		{"no encrypted_extensions", func(m [][]byte) [][]byte { return m[1:] }, CodeUnexpectedMessage, "certificate", "encrypted_extensions"},
		{"certificate twice", func(m [][]byte) [][]byte {
			return [][]byte{m[0], m[1], m[1], m[2], m[3]}
		}, CodeDuplicateMessage, "certificate", "certificate_verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runRecords(resealServer(t, recs, g, func(m [][]byte) [][]byte {
				if got := kindsOf(m); len(got) != 4 || got[1] != decode.HandshakeCertificate {
					t.Fatalf("server flight %v, want EE, Certificate, CertificateVerify, Finished", got)
				}
				return tt.edit(m)
			}), g)
			if r.Outcome != OutcomeViolation || len(r.Violations) == 0 {
				t.Fatalf("outcome %s, no violation", r.Outcome)
			}
			v := r.Violations[0]
			if v.Code != tt.code || v.From != Server || v.Got != tt.got || len(v.Expected) == 0 || v.Expected[0] != tt.expected {
				t.Errorf("violation %+v, want %s got %s expected %s", v, tt.code, tt.got, tt.expected)
			}
		})
	}
}

// TestKeysBadRecordMAC: a server record that fails authentication after
// the earlier ones decrypted is bad_record_mac; keys that decrypt nothing
// are wrong keys and the keyless verdict stands.
func TestKeysBadRecordMAC(t *testing.T) {
	recs, g := tls13Records(t)
	var protected []int
	for i, r := range recs {
		if r.side == stream.SideB && r.b[0] == 23 {
			protected = append(protected, i)
		}
	}
	flip := func(i int) []rec {
		out := append([]rec(nil), recs...)
		b := bytes.Clone(out[i].b)
		b[len(b)-1] ^= 1
		out[i].b = b
		return out
	}
	r := runRecords(flip(protected[1]), g)
	if r.Outcome != OutcomeViolation || len(r.Violations) == 0 || r.Violations[0].Code != CodeBadRecordMAC || r.Violations[0].From != Server {
		t.Errorf("second record flipped: outcome %s violations %+v, want bad_record_mac from server", r.Outcome, r.Violations)
	}
	r = runRecords(flip(protected[0]), g)
	if r.Keys != KeysWrong || len(r.Violations) > 0 {
		t.Errorf("first record flipped: keys %q violations %+v, want wrong keys and none", r.Keys, r.Violations)
	}
}

// TestKeysTLS12Finished: a crypto/tls 1.2 handshake read with its
// CLIENT_RANDOM line has both Finished decrypted and verified; one byte of
// the ServerKeyExchange's signature changed on the way (which no key
// depends on) makes the first Finished, the client's, bad_finished.
func TestKeysTLS12Finished(t *testing.T) {
	recs, g := tlsRecords(t, tls.VersionTLS12, nil)
	r := runRecords(recs, g)
	if r.Outcome != OutcomeEstablished || r.Keys != KeysFound || len(r.Violations) > 0 {
		t.Fatalf("outcome %s keys %q violations %+v", r.Outcome, r.Keys, r.Violations)
	}
	var fin []string
	for _, m := range r.Messages {
		if m.Type == "finished" {
			fin = append(fin, fmt.Sprintf("%s %d %v %v", m.From, m.Length, m.Decrypted, m.Encrypted))
		}
	}
	if want := []string{"client 12 true false", "server 12 true false"}; fmt.Sprint(fin) != fmt.Sprint(want) {
		t.Errorf("finished messages %v, want %v", fin, want)
	}

	edited := append([]rec(nil), recs...)
	found := false
	for i, r := range edited {
		// The server's flight: find the ServerKeyExchange by its type at
		// a message start within the handshake record.
		if r.side != stream.SideB || r.b[0] != 22 {
			continue
		}
		b := bytes.Clone(r.b)
		for off := 5; off+4 <= len(b); {
			n := int(b[off+1])<<16 | int(b[off+2])<<8 | int(b[off+3])
			if decode.HandshakeType(b[off]) == decode.HandshakeServerKeyExchange {
				b[off+4+n-1] ^= 1
				found = true
			}
			off += 4 + n
		}
		edited[i].b = b
	}
	if !found {
		t.Fatal("no ServerKeyExchange found")
	}
	r = runRecords(edited, g)
	if r.Outcome != OutcomeViolation || len(r.Violations) == 0 || r.Violations[0].Code != CodeBadFinished || r.Violations[0].From != Client {
		t.Errorf("outcome %s violations %+v, want bad_finished from client", r.Outcome, r.Violations)
	}
}

// TestKeysMangledFlight: the server's decrypted flight with bytes changed
// at random, lengths included, each record sealed with its real key, so
// that every decrypted message reaches the parsers and the order tables:
// never a panic, always a verdict.
func TestKeysMangledFlight(t *testing.T) {
	recs, g := tls13Records(t)
	rnd := rand.New(rand.NewSource(13))
	for i := 0; i < 300; i++ {
		out := resealServer(t, recs, g, func(msgs [][]byte) [][]byte {
			var all []byte
			for _, m := range msgs {
				all = append(all, m...)
			}
			for n := rnd.Intn(4) + 1; n > 0; n-- {
				all[rnd.Intn(len(all))] = byte(rnd.Intn(256))
			}
			// Cut anywhere: a message may now span records.
			var cut [][]byte
			for len(all) > 0 {
				k := min(len(all), rnd.Intn(600)+1)
				cut = append(cut, all[:k])
				all = all[k:]
			}
			return cut
		})
		if r := runRecords(out, g); r.Outcome == "" {
			t.Fatalf("iteration %d: no outcome", i)
		}
	}
}

// lateStore is a key log the client writes during the handshake: its
// secrets are not there at the first lookup.
type lateStore struct {
	log     *keylog.Log
	lookups int
	never   bool
}

func (s *lateStore) Lookup(cr [32]byte) (*keylog.Secrets, bool) {
	s.lookups++
	if s.lookups == 1 || s.never {
		return nil, false
	}
	return s.log.Lookup(cr)
}

func (s *lateStore) Len() int { return 1 }

// TestKeysGrow: with Options.KeysGrow the server's records wait for the
// client's next record and the secrets written meanwhile decrypt them;
// without, or when they never come, the connection is judged without.
func TestKeysGrow(t *testing.T) {
	for _, max := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		recs, g := tlsRecords(t, max, nil)
		for _, tt := range []struct {
			grow, never bool
			keys        string
		}{{true, false, KeysFound}, {false, false, KeysMissing}, {true, true, KeysMissing}} {
			col := NewCollector(Options{Keys: &lateStore{log: g, never: tt.never}, KeysGrow: tt.grow})
			tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
			for i, r := range recs {
				tr.Data(r.side, r.b, t0.Add(time.Duration(i+1)*time.Millisecond))
			}
			tr.Close(stream.EndFIN, t0.Add(time.Second))
			r := col.Results()[0]
			want := runRecords(recs, g)
			if tt.keys == KeysMissing {
				want = runRecords(recs, nil)
			}
			if r.Keys != tt.keys || r.Outcome != OutcomeEstablished || types(r) != types(want) {
				t.Errorf("version %x grow %v never %v: keys %q outcome %s\n%s\nwant\n%s", max, tt.grow, tt.never, r.Keys, r.Outcome, types(r), types(want))
			}
		}
	}
}

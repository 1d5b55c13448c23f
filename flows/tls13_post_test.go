package flows

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/tlscrypto"
	"golang.org/x/crypto/chacha20poly1305"
)

// innerRecord is a protected record's content: its inner type and bytes.
type innerRecord struct {
	typ byte
	b   []byte
}

// seal13 seals a TLS 1.3 record with a traffic secret at sequence seq
// (RFC 8446, 5.2 and 5.3), as a peer holding it would.
func seal13(t *testing.T, s *tlscrypto.Suite, secret []byte, seq uint64, p innerRecord) []byte {
	t.Helper()
	key, iv := tlscrypto.TrafficKeys(s, secret)
	var aead cipher.AEAD
	var err error
	if s.Cipher == tlscrypto.CipherChaCha20Poly1305 {
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
	nonce := bytes.Clone(iv)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	n := len(p.b) + 1 + aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return aead.Seal(hdr, nonce, append(bytes.Clone(p.b), p.typ), hdr)
}

// resealApp decrypts what side sent under its application traffic secret
// (the records after the one holding its Finished), lets edit change it,
// and seals the result again from sequence 0, one record each, moving to
// the next secret after a record that ends with a KeyUpdate (RFC 8446,
// 7.2). The records take the places of the side's, in order; those left
// over follow its last.
func resealApp(t *testing.T, recs []rec, g *keylog.Log, side stream.Side, edit func([]innerRecord) []innerRecord) []rec {
	t.Helper()
	ch, err := decode.ParseHandshake(decode.HandshakeClientHello, recs[0].b[9:])
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := g.Lookup(ch.(*decode.ClientHello).Random)
	hsLabel, appLabel := keylog.LabelClientHandshakeTrafficSecret, keylog.LabelClientTrafficSecret0
	if side == stream.SideB {
		hsLabel, appLabel = keylog.LabelServerHandshakeTrafficSecret, keylog.LabelServerTrafficSecret0
	}
	var suite *tlscrypto.Suite
	var hsDec, appDec *tlscrypto.Decrypter
	first, handshake := -1, true
	var pts []innerRecord
	for i, r := range recs {
		if r.side == stream.SideB && r.b[0] == 22 && r.b[5] == byte(decode.HandshakeServerHello) {
			sh, err := decode.ParseHandshake(decode.HandshakeServerHello, r.b[9:])
			if err != nil {
				t.Fatal(err)
			}
			if suite, err = tlscrypto.LookupSuite(uint16(sh.(*decode.ServerHello).CipherSuite)); err != nil {
				t.Fatal(err)
			}
			hsDec, _ = tlscrypto.NewTLS13Decrypter(suite, sec.Secret(hsLabel))
			appDec, _ = tlscrypto.NewTLS13Decrypter(suite, sec.Secret(appLabel))
			continue
		}
		if r.side != side || r.b[0] != 23 || hsDec == nil {
			continue
		}
		if handshake {
			pt, _, err := hsDec.Decrypt(r.b[:5], r.b[5:])
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			handshake = !bytes.Contains(pt, []byte{byte(decode.HandshakeFinished), 0, 0, byte(suite.Hash.Size())})
			continue
		}
		pt, typ, err := appDec.Decrypt(r.b[:5], r.b[5:])
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if first < 0 {
			first = i
		}
		pts = append(pts, innerRecord{typ, pt})
	}
	if first < 0 {
		t.Fatal("no records under the application traffic secret")
	}
	secret, seq := sec.Secret(appLabel), uint64(0)
	var sealed []rec
	for _, p := range edit(pts) {
		sealed = append(sealed, rec{side, seal13(t, suite, secret, seq, p)})
		seq++
		if n := len(p.b); p.typ == 22 && n >= 5 && p.b[n-5] == byte(decode.HandshakeKeyUpdate) && p.b[n-4] == 0 && p.b[n-3] == 0 && p.b[n-2] == 1 {
			secret, seq = tlscrypto.NextTrafficSecret(suite.Hash, secret), 0
		}
	}
	var out []rec
	k := 0
	for i, r := range recs {
		if i < first || r.side != side || r.b[0] != 23 {
			out = append(out, r)
			continue
		}
		if k < len(sealed) {
			out = append(out, sealed[k])
		}
		if k++; k == len(pts) && k < len(sealed) {
			out = append(out, sealed[k:]...)
		}
	}
	return out
}

// runFollow feeds records to a tracker with keys and Options.Follow.
func runFollow(recs []rec, keys KeyStore) Result {
	col := NewCollector(Options{Keys: keys, Follow: true})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	for i, r := range recs {
		tr.Data(r.side, r.b, t0.Add(time.Duration(i+1)*time.Millisecond))
	}
	tr.Close(stream.EndFIN, t0.Add(time.Second))
	return col.Results()[0]
}

// hsMessage is a handshake message with its header.
func hsMessage(typ decode.HandshakeType, body []byte) []byte {
	return append([]byte{byte(typ), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

var (
	keyUpdate0 = hsMessage(decode.HandshakeKeyUpdate, []byte{0})
	// ticket13 is a TLS 1.3 NewSessionTicket: lifetime, age_add, a
	// one-byte nonce, a four-byte ticket, no extensions.
	ticket13 = hsMessage(decode.HandshakeNewSessionTicket, []byte{0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 0, 0, 4, 9, 9, 9, 9, 0, 0})
	// authRequest13 is a post-handshake CertificateRequest: a context,
	// signature_algorithms.
	authRequest13 = hsMessage(decode.HandshakeCertificateRequest, []byte{1, 0xaa, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3})
	// clientAuthCertificate13 is an empty post-handshake Certificate.
	clientAuthCertificate13 = hsMessage(decode.HandshakeCertificate, []byte{1, 0xaa, 0, 0, 0})
)

// prepend puts records before what a side sent under its application
// traffic secret.
func prepend(ps ...innerRecord) func([]innerRecord) []innerRecord {
	return func(old []innerRecord) []innerRecord { return append(ps, old...) }
}

// TestFollowKeyUpdate: with --follow, a server KeyUpdate is decrypted and
// listed, and its later records (data, close_notify) decrypt only with
// the next secret (RFC 8446, 7.2); without --follow the ladder stops at
// the verdict as it did.
func TestFollowKeyUpdate(t *testing.T) {
	recs, g := tls13Records(t)
	edited := resealApp(t, recs, g, stream.SideB, prepend(innerRecord{22, ticket13}, innerRecord{22, keyUpdate0}, innerRecord{22, ticket13}))
	r := runFollow(edited, g)
	if r.Outcome != OutcomeEstablished || len(r.Violations) > 0 {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	got := types(r)
	var server []string
	for _, m := range r.Messages {
		if m.From == Server && m.Decrypted {
			server = append(server, m.Type)
		}
	}
	if want := "encrypted_extensions certificate certificate_verify finished new_session_ticket key_update new_session_ticket alert"; strings.Join(server, " ") != want {
		t.Errorf("server's decrypted messages %v, want %s", server, want)
	}
	var alerts []string
	for _, a := range r.Alerts {
		alerts = append(alerts, string(a.From)+" "+a.Description.String())
	}
	sort.Strings(alerts)
	if strings.Join(alerts, ", ") != "client close_notify, server close_notify" {
		t.Errorf("alerts %v, want both close_notify named", alerts)
	}
	for _, m := range r.Messages {
		if m.Type == TypeApplicationData && m.From == Server {
			t.Errorf("server data listed after the verdict: %s", got)
		}
	}
	if plain := runRecords(edited, g); strings.Contains(types(plain), "key_update") || len(plain.Violations) > 0 {
		t.Errorf("without --follow: %s, violations %+v", types(plain), plain.Violations)
	}
}

// TestFollowOrder: what a side sends after its Finished against post13,
// each record sealed with the real keys.
func TestFollowOrder(t *testing.T) {
	recs, g := tls13Records(t)
	for _, tt := range []struct {
		name string
		side stream.Side
		add  []innerRecord
		from Role
		code Code
		got  string
	}{
		// The crypto/tls client offers no post_handshake_auth.
		{"certificate_request without post_handshake_auth", stream.SideB, []innerRecord{{22, authRequest13}},
			Server, CodeUnexpectedMessage, "certificate_request"},
		{"new_session_ticket from the client", stream.SideA, []innerRecord{{22, ticket13}},
			Client, CodeUnexpectedMessage, "new_session_ticket"},
		{"client certificate nobody asked for", stream.SideA, []innerRecord{{22, clientAuthCertificate13}},
			Client, CodeUnexpectedMessage, "certificate"},
		{"request_update 2", stream.SideB, []innerRecord{{22, hsMessage(decode.HandshakeKeyUpdate, []byte{2})}},
			Server, CodeMalformedHandshake, "key_update"},
		{"key_update of two bytes", stream.SideA, []innerRecord{{22, hsMessage(decode.HandshakeKeyUpdate, []byte{0, 0})}},
			Client, CodeMalformedHandshake, "key_update"},
		// Handshake messages MUST NOT span key changes (RFC 8446, 5.1).
		{"ticket after key_update in its record", stream.SideB, []innerRecord{{22, append(bytes.Clone(keyUpdate0), ticket13...)}},
			Server, CodeUnexpectedMessage, "handshake"},
		{"a second server finished", stream.SideB, []innerRecord{{22, hsMessage(decode.HandshakeFinished, make([]byte, 32))}},
			Server, CodeUnexpectedMessage, "finished"},
		{"encrypted_extensions after the handshake", stream.SideB, []innerRecord{{22, hsMessage(decode.HandshakeEncryptedExtensions, []byte{0, 0})}},
			Server, CodeUnexpectedMessage, "encrypted_extensions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runFollow(resealApp(t, recs, g, tt.side, prepend(tt.add...)), g)
			if r.Outcome != OutcomeViolation || len(r.Violations) == 0 {
				t.Fatalf("outcome %s, no violation: %s", r.Outcome, types(r))
			}
			if v := r.Violations[0]; v.Code != tt.code || v.From != tt.from || v.Got != tt.got {
				t.Errorf("violation %+v, want %s from %s got %s", v, tt.code, tt.from, tt.got)
			}
		})
	}
}

// TestKeyUpdateBeforeFinished: a KeyUpdate comes only after its sender's
// Finished (RFC 8446, 4.6.3).
func TestKeyUpdateBeforeFinished(t *testing.T) {
	recs, g := tls13Records(t)
	r := runRecords(resealServer(t, recs, g, func(m [][]byte) [][]byte {
		return append(m[:len(m)-1:len(m)-1], keyUpdate0, m[len(m)-1])
	}), g)
	if r.Outcome != OutcomeViolation || len(r.Violations) == 0 {
		t.Fatalf("outcome %s, no violation", r.Outcome)
	}
	if v := r.Violations[0]; v.Code != CodeUnexpectedMessage || v.From != Server || v.Got != "key_update" {
		t.Errorf("violation %+v, want unexpected_message from server got key_update", v)
	}
}

// TestFollowBounded: a server sending tickets without end adds at most
// maxFollowed entries to the ladder past the verdict, and is still
// checked.
func TestFollowBounded(t *testing.T) {
	recs, g := tls13Records(t)
	var many []innerRecord
	for i := 0; i < 3*maxFollowed; i++ {
		many = append(many, innerRecord{22, ticket13})
	}
	r := runFollow(resealApp(t, recs, g, stream.SideB, prepend(many...)), g)
	if r.Outcome != OutcomeEstablished || len(r.Violations) > 0 {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	// The client's data and alert take their places too.
	if n := strings.Count(types(r), "new_session_ticket"); n > maxFollowed+1 || n < maxFollowed-4 {
		t.Errorf("%d tickets listed, want about %d", n, maxFollowed)
	}
	more := append(many, innerRecord{22, authRequest13})
	if r := runFollow(resealApp(t, recs, g, stream.SideB, prepend(more...)), g); len(r.Violations) == 0 || r.Violations[0].Got != "certificate_request" {
		t.Errorf("past the bound: violations %+v, want the certificate_request", r.Violations)
	}
}

var followRecords struct {
	once sync.Once
	recs []rec
	keys *keylog.Log
}

// FuzzFollow seals arbitrary plaintext records with a real connection's
// application traffic keys, as one side's first words after its
// Finished, and follows the connection to its end: decrypted bytes reach
// the post-handshake parsers and post13, and give one known outcome,
// never a panic. Each chunk of data is a control byte (bit 0: server;
// bits 1-2: content type handshake, alert or application_data; bits 3-7:
// length/2) and its bytes.
func FuzzFollow(f *testing.F) {
	f.Add(append([]byte{1 | 0<<1 | byte(len(ticket13)/2)<<3}, ticket13...))
	f.Add(append(append([]byte{1 | byte(len(keyUpdate0)/2)<<3}, keyUpdate0...), append([]byte{1 | byte(len(ticket13)/2)<<3}, ticket13...)...))
	f.Add(append([]byte{1 | byte(len(authRequest13)/2)<<3}, authRequest13...))
	f.Add(append([]byte{0 | 1<<1 | 1<<3}, 1, 0))
	f.Fuzz(func(t *testing.T, input []byte) {
		data := input
		followRecords.once.Do(func() { followRecords.recs, followRecords.keys = tls13Records(t) })
		var add [2][]innerRecord
		for len(data) > 0 {
			ctl := data[0]
			n := min(int(ctl>>3)*2, len(data)-1)
			add[ctl&1] = append(add[ctl&1], innerRecord{[]byte{22, 21, 23, 22}[ctl>>1&3], data[1 : 1+n]})
			data = data[1+n:]
		}
		recs := followRecords.recs
		for s := range add {
			if len(add[s]) > 0 {
				recs = resealApp(t, recs, followRecords.keys, stream.Side(s), prepend(add[s]...))
			}
		}
		r := runFollow(recs, followRecords.keys)
		switch r.Outcome {
		case OutcomeViolation, OutcomeEstablished, OutcomeAlert:
		default:
			t.Fatalf("outcome %q", r.Outcome)
		}
		// Before the verdict every message is listed; after it, at most
		// maxFollowed more.
		if len(r.Messages) > 64+len(input)+maxFollowed {
			t.Fatalf("%d messages from %d bytes", len(r.Messages), len(input))
		}
	})
}

// captureRecords reads testdata/follow/NAME.txt, a capture's TCP payloads
// in wire order ("c HEX" or "s HEX" a line, from tshark's tcp.payload),
// as records, with NAME.keys: a real stack's connection for what
// crypto/tls does not do.
func captureRecords(t *testing.T, name string) ([]rec, *keylog.Log) {
	t.Helper()
	g := new(keylog.Log)
	if _, err := g.Load(filepath.Join("testdata", "follow", name+".keys")); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join("testdata", "follow", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	var bufs [2][]byte
	var out []rec
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		side := stream.SideA
		if line[0] == 's' {
			side = stream.SideB
		}
		b, err := hex.DecodeString(line[2:])
		if err != nil {
			t.Fatal(err)
		}
		bufs[side] = append(bufs[side], b...)
		for b := bufs[side]; len(b) >= 5 && len(b) >= 5+int(binary.BigEndian.Uint16(b[3:])); b = bufs[side] {
			n := 5 + int(binary.BigEndian.Uint16(b[3:]))
			out = append(out, rec{side, b[:n:n]})
			bufs[side] = b[n:]
		}
	}
	return out, g
}

// TestFollowPostHandshakeAuth: OpenSSL's post-handshake authentication
// (testdata/pcaps/40-tls13-keylog-pha.pcap, its TCP payloads) is legal
// and its client Finished verifies; the client's answer changed and
// sealed again with its real key is not.
func TestFollowPostHandshakeAuth(t *testing.T) {
	recs, g := captureRecords(t, "40-tls13-keylog-pha")
	r := runFollow(recs, g)
	if r.Outcome != OutcomeEstablished || len(r.Violations) > 0 || r.ClientCertificate != ClientCertSent {
		t.Fatalf("outcome %s client_certificate %q violations %+v", r.Outcome, r.ClientCertificate, r.Violations)
	}
	if want := "s:certificate_request c:certificate c:certificate_verify c:finished"; !strings.Contains(types(r), want) {
		t.Errorf("ladder %s, want %s in it", types(r), want)
	}
	// answer finds the client's answer, a record a message as OpenSSL
	// sends it.
	answer := func(ps []innerRecord) (int, [][]byte) {
		for i, p := range ps {
			if p.typ == 22 && p.b[0] == byte(decode.HandshakeCertificate) && i+2 < len(ps) {
				return i, [][]byte{p.b, ps[i+1].b, ps[i+2].b}
			}
		}
		t.Fatal("no client certificate")
		return 0, nil
	}
	for _, tt := range []struct {
		name string
		edit func(msgs [][]byte) [][]byte
		code Code
		got  string
	}{
		{"finished altered", func(m [][]byte) [][]byte {
			m[2] = bytes.Clone(m[2])
			m[2][len(m[2])-1] ^= 1
			return m
		}, CodeBadFinished, "finished"},
		{"no certificate_verify", func(m [][]byte) [][]byte { return [][]byte{m[0], m[2]} }, CodeMissingMessage, "finished"},
		{"another context", func(m [][]byte) [][]byte {
			m[0] = bytes.Clone(m[0])
			m[0][5] ^= 1 // the first byte of certificate_request_context
			return m
		}, CodeUnexpectedMessage, "certificate"},
		// The Finished covers the CertificateVerify too (RFC 8446, 4.4.4).
		{"certificate_verify altered", func(m [][]byte) [][]byte {
			m[1] = bytes.Clone(m[1])
			m[1][len(m[1])-1] ^= 1
			return m
		}, CodeBadFinished, "finished"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			edited := resealApp(t, recs, g, stream.SideA, func(ps []innerRecord) []innerRecord {
				i, msgs := answer(ps)
				if got := kindsOf(msgs); len(got) != 3 || got[2] != decode.HandshakeFinished {
					t.Fatalf("client's answer %v, want Certificate, CertificateVerify, Finished", got)
				}
				var out []innerRecord
				for _, m := range tt.edit(msgs) {
					out = append(out, innerRecord{22, m})
				}
				return append(append(append([]innerRecord(nil), ps[:i]...), out...), ps[i+3:]...)
			})
			r := runFollow(edited, g)
			if len(r.Violations) == 0 {
				t.Fatalf("outcome %s, no violation: %s", r.Outcome, types(r))
			}
			if v := r.Violations[0]; v.Code != tt.code || v.From != Client || v.Got != tt.got {
				t.Errorf("violation %+v, want %s from client got %s", v, tt.code, tt.got)
			}
		})
	}
}

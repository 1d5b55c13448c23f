package flows

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/tlscrypto"
	"golang.org/x/crypto/cryptobyte"
)

// A TLS 1.3 PSK handshake with 0-RTT, written record by record with
// secrets of the test's own, sealed with the keys a key log gives for
// them and each Finished computed over the transcript: crypto/tls sends no
// early data, and these tests need handshakes that break the 0-RTT rules.

// early13 says how the handshake goes.
type early13 struct {
	offer      bool // the ClientHello carries early_data
	early      int  // 0-RTT records the client sends after its ClientHello
	accept     bool // the EncryptedExtensions carries early_data
	eoed       bool // the client sends EndOfEarlyData before its Finished
	late       bool // the client's 0-RTT records come after the server's flight
	noKeyShare bool // psk_ke: no key_share in the ServerHello
	unlogged   bool // the key log lacks CLIENT_EARLY_TRAFFIC_SECRET
	serverCert bool // the server sends a Certificate, which a PSK forbids
	hrr        bool // the server answers with a HelloRetryRequest first
	full       bool // the server takes no PSK: a full handshake, certificate and all
	garbled    bool // after its 0-RTT records the client sends one under a key of no secret logged
	// endType and end, when end is set, replace the EndOfEarlyData
	// record's inner content type and content.
	endType byte
	end     []byte
}

// sealer seals TLS 1.3 records with one traffic secret (RFC 8446, 5.2).
type sealer struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

func newSealer(t *testing.T, s *tlscrypto.Suite, secret []byte) *sealer {
	key, iv := tlscrypto.TrafficKeys(s, secret)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &sealer{aead: aead, iv: iv}
}

func (s *sealer) seal(typ byte, content []byte) []byte {
	nonce := bytes.Clone(s.iv)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(s.seq >> (8 * i))
	}
	s.seq++
	n := len(content) + 1 + s.aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return s.aead.Seal(hdr, nonce, append(bytes.Clone(content), typ), hdr)
}

// handshakeMsg frames a handshake message: type, 24-bit length, body.
func handshakeMsg(typ decode.HandshakeType, body []byte) []byte {
	return append([]byte{byte(typ), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func plainRecord(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

// extension adds one extension with the body f writes.
func extension(b *cryptobyte.Builder, typ decode.ExtensionType, f func(*cryptobyte.Builder)) {
	b.AddUint16(uint16(typ))
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		if f != nil {
			f(b)
		}
	})
}

func (o early13) clientHello(random []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(random)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x1301); b.AddUint16(0x1302); b.AddUint16(0x1303) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		extension(b, decode.ExtSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x0304) })
		})
		extension(b, decode.ExtSupportedGroups, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(29) })
		})
		extension(b, decode.ExtSignatureAlgorithms, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x0804) })
		})
		extension(b, decode.ExtKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(29)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
			})
		})
		extension(b, decode.ExtPSKKeyExchangeModes, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0); b.AddUint8(1) })
		})
		if o.offer {
			extension(b, decode.ExtEarlyData, nil)
		}
		// pre_shared_key comes last (RFC 8446, 4.2.11).
		extension(b, decode.ExtPreSharedKey, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("ticket")) })
				b.AddUint32(1000)
			})
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
			})
		})
	})
	return handshakeMsg(decode.HandshakeClientHello, b.BytesOrPanic())
}

// helloRetryRequest asks for the group the ClientHello already offered:
// only the transcript matters here.
func helloRetryRequest() []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(hrrRandom)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
	b.AddUint16(0x1301)
	b.AddUint8(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		extension(b, decode.ExtSupportedVersions, func(b *cryptobyte.Builder) { b.AddUint16(0x0304) })
		extension(b, decode.ExtKeyShare, func(b *cryptobyte.Builder) { b.AddUint16(23) })
	})
	return handshakeMsg(decode.HandshakeServerHello, b.BytesOrPanic())
}

func (o early13) serverHello() []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(bytes.Repeat([]byte{7}, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
	b.AddUint16(0x1301)
	b.AddUint8(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		extension(b, decode.ExtSupportedVersions, func(b *cryptobyte.Builder) { b.AddUint16(0x0304) })
		if !o.noKeyShare {
			extension(b, decode.ExtKeyShare, func(b *cryptobyte.Builder) {
				b.AddUint16(29)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
			})
		}
		if !o.full {
			extension(b, decode.ExtPreSharedKey, func(b *cryptobyte.Builder) { b.AddUint16(0) })
		}
	})
	return handshakeMsg(decode.HandshakeServerHello, b.BytesOrPanic())
}

func (o early13) encryptedExtensions() []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		if o.accept {
			extension(b, decode.ExtEarlyData, nil)
		}
	})
	return handshakeMsg(decode.HandshakeEncryptedExtensions, b.BytesOrPanic())
}

// records writes the handshake and the key log of its secrets.
func (o early13) records(t *testing.T) ([]rec, *keylog.Log) {
	t.Helper()
	suite, err := tlscrypto.LookupSuite(0x1301)
	if err != nil {
		t.Fatal(err)
	}
	random := bytes.Repeat([]byte{0xc1}, 32)
	secret := func(i byte) []byte { return bytes.Repeat([]byte{i}, 32) }
	ets, chts, shts, cts, sts := secret(1), secret(2), secret(3), secret(4), secret(5)
	var kl strings.Builder
	for _, l := range []struct {
		label  string
		secret []byte
	}{
		{"CLIENT_EARLY_TRAFFIC_SECRET", ets}, {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", chts}, {"SERVER_HANDSHAKE_TRAFFIC_SECRET", shts},
		{"CLIENT_TRAFFIC_SECRET_0", cts}, {"SERVER_TRAFFIC_SECRET_0", sts},
	} {
		if l.label == "CLIENT_EARLY_TRAFFIC_SECRET" && o.unlogged {
			continue
		}
		fmt.Fprintf(&kl, "%s %s %s\n", l.label, hex.EncodeToString(random), hex.EncodeToString(l.secret))
	}
	g := new(keylog.Log)
	if _, err := g.Parse("test", strings.NewReader(kl.String())); err != nil {
		t.Fatal(err)
	}

	var tr tlscrypto.Transcript
	if err := tr.SetHash(suite.Hash); err != nil {
		t.Fatal(err)
	}
	ch, sh, ee := o.clientHello(random), o.serverHello(), o.encryptedExtensions()
	tr.Write(ch)
	var retry []rec
	if o.hrr {
		// The second ClientHello offers no early_data (RFC 8446, 4.2.10),
		// and the transcript restarts from message_hash (4.4.1).
		hrr, ch2 := helloRetryRequest(), early13{}.clientHello(random)
		if err := tr.HelloRetryRequest(); err != nil {
			t.Fatal(err)
		}
		tr.Write(hrr)
		tr.Write(ch2)
		retry = []rec{{stream.SideB, plainRecord(22, hrr)}, {stream.SideA, plainRecord(22, ch2)}}
	}
	tr.Write(sh)
	tr.Write(ee)
	// An empty certificate_list: enough for the order (RFC 8446, 4.4.2).
	cert := handshakeMsg(decode.HandshakeCertificate, []byte{0, 0, 0, 0})
	// ecdsa_secp256r1_sha256 and a signature nobody checks.
	cv := handshakeMsg(decode.HandshakeCertificateVerify, []byte{4, 3, 0, 2, 0, 0})
	if o.serverCert || o.full {
		tr.Write(cert)
	}
	if o.full {
		tr.Write(cv)
	}
	sfin := handshakeMsg(decode.HandshakeFinished, tlscrypto.FinishedVerifyData13(suite.Hash, shts, tr.Sum()))
	tr.Write(sfin)
	eoed := handshakeMsg(decode.HandshakeEndOfEarlyData, nil)
	if o.eoed {
		tr.Write(eoed)
	}
	cfin := handshakeMsg(decode.HandshakeFinished, tlscrypto.FinishedVerifyData13(suite.Hash, chts, tr.Sum()))

	early, server := newSealer(t, suite, ets), newSealer(t, suite, shts)
	var zeroRTT []rec
	for i := 0; i < o.early; i++ {
		zeroRTT = append(zeroRTT, rec{stream.SideA, early.seal(23, []byte("GET / HTTP/1.1\r\n\r\n"))})
	}
	if o.garbled {
		zeroRTT = append(zeroRTT, rec{stream.SideA, newSealer(t, suite, secret(9)).seal(23, []byte("?"))})
	}
	recs := []rec{{stream.SideA, plainRecord(22, ch)}}
	if !o.late {
		recs = append(recs, zeroRTT...)
	}
	recs = append(recs, retry...)
	recs = append(recs, rec{stream.SideB, plainRecord(22, sh)}, rec{stream.SideB, server.seal(22, ee)})
	if o.serverCert || o.full {
		recs = append(recs, rec{stream.SideB, server.seal(22, cert)})
	}
	if o.full {
		recs = append(recs, rec{stream.SideB, server.seal(22, cv)})
	}
	recs = append(recs, rec{stream.SideB, server.seal(22, sfin)})
	if o.late {
		recs = append(recs, zeroRTT...)
	}
	switch {
	case o.end != nil:
		recs = append(recs, rec{stream.SideA, early.seal(o.endType, o.end)})
	case o.eoed:
		recs = append(recs, rec{stream.SideA, early.seal(22, eoed)})
	}
	recs = append(recs,
		rec{stream.SideA, newSealer(t, suite, chts).seal(22, cfin)},
		rec{stream.SideB, newSealer(t, suite, sts).seal(23, []byte("HTTP/1.1 200 OK\r\n\r\n"))})
	return recs, g
}

// ladder13 spells the ladder with * for decrypted and ^ for 0-RTT.
func ladder13(r Result) string {
	var out []string
	for _, m := range r.Messages {
		s := string(m.From[0]) + ":" + m.Type
		if m.Decrypted {
			s += "*"
		}
		if m.EarlyData {
			s += "^"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestEarlyData: 0-RTT read with the early traffic secret, accepted and
// rejected, and the rules of RFC 8446, 4.2.10 and 4.5 on EndOfEarlyData.
func TestEarlyData(t *testing.T) {
	const hello = "c:client_hello "
	const flight = "s:server_hello s:encrypted_extensions* s:finished* "
	const end = "c:finished* s:application_data*"
	for _, tt := range []struct {
		name      string
		o         early13
		outcome   Outcome
		earlyData string
		ladder    string
		code      Code // the first violation's, by the client
		got       string
		expected  string // its expected list, space separated
	}{
		{"accepted", early13{offer: true, early: 2, accept: true, eoed: true}, OutcomeEstablished, EarlyDataAccepted,
			hello + "c:application_data*^ c:application_data*^ " + flight + "c:end_of_early_data*^ " + end, "", "", ""},
		{"accepted psk_ke", early13{offer: true, early: 1, accept: true, eoed: true, noKeyShare: true}, OutcomeEstablished, EarlyDataAccepted,
			hello + "c:application_data*^ " + flight + "c:end_of_early_data*^ " + end, "", "", ""},
		// The client's 0-RTT still in flight when the server's flight
		// arrives, read in capture order.
		{"accepted late", early13{offer: true, early: 1, accept: true, eoed: true, late: true}, OutcomeEstablished, EarlyDataAccepted,
			hello + flight + "c:application_data*^ c:end_of_early_data*^ " + end, "", "", ""},
		{"accepted without end_of_early_data", early13{offer: true, early: 1, accept: true}, OutcomeViolation, EarlyDataAccepted,
			hello + "c:application_data*^ " + flight + "c:finished* s:application_data*", CodeMissingMessage, "finished", "end_of_early_data"},
		// Without the early key the EndOfEarlyData cannot be read: the
		// client's Finished is taken unverified, not bad_finished.
		{"accepted unlogged", early13{offer: true, early: 1, accept: true, eoed: true, unlogged: true}, OutcomeEstablished, EarlyDataAccepted,
			hello + "c:encrypted^ " + flight + "c:encrypted^ " + end, "", "", ""},
		// Accepted, the early key opened the client's 0-RTT: a record
		// that neither key opens is bad_record_mac; rejected, it is one
		// more the server skips.
		{"accepted garbled", early13{offer: true, early: 1, accept: true, eoed: true, late: true, garbled: true}, OutcomeViolation, EarlyDataAccepted,
			hello + flight + "c:application_data*^ c:encrypted s:application_data*", CodeBadRecordMAC, "encrypted", ""},
		{"rejected garbled", early13{offer: true, early: 1, late: true, garbled: true}, OutcomeEstablished, EarlyDataRejected,
			hello + flight + "c:application_data*^ c:encrypted^ " + end, "", "", ""},
		{"rejected", early13{offer: true, early: 2}, OutcomeEstablished, EarlyDataRejected,
			hello + "c:application_data*^ c:application_data*^ " + flight + end, "", "", ""},
		{"rejected with end_of_early_data", early13{offer: true, early: 1, eoed: true}, OutcomeViolation, EarlyDataRejected,
			hello + "c:application_data*^ " + flight + "c:end_of_early_data*^ s:application_data*", CodeUnexpectedMessage, "end_of_early_data", "change_cipher_spec finished"},
		// The server skips what its handshake key does not open, and so
		// does the observer: not bad_record_mac, not wrong keys.
		{"rejected unlogged late", early13{offer: true, early: 2, late: true, unlogged: true}, OutcomeEstablished, EarlyDataRejected,
			hello + flight + "c:encrypted^ c:encrypted^ " + end, "", "", ""},
		// Only early data and EndOfEarlyData travel under the early key
		// (RFC 8446, 2.3), and EndOfEarlyData is empty (4.5).
		{"finished under the early key", early13{offer: true, early: 1, accept: true, endType: 22, end: handshakeMsg(decode.HandshakeFinished, make([]byte, 32))},
			OutcomeViolation, EarlyDataAccepted, hello + "c:application_data*^ " + flight + "c:finished*^ s:application_data*", CodeUnexpectedMessage, "finished", ""},
		{"end_of_early_data with a body", early13{offer: true, early: 1, accept: true, endType: 22, end: handshakeMsg(decode.HandshakeEndOfEarlyData, []byte{0})},
			OutcomeViolation, EarlyDataAccepted, hello + "c:application_data*^ " + flight + "s:application_data*", CodeMalformedHandshake, "end_of_early_data", ""},
		// A HelloRetryRequest rejects 0-RTT (RFC 8446, 4.2.10).
		{"rejected by a hello_retry_request", early13{offer: true, early: 1, hrr: true}, OutcomeEstablished, EarlyDataRejected,
			hello + "c:application_data*^ s:hello_retry_request c:client_hello " + flight + end, "", "", ""},
		{"hello_retry_request then end_of_early_data", early13{offer: true, early: 1, hrr: true, eoed: true}, OutcomeViolation, EarlyDataRejected,
			hello + "c:application_data*^ s:hello_retry_request c:client_hello " + flight + "c:end_of_early_data*^ s:application_data*", CodeUnexpectedMessage, "end_of_early_data", "change_cipher_spec finished"},
		// The server takes no PSK, and with it no 0-RTT.
		{"rejected with the psk", early13{offer: true, early: 1, full: true}, OutcomeEstablished, EarlyDataRejected,
			hello + "c:application_data*^ s:server_hello s:encrypted_extensions* s:certificate* s:certificate_verify* s:finished* " + end, "", "", ""},
		{"not offered", early13{early: 1}, OutcomeViolation, "",
			hello + "c:application_data " + flight + "s:application_data*", CodeApplicationDataBeforeFinished, "application_data", "change_cipher_spec"},
		{"none", early13{offer: true, accept: false}, OutcomeEstablished, EarlyDataRejected, hello + flight + end, "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, g := tt.o.records(t)
			r := runRecords(recs, g)
			if r.Outcome != tt.outcome || r.Keys != KeysFound || r.Resumed == tt.o.full || r.EarlyData != tt.earlyData {
				t.Errorf("outcome %s keys %q resumed %v early_data %q, want %s found %v %q", r.Outcome, r.Keys, r.Resumed, r.EarlyData, tt.outcome, !tt.o.full, tt.earlyData)
			}
			if got := ladder13(r); got != tt.ladder {
				t.Errorf("ladder\n got %s\nwant %s", got, tt.ladder)
			}
			switch {
			case tt.code == "" && len(r.Violations) > 0:
				t.Errorf("violations %+v", r.Violations)
			case tt.code != "" && (len(r.Violations) == 0 || r.Violations[0].Code != tt.code || r.Violations[0].From != Client ||
				r.Violations[0].Got != tt.got || strings.Join(r.Violations[0].Expected, " ") != tt.expected):
				t.Errorf("violations %+v, want %s by client, got %s, expected %s", r.Violations, tt.code, tt.got, tt.expected)
			case tt.code != "" && !strings.Contains(r.Violations[0].Detail, "RFC 8446"):
				t.Errorf("violation detail %q cites no section of RFC 8446", r.Violations[0].Detail)
			}
		})
	}
}

// TestPSKForbidsServerCertificate: a server that a PSK authenticates sends
// no Certificate (RFC 8446, 4.4.2); the one here does.
func TestPSKForbidsServerCertificate(t *testing.T) {
	recs, g := early13{serverCert: true}.records(t)
	r := runRecords(recs, g)
	if r.Outcome != OutcomeViolation || len(r.Violations) == 0 {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	if v := r.Violations[0]; v.Code != CodeUnexpectedMessage || v.From != Server || v.Got != "certificate" {
		t.Errorf("violation %+v, want unexpected_message by server, got certificate", v)
	}
}

// TestEarlyMangled: any content of any inner type sealed under the
// client's early traffic key in place of its EndOfEarlyData gives a
// verdict, and no panic.
func TestEarlyMangled(t *testing.T) {
	rnd := rand.New(rand.NewSource(8446))
	for i := 0; i < 300; i++ {
		end := make([]byte, rnd.Intn(12))
		rnd.Read(end)
		if len(end) > 0 && i%2 == 0 {
			end[0] = byte(decode.HandshakeEndOfEarlyData)
		}
		typ := []byte{20, 21, 22, 23, 24, 0}[rnd.Intn(6)]
		recs, g := early13{offer: true, early: 1, accept: i%3 != 0, end: end, endType: typ}.records(t)
		if r := runRecords(recs, g); r.Outcome == "" {
			t.Fatalf("iteration %d: no outcome", i)
		}
	}
}

// TestEarlyDataKeysGrow: live, the key log may have no early secret yet
// when the ClientHello is read; with Options.KeysGrow the first 0-RTT
// record looks again, and finds it.
func TestEarlyDataKeysGrow(t *testing.T) {
	recs, g := early13{offer: true, early: 1, accept: true, eoed: true}.records(t)
	for _, grow := range []bool{true, false} {
		col := NewCollector(Options{Keys: &lateStore{log: g}, KeysGrow: grow})
		tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
		for i, r := range recs {
			tr.Data(r.side, r.b, t0.Add(time.Duration(i+1)*time.Millisecond))
		}
		tr.Close(stream.EndFIN, t0.Add(time.Second))
		r := col.Results()[0]
		early := "c:application_data*^"
		if !grow {
			early = "c:encrypted^" // and the Finished unverified
		}
		if r.Outcome != OutcomeEstablished || len(r.Violations) > 0 || !strings.HasPrefix(ladder13(r), "c:client_hello "+early+" ") {
			t.Errorf("grow %v: outcome %s violations %+v ladder %s, want established, none, %s", grow, r.Outcome, r.Violations, ladder13(r), early)
		}
	}
}

package tlscrypto

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/hkdf"
)

// loadVectors reads a testdata file of "name = hex" entries, indented lines
// continuing the previous one, # comments.
func loadVectors(t testing.TB, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text := make(map[string]string)
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case line[0] == ' ':
			text[last] += line
		default:
			name, val, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: bad line %q", path, line)
			}
			last = strings.TrimSpace(name)
			text[last] = val
		}
	}
	out := make(map[string][]byte)
	for k, v := range text {
		b, err := hex.DecodeString(strings.Join(strings.Fields(v), ""))
		if err != nil {
			t.Fatalf("%s: %s: %v", path, k, err)
		}
		out[k] = b
	}
	return out
}

// splitHandshake cuts a plaintext into whole handshake messages.
func splitHandshake(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("truncated handshake header")
		}
		n := 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		if n > len(b) {
			t.Fatalf("truncated handshake message")
		}
		msgs = append(msgs, b[:n])
		b = b[n:]
	}
	return msgs
}

func checkHex(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %x, want %x", what, got, want)
	}
}

// TestRFC8448Simple1RTT runs RFC 8448 Section 3: the key schedule, the
// server's encrypted flight, both Finished, and application data.
func TestRFC8448Simple1RTT(t *testing.T) {
	v := loadVectors(t, "testdata/rfc8448.txt")
	s, err := LookupSuite(0x1301)
	if err != nil {
		t.Fatal(err)
	}
	h := crypto.SHA256

	early := EarlySecret(h, nil)
	checkHex(t, "early secret", early, v["early_secret"])
	hs := HandshakeSecret(h, early, v["ecdhe"])
	checkHex(t, "handshake secret", hs, v["handshake_secret"])

	// The transcript starts before ServerHello names the hash.
	var tr Transcript
	tr.Write(v["client_hello"])
	tr.Write(v["server_hello"])
	if tr.Sum() != nil {
		t.Fatal("Sum before SetHash is not nil")
	}
	if err := tr.SetHash(s.Hash); err != nil {
		t.Fatal(err)
	}
	checkHex(t, "hello hash", tr.Sum(), v["hello_hash"])
	cHS := DeriveSecret(h, hs, LabelClientHandshake, tr.Sum())
	sHS := DeriveSecret(h, hs, LabelServerHandshake, tr.Sum())
	checkHex(t, "c hs traffic", cHS, v["c_hs_traffic"])
	checkHex(t, "s hs traffic", sHS, v["s_hs_traffic"])
	master := MasterSecret(h, hs)
	checkHex(t, "master secret", master, v["master_secret"])
	key, iv := TrafficKeys(s, sHS)
	checkHex(t, "server handshake key", key, v["s_hs_key"])
	checkHex(t, "server handshake iv", iv, v["s_hs_iv"])
	key, iv = TrafficKeys(s, cHS)
	checkHex(t, "client handshake key", key, v["c_hs_key"])
	checkHex(t, "client handshake iv", iv, v["c_hs_iv"])
	checkHex(t, "server finished_key", FinishedKey(h, sHS), v["s_finished_key"])

	// The server's flight: one record, four messages, Finished last.
	sd, err := NewTLS13Decrypter(s, sHS)
	if err != nil {
		t.Fatal(err)
	}
	rec := v["server_flight_record"]
	plain, typ, err := sd.Decrypt(rec[:5], rec[5:])
	if err != nil {
		t.Fatalf("server flight: %v", err)
	}
	if typ != 22 || sd.Seq() != 1 {
		t.Fatalf("server flight: type %d, next seq %d; want 22, 1", typ, sd.Seq())
	}
	msgs := splitHandshake(t, plain)
	wantTypes := []byte{8, 11, 15, 20}
	if len(msgs) != len(wantTypes) {
		t.Fatalf("server flight has %d messages, want %d", len(msgs), len(wantTypes))
	}
	for i, m := range msgs[:3] {
		if m[0] != wantTypes[i] {
			t.Errorf("message %d has type %d, want %d", i, m[0], wantTypes[i])
		}
		tr.Write(m)
	}
	fin := msgs[3]
	checkHex(t, "server Finished in the record", fin[4:], v["s_finished"])
	checkHex(t, "server verify_data", FinishedVerifyData13(h, sHS, tr.Sum()), fin[4:])
	tr.Write(fin)
	checkHex(t, "transcript through server Finished", tr.Sum(), v["server_finished_hash"])
	cAP := DeriveSecret(h, master, LabelClientApplication, tr.Sum())
	sAP := DeriveSecret(h, master, LabelServerApplication, tr.Sum())
	checkHex(t, "c ap traffic", cAP, v["c_ap_traffic"])
	checkHex(t, "s ap traffic", sAP, v["s_ap_traffic"])

	cd, err := NewTLS13Decrypter(s, cHS)
	if err != nil {
		t.Fatal(err)
	}
	rec = v["client_finished_record"]
	plain, typ, err = cd.Decrypt(rec[:5], rec[5:])
	if err != nil || typ != 22 {
		t.Fatalf("client Finished: type %d, %v", typ, err)
	}
	checkHex(t, "client Finished in the record", plain[4:], v["c_finished"])
	checkHex(t, "client verify_data", FinishedVerifyData13(h, cHS, tr.Sum()), plain[4:])
	tr.Write(plain)
	checkHex(t, "res master", DeriveSecret(h, master, LabelResumptionMaster, tr.Sum()), v["res_master"])

	payload := make([]byte, 50)
	for i := range payload {
		payload[i] = byte(i)
	}
	key, iv = TrafficKeys(s, cAP)
	checkHex(t, "client application key", key, v["c_ap_key"])
	checkHex(t, "client application iv", iv, v["c_ap_iv"])
	cd, _ = NewTLS13Decrypter(s, cAP)
	rec = v["client_app_record"]
	plain, typ, err = cd.Decrypt(rec[:5], rec[5:])
	if err != nil || typ != 23 {
		t.Fatalf("client application data: type %d, %v", typ, err)
	}
	checkHex(t, "client application data", plain, payload)

	key, iv = TrafficKeys(s, sAP)
	checkHex(t, "server application key", key, v["s_ap_key"])
	checkHex(t, "server application iv", iv, v["s_ap_iv"])
	sd, _ = NewTLS13Decrypter(s, sAP)
	rec = v["server_app_record"]
	// Sequence 0 was the server's NewSessionTicket: at 0 the nonce is wrong.
	if _, _, err := sd.Decrypt(rec[:5], rec[5:]); !errors.Is(err, ErrBadRecordMAC) {
		t.Fatalf("server application data at seq 0: %v, want ErrBadRecordMAC", err)
	}
	sd.seq = 1
	plain, typ, err = sd.Decrypt(rec[:5], rec[5:])
	if err != nil || typ != 23 {
		t.Fatalf("server application data: type %d, %v", typ, err)
	}
	checkHex(t, "server application data", plain, payload)
}

// TestRFC8448Resumed0RTT runs RFC 8448 Section 4 as far as this package
// reaches: the PSK from the ticket, the early secret, the binder, and the
// 0-RTT record under client_early_traffic_secret.
func TestRFC8448Resumed0RTT(t *testing.T) {
	v := loadVectors(t, "testdata/rfc8448.txt")
	s, _ := LookupSuite(0x1301)
	h := s.Hash

	psk := ResumptionPSK(h, v["res_master"], v["ticket_nonce"])
	checkHex(t, "resumption PSK", psk, v["resumption_psk"])
	early := EarlySecret(h, psk)
	checkHex(t, "early secret", early, v["resumed_early_secret"])
	binderKey := DeriveSecret(h, early, LabelResumptionBinder, emptyHash(h))
	checkHex(t, "binder key", binderKey, v["binder_key"])
	checkHex(t, "binder", FinishedVerifyData13(h, binderKey, v["binder_hash"]), v["binder"])

	cET := DeriveSecret(h, early, LabelClientEarly, v["resumed_client_hello_hash"])
	checkHex(t, "c e traffic", cET, v["c_e_traffic"])
	key, iv := TrafficKeys(s, cET)
	checkHex(t, "early key", key, v["c_e_key"])
	checkHex(t, "early iv", iv, v["c_e_iv"])
	d, err := NewTLS13Decrypter(s, cET)
	if err != nil {
		t.Fatal(err)
	}
	rec := v["early_data_record"]
	plain, typ, err := d.Decrypt(rec[:5], rec[5:])
	if err != nil || typ != 23 || string(plain) != "ABCDEF" {
		t.Fatalf("early data: %q type %d, %v; want \"ABCDEF\" type 23", plain, typ, err)
	}
}

// TestRFC8448FlippedBit shows the known answers are checked: any changed
// byte of a record, header included, is a bad_record_mac.
func TestRFC8448FlippedBit(t *testing.T) {
	v := loadVectors(t, "testdata/rfc8448.txt")
	s, _ := LookupSuite(0x1301)
	rec := v["client_finished_record"]
	for _, i := range []int{2, 4, 5, 20, len(rec) - 1} {
		bad := append([]byte(nil), rec...)
		bad[i] ^= 0x01
		if i == 4 {
			// The length drops by one: keep header and fragment consistent.
			bad = bad[:len(bad)-1]
		}
		d, _ := NewTLS13Decrypter(s, v["c_hs_traffic"])
		if _, _, err := d.Decrypt(bad[:5], bad[5:]); !errors.Is(err, ErrBadRecordMAC) {
			t.Errorf("byte %d flipped: %v, want ErrBadRecordMAC", i, err)
		}
		if d.Seq() != 0 {
			t.Errorf("byte %d flipped: sequence moved to %d", i, d.Seq())
		}
	}
}

// TestHKDFExpandLabelAnyLength: the one-block shortcut and the general
// expansion give RFC 5869's output for every length, each hash.
func TestHKDFExpandLabelAnyLength(t *testing.T) {
	secret := bytes.Repeat([]byte{0x5a}, 48)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		for n := 1; n <= 3*h.Size(); n++ {
			info := append([]byte{byte(n >> 8), byte(n), 6 + 3}, "tls13 key"...)
			info = append(info, 2, 0xc0, 0xde)
			want := make([]byte, n)
			if _, err := hkdf.Expand(h.New, secret, info).Read(want); err != nil {
				t.Fatal(err)
			}
			if got := HKDFExpandLabel(h, secret, "key", []byte{0xc0, 0xde}, n); !bytes.Equal(got, want) {
				t.Fatalf("%v, %d bytes: %x, want %x", h, n, got, want)
			}
		}
	}
}

// BenchmarkHKDFExpandLabel is one traffic key's derivation, of which a
// keyed TLS 1.3 connection makes about ten (hmac.go).
func BenchmarkHKDFExpandLabel(b *testing.B) {
	secret := make([]byte, 32)
	for b.Loop() {
		HKDFExpandLabel(crypto.SHA256, secret, "key", nil, 16)
	}
}

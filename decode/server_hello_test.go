package decode

import (
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

func TestServerHelloTLS12Fixture(t *testing.T) {
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls12_full.server", true}))
	if sh.Version() != VersionTLS12 || sh.SupportedVersion != 0 || sh.HelloRetryRequest {
		t.Errorf("Version %s, SupportedVersion %s, HRR %v", sh.Version(), sh.SupportedVersion, sh.HelloRetryRequest)
	}
	if sh.CipherSuite != 0xc02f && sh.CipherSuite != 0xc030 {
		t.Errorf("CipherSuite %s, want one the client offered", sh.CipherSuite)
	}
	if sh.ALPN != "h2" || !sh.SessionTicket || !sh.StatusRequest || !sh.ExtendedMasterSecret || !sh.RenegotiationInfo {
		t.Errorf("fields: %+v", sh)
	}
}

func TestServerHelloResumedFixture(t *testing.T) {
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"tls12_resumed.client", true}))
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls12_resumed.server", true}))
	// RFC 5077, Section 3.4: a server accepting a ticket echoes the
	// client's session ID.
	if string(sh.SessionID) != string(ch.SessionID) || len(sh.SessionID) == 0 {
		t.Errorf("session IDs: client %x, server %x", ch.SessionID, sh.SessionID)
	}
}

func TestServerHelloTLS13AndHRRFixtures(t *testing.T) {
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls13_full.server", false}))
	if sh.Version() != VersionTLS13 || sh.LegacyVersion != VersionTLS12 || sh.KeyShareGroup != 4588 || sh.HelloRetryRequest {
		t.Errorf("TLS 1.3 hello: %s legacy %s group %s HRR %v", sh.Version(), sh.LegacyVersion, sh.KeyShareGroup, sh.HelloRetryRequest)
	}

	var hellos []*ServerHello
	for _, ev := range mustDecode(t, fixture{"tls13_hrr.server", false}) {
		if m, ok := ev.Message.(*ServerHello); ok {
			hellos = append(hellos, m)
		}
	}
	if len(hellos) != 2 {
		t.Fatalf("%d ServerHellos, want HRR and ServerHello", len(hellos))
	}
	hrr, real := hellos[0], hellos[1]
	if !hrr.HelloRetryRequest || hrr.Type() != HandshakeServerHello || hrr.Random != helloRetryRequestRandom {
		t.Errorf("first hello is not a HelloRetryRequest: %+v", hrr)
	}
	// The client shared X25519; the server insists on secp256r1.
	if hrr.KeyShareGroup != 23 || hrr.Version() != VersionTLS13 {
		t.Errorf("HRR group %s version %s", hrr.KeyShareGroup, hrr.Version())
	}
	if real.HelloRetryRequest || real.KeyShareGroup != 23 {
		t.Errorf("second hello: HRR %v group %s", real.HelloRetryRequest, real.KeyShareGroup)
	}
	chs := []*ClientHello{}
	for _, ev := range mustDecode(t, fixture{"tls13_hrr.client", false}) {
		if m, ok := ev.Message.(*ClientHello); ok {
			chs = append(chs, m)
		}
	}
	if len(chs) != 2 || len(chs[1].KeyShares) != 1 || chs[1].KeyShares[0].Group != 23 {
		t.Errorf("second ClientHello should share secp256r1 only: %+v", chs)
	}
}

// buildServerHello builds a ServerHello body with the given random and
// extensions.
func buildServerHello(random [32]byte, exts []ext) []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
	b.AddUint16(0x1301)
	b.AddUint8(0)
	if exts != nil {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	}
	return b.BytesOrPanic()
}

func TestServerHelloExtensions(t *testing.T) {
	m, err := parseServerHello(buildServerHello([32]byte{1}, []ext{
		{uint16(ExtSupportedVersions), u16(0x0304)},
		{uint16(ExtKeyShare), cat(u16(29), pre16(make([]byte, 32)))},
		{uint16(ExtPreSharedKey), u16(2)},
		{uint16(ExtEncryptThenMAC), nil},
		{uint16(ExtServerName), nil},
	}))
	if err != nil {
		t.Fatal(err)
	}
	sh := m.(*ServerHello)
	if sh.Version() != VersionTLS13 || sh.KeyShareGroup != 29 || !sh.PreSharedKey || sh.SelectedIdentity != 2 ||
		!sh.EncryptThenMAC || len(sh.Extensions) != 5 {
		t.Errorf("fields: %+v", sh)
	}
	// A HelloRetryRequest's key_share is the group alone.
	m, err = parseServerHello(buildServerHello(helloRetryRequestRandom, []ext{
		{uint16(ExtKeyShare), u16(24)}, {uint16(ExtCookie), pre16([]byte{9})},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if hrr := m.(*ServerHello); !hrr.HelloRetryRequest || hrr.KeyShareGroup != 24 || !hrr.Cookie {
		t.Errorf("HRR fields: %+v", hrr)
	}
}

func TestServerHelloMalformed(t *testing.T) {
	hrr := helloRetryRequestRandom
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"no compression byte", buildServerHello([32]byte{}, nil)[:37]},
		{"two ALPN protocols", buildServerHello([32]byte{}, []ext{{uint16(ExtALPN), pre16(cat(pre8([]byte("h2")), pre8([]byte("x"))))}})},
		{"key_share group only outside HRR", buildServerHello([32]byte{}, []ext{{uint16(ExtKeyShare), u16(29)}})},
		{"key_share with key in HRR", buildServerHello(hrr, []ext{{uint16(ExtKeyShare), cat(u16(29), pre16([]byte{1}))}})},
		{"supported_versions list form", buildServerHello([32]byte{}, []ext{{uint16(ExtSupportedVersions), pre8(u16(0x0304))}})},
		{"session_ticket with data", buildServerHello([32]byte{}, []ext{{uint16(ExtSessionTicket), []byte{1}}})},
		{"duplicate", buildServerHello([32]byte{}, []ext{{uint16(ExtExtendedMasterSecret), nil}, {uint16(ExtExtendedMasterSecret), nil}})},
		{"trailing", append(buildServerHello([32]byte{}, []ext{}), 0)},
		{"session id of 33", cat([]byte{3, 3}, make([]byte, 32), pre8(make([]byte, 33)), u16(0x1301), []byte{0})},
	}
	for _, tt := range tests {
		_, err := ParseHandshake(HandshakeServerHello, tt.body)
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeMalformedHandshake {
			t.Errorf("%s: err = %v, want malformed_handshake", tt.name, err)
		}
	}
}

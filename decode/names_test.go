package decode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{VersionSSL30.String(), "SSL 3.0"},
		{VersionTLS10.String(), "TLS 1.0"},
		{VersionTLS11.String(), "TLS 1.1"},
		{VersionTLS12.String(), "TLS 1.2"},
		{VersionTLS13.String(), "TLS 1.3"},
		{VersionSSL20.String(), "SSL 2.0"},
		{Version(0x7f1c).String(), "TLS 1.3 (draft 28)"},
		{Version(0xfb1a).String(), "TLS 1.3 (Facebook draft 26)"},
		{Version(0xfb17).String(), "TLS 1.3 (Facebook draft 23)"},
		{Version(0xfb18).String(), "0xfb18"},
		{Version(0x7e01).String(), "0x7e01"},
		{ExtensionType(40).String(), "key_share_old"},
		{Version(0x3a3a).String(), "GREASE_0x3a3a"},
		{Version(0xfefd).String(), "DTLS 1.2"},
		{CipherSuite(0xc02f).String(), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{CipherSuite(0x1301).String(), "TLS_AES_128_GCM_SHA256"},
		{CipherSuite(0x00ff).String(), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
		{CipherSuite(0x5600).String(), "TLS_FALLBACK_SCSV"},
		{CipherSuite(0xcca8).String(), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{CipherSuite(0x0a0a).String(), "GREASE_0x0a0a"},
		{CipherSuite(0x1308).String(), "0x1308"},
		{ExtensionType(0).String(), "server_name"},
		{ExtensionType(10).String(), "supported_groups"},
		{ExtensionType(16).String(), "application_layer_protocol_negotiation"},
		{ExtensionType(35).String(), "session_ticket"},
		{ExtensionType(51).String(), "key_share"},
		{ExtensionType(53).String(), "connection_id_deprecated"},
		{ExtensionType(65037).String(), "encrypted_client_hello"},
		{ExtensionType(65281).String(), "renegotiation_info"},
		{ExtensionType(0x0a0a).String(), "GREASE_0x0a0a"},
		{ExtensionType(0xfafa).String(), "GREASE_0xfafa"},
		{ExtensionType(17513).String(), "application_settings_old"},
		{ExtensionType(17613).String(), "application_settings"},
		{ExtensionType(13172).String(), "next_protocol_negotiation"},
		{ExtensionType(65486).String(), "encrypted_server_name"},
		{ExtensionType(28).String(), "record_size_limit"},
		{ExtensionType(27).String(), "compress_certificate"},
		{ExtensionType(4660).String(), "unknown_4660"},
		{NamedGroup(29).String(), "x25519"},
		{NamedGroup(23).String(), "secp256r1"},
		{NamedGroup(4588).String(), "X25519MLKEM768"},
		{NamedGroup(25497).String(), "X25519Kyber768Draft00"},
		{NamedGroup(256).String(), "ffdhe2048"},
		{NamedGroup(0x0a0a).String(), "GREASE_0x0a0a"},
		{SignatureScheme(0x0804).String(), "rsa_pss_rsae_sha256"},
		{SignatureScheme(0x0403).String(), "ecdsa_secp256r1_sha256"},
		{SignatureScheme(0x0201).String(), "rsa_pkcs1_sha1"},
		{SignatureScheme(0x0807).String(), "ed25519"},
		{SignatureScheme(0x0202).String(), "dsa_sha1"},
		{SignatureScheme(0x0303).String(), "ecdsa_sha224"},
		{SignatureScheme(0x0402).String(), "dsa_sha256"},
		{SignatureScheme(0x0101).String(), "rsa_md5"},
		{SignatureScheme(0x0a01).String(), "0x0a01"},
		{SignatureScheme(0x0809).String(), "rsa_pss_pss_sha256"},
		{SignatureScheme(0x0840).String(), "0x0840"},
		{AlertLevel(1).String(), "warning"},
		{AlertLevel(2).String(), "fatal"},
		{AlertLevel(3).String(), "unknown_3"},
		{AlertDescription(255).String(), "unknown_255"},
		{ContentType(22).String(), "handshake"},
		{ContentType(25).String(), "unknown_25"},
		{HandshakeType(6).String(), "hello_retry_request_RESERVED"},
		{HandshakeType(25).String(), "compressed_certificate"},
		{HandshakeType(99).String(), "unknown_99"},
		{SignatureScheme(0x1a1a).String(), "GREASE_0x1a1a"},
		{ClientCertificateType(64).String(), "ecdsa_sign"},
		{ClientCertificateType(1).String(), "rsa_sign"},
		{ClientCertificateType(99).String(), "unknown_99"},
		{ECPointFormat(0).String(), "uncompressed"},
		{PSKKeyExchangeMode(1).String(), "psk_dhe_ke"},
		{CertificateCompressionAlgorithm(2).String(), "brotli"},
		{CompressionMethod(0).String(), "NULL"},
		{CompressionMethod(1).String(), "DEFLATE"},
		{HPKEKDF(1).String(), "HKDF-SHA256"},
		{HPKEAEAD(3).String(), "ChaCha20Poly1305"},
		{HPKEAEAD(0x0042).String(), "0x0042"},
		{StatusTypeOCSP.String(), "ocsp"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestAlertNames checks every alert named by RFC 8446 Section 6 and the
// later registrations, with the names reports use.
func TestAlertNames(t *testing.T) {
	want := map[AlertDescription]string{
		0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
		22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
		42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
		45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
		49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
		70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
		86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
		109: "missing_extension", 110: "unsupported_extension", 111: "certificate_unobtainable",
		112: "unrecognized_name", 113: "bad_certificate_status_response",
		114: "bad_certificate_hash_value", 115: "unknown_psk_identity", 116: "certificate_required",
		117: "general_error", 120: "no_application_protocol", 121: "ech_required",
	}
	for d := range 256 {
		name, named := want[AlertDescription(d)]
		if !named {
			name = "unknown_" + itoa(d)
		}
		if got := AlertDescription(d).String(); got != name {
			t.Errorf("AlertDescription(%d) = %q, want %q", d, got, name)
		}
	}
}

func itoa(i int) string { return unknown(uint64(i))[len("unknown_"):] }

// TestHandshakeTypeNamesMatchAPI reads api.go and checks that String gives
// each HandshakeType constant's line comment, the names flows reports.
func TestHandshakeTypeNamesMatchAPI(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "api.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Comment == nil || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Handshake") {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		var v int
		for _, c := range lit.Value {
			v = v*10 + int(c-'0')
		}
		want := strings.TrimSpace(vs.Comment.Text())
		if got := HandshakeType(v).String(); got != want {
			t.Errorf("%s = %d: String %q, line comment %q", vs.Names[0].Name, v, got, want)
		}
		checked++
		return true
	})
	if checked < 19 {
		t.Errorf("checked %d constants, api.go has 19", checked)
	}
}

func TestIsGREASE(t *testing.T) {
	var found []uint16
	for v := range 1 << 16 {
		if IsGREASE(uint16(v)) {
			found = append(found, uint16(v))
		}
	}
	if len(found) != 16 {
		t.Fatalf("%d GREASE values, want 16: %x", len(found), found)
	}
	for i, v := range found {
		if want := uint16(i)<<12 | 0x0a00 | uint16(i)<<4 | 0x0a; v != want {
			t.Errorf("GREASE %d = %#04x, want %#04x", i, v, want)
		}
	}
}

// TestTable16SameAsMaps: the paged tables name every 16-bit code point as
// the generated maps do, and no other.
func TestTable16SameAsMaps(t *testing.T) {
	check := func(name string, tab *table16, lookup func(uint16) (string, bool)) {
		for v := range 1 << 16 {
			got, gok := tab.get(uint16(v))
			want, wok := lookup(uint16(v))
			if got != want || gok != wok {
				t.Fatalf("%s 0x%04x: table %q %v, map %q %v", name, v, got, gok, want, wok)
			}
		}
	}
	check("cipher suite", cipherSuiteNamesTable, func(v uint16) (string, bool) { n, ok := cipherSuiteNames[CipherSuite(v)]; return n, ok })
	check("extension", extensionTypeNamesTable, func(v uint16) (string, bool) { n, ok := extensionTypeNames[ExtensionType(v)]; return n, ok })
	check("group", namedGroupNamesTable, func(v uint16) (string, bool) { n, ok := namedGroupNames[NamedGroup(v)]; return n, ok })
	check("signature scheme", signatureSchemeNamesTable, func(v uint16) (string, bool) { n, ok := signatureSchemeNames[SignatureScheme(v)]; return n, ok })
}

// TestHandshakeTypeNames: every type, registered or not, reads as the
// registry names it.
func TestHandshakeTypeNames(t *testing.T) {
	for i := range 256 {
		typ := HandshakeType(i)
		want, ok := handshakeTypeNames[typ]
		if !ok {
			want = unknown(uint64(i))
		}
		if got := typ.String(); got != want {
			t.Errorf("HandshakeType(%d) = %q, want %q", i, got, want)
		}
	}
}

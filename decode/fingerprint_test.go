package decode

import (
	"strconv"
	"strings"
	"testing"
)

// The expected values below are published outputs of other tools: the
// JA3/JA3S strings and hashes of suricata-verify's tls-ja3* tests, and the
// JA4 and JA4_ro values of FoxIO's python/test/testdata/*.json. The hellos
// are rebuilt from those published lists, with GREASE values inserted
// where the definitions say they are ignored.

// hexValues parses "1301,1303" into values.
func hexValues[T ~uint16](t *testing.T, s string) []T {
	t.Helper()
	var out []T
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		v, err := strconv.ParseUint(f, 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, T(v))
	}
	return out
}

func decValues[T ~uint8 | ~uint16](t *testing.T, s string) []T {
	t.Helper()
	var out []T
	for _, f := range strings.Split(s, "-") {
		if f == "" {
			continue
		}
		v, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, T(v))
	}
	return out
}

func exts(types ...ExtensionType) []Extension {
	out := make([]Extension, len(types))
	for i, t := range types {
		out[i] = Extension{Type: t}
	}
	return out
}

func TestJA3(t *testing.T) {
	tests := []struct{ str, hash string }{
		{"771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45-41,23,0",
			"d00857e0c8e7a7f35e446508c6233460"},
		{"771,4865-4866-4867-49195-49199-158-49196-49200-159-52393-52392-52244-52243-49161-49187-49171-49191-51-103-49162-49188-49172-49192-57-107-156-157-47-60-53-61-10,65281-23-35-13-11-40-45-43-10,29-23-24,0",
			"23d254f72096d25c350e4a4a792f4948"},
	}
	for _, tt := range tests {
		f := strings.Split(tt.str, ",")
		v, _ := strconv.Atoi(f[0])
		ch := &ClientHello{
			LegacyVersion: Version(v),
			// GREASE first in every list, as Chrome sends it.
			CipherSuites:    append([]CipherSuite{0x0a0a}, decValues[CipherSuite](t, f[1])...),
			Extensions:      append(exts(0x1a1a), exts(decValues[ExtensionType](t, f[2])...)...),
			SupportedGroups: append([]NamedGroup{0x2a2a}, decValues[NamedGroup](t, f[3])...),
			ECPointFormats:  decValues[ECPointFormat](t, f[4]),
		}
		full, hash := JA3(ch)
		if full != tt.str || hash != tt.hash {
			t.Errorf("JA3\n got %s %s\nwant %s %s", full, hash, tt.str, tt.hash)
		}
	}
	// A hello without extensions (SSL 3.0, old TLS) keeps the empty fields.
	if full, _ := JA3(&ClientHello{LegacyVersion: VersionSSL30, CipherSuites: []CipherSuite{4, 5}}); full != "768,4-5,,," {
		t.Errorf("JA3 without extensions: %q", full)
	}
}

func TestJA3S(t *testing.T) {
	sh := &ServerHello{LegacyVersion: VersionTLS12, CipherSuite: 49199, Extensions: exts(65281, 0, 11, 16, 23)}
	full, hash := JA3S(sh)
	if full != "771,49199,65281-0-11-16-23" || hash != "5d79edf64e03689ff559a54e9d9487bc" {
		t.Errorf("JA3S = %s %s", full, hash)
	}
}

func TestJA4(t *testing.T) {
	tests := []struct {
		name    string
		ro      string // published JA4_ro: a_ciphers_extensions_sigalgs in wire order
		sni     bool
		alpn    []string
		vers    Version
		sv      []Version
		want    string
		grease  bool
		wantRaw string
	}{
		{name: "Firefox (tls12.pcap)", sni: true, alpn: []string{"h2", "http/1.1"}, vers: VersionTLS12,
			sv: []Version{VersionTLS13, VersionTLS12},
			ro: "1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,009c,009d,002f,0035_" +
				"0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,002d,001c,0015_" +
				"0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
			want: "t13d1715h2_5b57614c22b0_3d5424432f57",
			wantRaw: "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_" +
				"0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201"},
		{name: "Firefox with GREASE everywhere", sni: true, alpn: []string{"h2", "http/1.1"}, vers: VersionTLS12,
			sv: []Version{0x3a3a, VersionTLS13, VersionTLS12}, grease: true,
			ro: "1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,009c,009d,002f,0035_" +
				"0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,002d,001c,0015_" +
				"0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201",
			want: "t13d1715h2_5b57614c22b0_3d5424432f57"},
		{name: "no ALPN, TLS 1.2 (latest.pcapng)", sni: true, vers: VersionTLS12,
			ro: "c02c,c02b,c030,c02f,c024,c023,c028,c027,c00a,c009,c014,c013,009d,009c,003d,003c,0035,002f,000a_" +
				"0000,0005,000a,000b,000d,0023,0017,ff01_0804,0805,0806,0401,0501,0201,0403,0503,0203,0202,0601,0603",
			want: "t12d190800_d83cc789557e_7af1ed941c26"},
		{name: "SNI only, no signature algorithms (socks-https-example.pcap)", sni: true, vers: VersionTLS10,
			ro:      "0039,0038,0035,0016,0013,000a,0033,0032,002f,009a,0099,0096,0005,0004,0015,0012,0009,0014,0011,0008,0006,0003,00ff_0000_",
			want:    "t10d230100_6a57a6f57151_000000000000",
			wantRaw: "t10d230100_0003,0004,0005,0006,0008,0009,000a,0011,0012,0013,0014,0015,0016,002f,0032,0033,0035,0038,0039,0096,0099,009a,00ff_"},
	}
	for _, tt := range tests {
		parts := strings.Split(tt.ro, "_")
		ch := &ClientHello{
			LegacyVersion:       tt.vers,
			SupportedVersions:   tt.sv,
			CipherSuites:        hexValues[CipherSuite](t, parts[0]),
			Extensions:          exts(hexValues[ExtensionType](t, parts[1])...),
			SignatureAlgorithms: hexValues[SignatureScheme](t, parts[2]),
			ALPN:                tt.alpn,
		}
		if tt.grease {
			ch.CipherSuites = append([]CipherSuite{0x4a4a}, ch.CipherSuites...)
			ch.Extensions = append(exts(0x5a5a), append(ch.Extensions, exts(0x6a6a)...)...)
			ch.SignatureAlgorithms = append([]SignatureScheme{0x7a7a}, ch.SignatureAlgorithms...)
		}
		got, raw := JA4(ch, 't')
		if got != tt.want {
			t.Errorf("%s: JA4 %s, want %s", tt.name, got, tt.want)
		}
		if tt.wantRaw != "" && raw != tt.wantRaw {
			t.Errorf("%s: JA4_r\n got %s\nwant %s", tt.name, raw, tt.wantRaw)
		}
	}
}

func TestJA4Parts(t *testing.T) {
	tests := []struct {
		ch   ClientHello
		want string // the a part
	}{
		{ClientHello{LegacyVersion: VersionSSL30}, "t" + "s3" + "i0000" + "00"},
		{ClientHello{LegacyVersion: 0xfefd}, "td2i000000"},
		{ClientHello{LegacyVersion: 0x7f1c}, "t00i000000"},
		{ClientHello{LegacyVersion: VersionTLS12, ALPN: []string{"http/1.1"}}, "t12i0000h1"},
		{ClientHello{LegacyVersion: VersionTLS12, ALPN: []string{"x"}}, "t12i0000xx"},
		{ClientHello{LegacyVersion: VersionTLS12, ALPN: []string{"\xab\x01\xcd"}}, "t12i0000ad"},
		{ClientHello{LegacyVersion: VersionTLS12, ALPN: []string{"h\xff"}}, "t12i00006f"},
		{ClientHello{LegacyVersion: VersionTLS12, CipherSuites: make([]CipherSuite, 120),
			Extensions: make([]Extension, 150)}, "t12d999900"}, // type 0 is SNI,
	}
	for _, tt := range tests {
		got, _ := JA4(&tt.ch, 't')
		if a := strings.Split(got, "_")[0]; a != tt.want {
			t.Errorf("%+v: a = %s, want %s", tt.ch.ALPN, a, tt.want)
		}
	}
	// The Go client of the fixtures: 2 suites, 12 extensions, SNI, h2.
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"tls12_full.client", true}))
	if got, _ := JA4(ch, 't'); !strings.HasPrefix(got, "t12d0212h2_") {
		t.Errorf("crypto/tls hello: %s", got)
	}
	if got, _ := JA4(ch, 'q'); got[0] != 'q' {
		t.Errorf("QUIC transport: %s", got)
	}
}

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// want is what testdata/pcaps/MANIFEST.md says a connection's report must
// show. Empty fields are not checked.
type want struct {
	outcome    flows.Outcome
	version    string
	suite      string
	resumed    bool
	clientCert string
	alert      string // "from level description", e.g. "server fatal handshake_failure", or "from encrypted"
	violation  string // "from code got"
	history    string
	alpn       string
	starttls   string // the protocol before TLS (flows.StartTLS)
	tunnels    string // the types of the tunnels, outermost first, joined by "/"
}

const (
	ecdheRSA128 = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	ecdheRSA256 = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
	aes256      = "TLS_AES_256_GCM_SHA384"
	full12      = "CsxknGIi"  // Zeek letters of a full TLS 1.2 handshake
	full12T     = "CsxknGIti" // ... with a NewSessionTicket
)

var manifest = map[string][]want{
	"01-tls12-ecdhe-rsa":                   {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, clientCert: "none", history: full12T}},
	"02-tls12-ecdhe-ecdsa":                 {{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", clientCert: "none", history: full12T}},
	"03-tls12-dhe-rsa":                     {{outcome: "established", version: "TLS 1.2", suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", history: full12T}},
	"04-tls12-rsa-kx":                      {{outcome: "established", version: "TLS 1.2", suite: "TLS_RSA_WITH_AES_128_GCM_SHA256", history: "CsxnGIti"}},
	"05-tls12-mtls":                        {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, clientCert: "sent", history: "CsxkrnXGYIti"}},
	"06-tls12-mtls-no-client-cert":         {{outcome: "alert", version: "TLS 1.2", suite: ecdheRSA256, clientCert: "empty", alert: "server fatal handshake_failure", history: "CsxkrnXGIl"}},
	"07-tls12-no-shared-cipher":            {{outcome: "alert", alert: "server fatal handshake_failure", history: "Cl"}},
	"08-version-mismatch":                  {{outcome: "alert", alert: "server fatal protocol_version", history: "Cl"}},
	"09-tls12-client-rejects-cert":         {{outcome: "alert", version: "TLS 1.2", suite: ecdheRSA256, alert: "client fatal unknown_ca", history: "CsxknL"}},
	"09b-tls13-client-rejects-cert":        {{outcome: "alert", version: "TLS 1.3", suite: aes256, alert: "client fatal unknown_ca", history: "CsiL"}},
	"10-tls12-resume-session-id":           {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: "CsxknGIi"}, {outcome: "established", resumed: true, history: "CsiI"}},
	"11-tls12-resume-ticket":               {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}, {outcome: "established", resumed: true, history: "CsiI"}},
	"12-tls13-full":                        {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"13-tls13-mtls":                        {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"14-tls13-hrr":                         {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CjiICs"}},
	"15-tls13-psk-resume":                  {{outcome: "established", version: "TLS 1.3", history: "CsiI"}, {outcome: "established", version: "TLS 1.3", resumed: true, history: "CsiI"}},
	"16-tls10":                             {{outcome: "established", version: "TLS 1.0", suite: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", history: full12T}},
	"17-tls11":                             {{outcome: "established", version: "TLS 1.1", suite: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", history: full12T}},
	"18-ipv6-tls13":                        {{outcome: "established", version: "TLS 1.3", suite: aes256}},
	"19-tls12-any-sll2":                    {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	"20-gnutls-cli":                        {{outcome: "established", version: "TLS 1.3", suite: aes256}},
	"21-curl-alpn":                         {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, alpn: "http/1.1"}},
	"22-go-crypto-tls":                     {{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256"}},
	"23-violation-shd-before-cert":         {{outcome: "violation", version: "TLS 1.2", violation: "server unexpected_message server_hello_done", alert: "client fatal unexpected_message"}},
	"24-violation-missing-ske":             {{outcome: "violation", violation: "server missing_message server_hello_done", alert: "client fatal unexpected_message"}},
	"25-violation-dup-server-hello":        {{outcome: "violation", violation: "server duplicate_message server_hello", alert: "client fatal unexpected_message"}},
	"26-violation-cv-without-cert":         {{outcome: "violation", violation: "client unexpected_message certificate_verify", alert: "server fatal unexpected_message"}},
	"27-violation-appdata-before-finished": {{outcome: "violation", violation: "client application_data_before_finished application_data", alert: "server fatal unexpected_message"}},
	"28-plaintext-to-tls-port":             {{outcome: "not_tls"}},
	"29-tls12-close-notify":                {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256}},
	"30-tls13-go-client-rejects-cert":      {{outcome: "alert", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", alert: "client encrypted", history: "CsiI"}},
	"31-tls13-mtls-no-client-cert":         {{outcome: "alert", version: "TLS 1.3", suite: aes256, alert: "server encrypted", history: "CsiI"}},
	// Without their key logs (TestKeyLogCaptures reads them with).
	"32-tls13-keylog-full":           {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"33-tls13-keylog-mtls-no-cert":   {{outcome: "alert", version: "TLS 1.3", suite: aes256, alert: "server encrypted", history: "CsiI"}},
	"34-tls13-keylog-mtls-untrusted": {{outcome: "alert", version: "TLS 1.3", suite: aes256, alert: "server encrypted", history: "CsiI"}},
	"35-tls13-wrong-keylog":          {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"36-tls13-injected-secrets":      {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"37-tls13-keylog-hrr":            {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CjiICs"}},
	"38-tls12-keylog-full":           {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	// A first connection, then one that resumes its session (with 0-RTT
	// in 45 and 46: the client's compatibility CCS comes before its
	// early data, ahead of the ServerHello).
	"43-tls13-keylog-psk-dhe":        {tls13First, {outcome: "established", version: "TLS 1.3", suite: aes256, resumed: true, history: "CsiI"}},
	"44-tls13-keylog-psk-ke":         {tls13First, {outcome: "established", version: "TLS 1.3", suite: aes256, resumed: true, history: "CsiI"}},
	"45-tls13-keylog-early-accepted": {tls13First, {outcome: "established", version: "TLS 1.3", suite: aes256, resumed: true, history: "CIsi"}},
	"46-tls13-keylog-early-rejected": {tls13First, {outcome: "established", version: "TLS 1.3", suite: aes256, resumed: true, history: "CIsi"}},
	// A NULL suite's Finished are read in clear, keys or not.
	"47-tls12-null-sha256": {{outcome: "established", version: "TLS 1.2", suite: "TLS_RSA_WITH_NULL_SHA256", clientCert: "none", history: "CsxnGIFtif"}},
	// Without --follow what follows the handshake is not read
	// (TestKeyLogTLS12Captures reads them with it).
	"48-tls12-renegotiation":         {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	"49-tls12-server-renegotiation":  {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	"50-tls12-cbc-etm":               {{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", history: full12T}},
	"51-tls12-cbc-no-etm":            {{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", history: full12T}},
	"52-tls12-renegotiation-refused": {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	// Without their key logs (TestKeyLogStacks reads them with).
	"53-keylog-suites": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", history: "CsiI"},
		{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_CHACHA20_POLY1305_SHA256", history: "CsiI"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_CCM_SHA256", history: "CsiI"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_CCM_8_SHA256", history: "CsiI"},
		{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", clientCert: "empty", history: "CsxrnXGIti"},
		{outcome: "established", version: "TLS 1.1", suite: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.0", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", clientCert: "none", history: full12T},
		{outcome: "established", version: "TLS 1.0", suite: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", clientCert: "empty", history: "CsxkrnXGIti"},
	},
	"54-keylog-gnutls": {
		{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"},
		{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, clientCert: "none", history: full12T},
	},
	"55-keylog-curl": {
		{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"},
		{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, clientCert: "none", history: full12},
	},
	"56-keylog-go": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", history: "CsiI"},
		{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, clientCert: "sent", history: "CsxkrnXGYIi"},
		{outcome: "alert", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", alert: "server encrypted", history: "CsiI"},
	},
	"57-keylog-gnutls-mtls": {
		{outcome: "alert", version: "TLS 1.3", suite: aes256, alert: "server encrypted", history: "CsiI"},
		{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"},
	},
	// Past the handshake, read with keys and --follow by TestKeyLogFollow;
	// without keys their handshakes are plain ones.
	"39-tls13-keylog-keyupdate":     {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"40-tls13-keylog-pha":           {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"41-tls13-keylog-pha-empty":     {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"42-tls13-keylog-pha-untrusted": {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	// Diagnoses (TestDiagnosisCaptures checks each one's).
	"60-diag-server-untrusted": {
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal unknown_ca"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", alert: "client fatal bad_certificate"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal unknown_ca"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal bad_certificate"},
	},
	"61-diag-cert-dates": {
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal certificate_expired"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal bad_certificate"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", alert: "client fatal bad_certificate"},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	},
	"62-diag-sni-mismatch": {
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal bad_certificate"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", alert: "client fatal bad_certificate"},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "client fatal bad_certificate"},
	},
	"63-diag-mtls": {
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "server fatal handshake_failure"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "server fatal unknown_ca"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "server fatal certificate_expired"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", alert: "server fatal handshake_failure"},
		{outcome: "alert", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", alert: "server fatal decode_error"},
	},
	"64-diag-nothing-in-common": {
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{outcome: "established", version: "TLS 1.2", suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{outcome: "alert", alert: "server fatal handshake_failure"},
		{outcome: "alert", alert: "server fatal protocol_version"},
		{outcome: "alert", alert: "server fatal handshake_failure"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_256_GCM_SHA384"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256"},
		{outcome: "alert", alert: "server fatal handshake_failure"},
	},
	"65-diag-alpn": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256"},
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256"},
		{outcome: "alert", alert: "server fatal no_application_protocol"},
	},
	"66-diag-unrecognized-name": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_256_GCM_SHA384"},
		{outcome: "alert", alert: "server fatal unrecognized_name"},
	},
	"67-diag-fallback": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_256_GCM_SHA384"},
		{outcome: "alert", alert: "server fatal inappropriate_fallback"},
	},
	"68-diag-no-tls-answer": {
		{outcome: "violation", violation: "server unknown_content_type record"},
		{outcome: "violation", violation: "server unknown_content_type record"},
		{outcome: "incomplete"},
		{outcome: "incomplete"},
	},
	"69-diag-no-sni": {
		{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_256_GCM_SHA384"},
	},
	"70-diag-hrr": {
		{outcome: "alert", alert: "client fatal illegal_parameter", history: "CjL"},
	},
	"80-starttls-mail":       {starttls13("smtp"), starttls13("lmtp"), starttls13("imap"), starttls13("pop3")},
	"81-starttls-chat-news":  {starttls13("xmpp"), starttls13("irc"), starttls13("nntp"), starttls13("sieve"), starttls13("ftp")},
	"82-starttls-db-dir":     {starttls13("ldap"), starttls13("postgresql"), starttls13("mysql")},
	"83-proxy-connect-socks": {starttls13("http_connect"), starttls13("socks4"), starttls13("socks5")},
	// IPv6 over a 1280-byte MTU, beside UDP datagrams the kernel
	// fragmented (TestIPv6KernelFragments).
	"120-ipv6-mtu1280": {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	// Tunnels (scripts/make-tunnel-testdata.sh): 100 and 101 and their
	// overlay captures from Linux VXLAN, the rest wrapped bundled captures.
	"100-vxlan-tls13":          {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI", tunnels: "vxlan"}},
	"100-vxlan-tls13-overlay":  {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}},
	"101-vxlan6-tls12":         {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T, tunnels: "vxlan"}},
	"101-vxlan6-tls12-overlay": {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, history: full12T}},
	"102-geneve-tls12":         {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "geneve"}},
	"103-gre-tls12":            {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "gre"}},
	"104-gretap-tls13":         {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI", tunnels: "gre"}},
	"105-erspan1-tls12":        {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "erspan_i"}},
	"106-erspan2-tls13":        {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI", tunnels: "erspan_ii"}},
	"107-erspan3-tls12-mtls":   {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA256, clientCert: "sent", history: "CsxkrnXGYIti", tunnels: "erspan_iii"}},
	"108-gtpu-tls13":           {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI", tunnels: "gtp_u"}},
	"109-pppoe-tls12":          {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "pppoe"}},
	"110-mpls-tls13-hrr":       {{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CjiICs", tunnels: "mpls/mpls"}},
	"111-mpls-pw-tls12":        {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "mpls"}},
	"112-ipip-tls12":           {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "ipip"}},
	"113-6in4-tls13":           {{outcome: "established", version: "TLS 1.3", suite: aes256, tunnels: "6in4"}},
	"114-4in6-tls12":           {{outcome: "established", version: "TLS 1.2", suite: ecdheRSA128, history: full12T, tunnels: "4in6"}},
	"115-teredo-tls13":         {{outcome: "established", version: "TLS 1.3", suite: aes256, tunnels: "teredo"}},
	"116-nested-alert":         {{outcome: "alert", alert: "server fatal handshake_failure", history: "Cl", tunnels: "vxlan/gre/mpls"}},
}

// starttls13 is a TLS 1.3 handshake with Go's crypto/tls after the
// plaintext part of a protocol (captures 80-83).
func starttls13(proto string) want {
	return want{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", history: "CsiI", starttls: proto}
}

// tls13First is the first connection of 43-46, which saves its session.
var tls13First = want{outcome: "established", version: "TLS 1.3", suite: aes256, history: "CsiI"}

// TestCaptureFacts checks, connection by connection, the facts the
// manifest promises for every bundled capture.
func TestCaptureFacts(t *testing.T) {
	seen := map[string]bool{}
	for _, pcap := range captures(t) {
		name := strings.TrimSuffix(filepath.Base(pcap), filepath.Ext(pcap))
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			wants, ok := manifest[name]
			if !ok {
				t.Fatalf("%s has no entry in the test's manifest table", name)
			}
			an, err := analyze(pcap, flows.Options{}, reassembly.Options{})
			if err != nil || an.readErr != nil {
				t.Fatalf("analyze: %v %v", err, an.readErr)
			}
			if len(an.results) != len(wants) {
				t.Fatalf("%d connections reported, want %d", len(an.results), len(wants))
			}
			for i, w := range wants {
				checkFacts(t, i+1, &an.results[i], w)
			}
		})
	}
	for name := range manifest {
		if !seen[name] {
			t.Errorf("manifest table names %s, which is not in %s", name, pcapDir)
		}
	}
}

func checkFacts(t *testing.T, n int, r *flows.Result, w want) {
	t.Helper()
	check := func(field, got, want string) {
		if want != "" && got != want {
			t.Errorf("connection %d: %s = %q, want %q", n, field, got, want)
		}
	}
	check("outcome", string(r.Outcome), string(w.outcome))
	if r.Version != 0 {
		check("version", r.Version.String(), w.version)
	} else {
		check("version", "", w.version)
	}
	if r.HasCipherSuite {
		check("cipher_suite", r.CipherSuite.String(), w.suite)
	} else {
		check("cipher_suite", "", w.suite)
	}
	check("client_certificate", r.ClientCertificate, w.clientCert)
	check("alpn", r.ALPN, w.alpn)
	if got := r.StartTLS.String(); got != w.starttls { // none is checked too
		t.Errorf("connection %d: starttls = %q, want %q", n, got, w.starttls)
	}
	check("history", report.History(r), w.history)
	var tunnels []string
	for _, tn := range r.Tunnels {
		tunnels = append(tunnels, tn.Type.String())
	}
	if got := strings.Join(tunnels, "/"); got != w.tunnels {
		t.Errorf("connection %d: tunnels %q, want %q", n, got, w.tunnels)
	}
	if r.Resumed != w.resumed {
		t.Errorf("connection %d: resumed = %v, want %v", n, r.Resumed, w.resumed)
	}
	if w.alert != "" {
		var alerts []string
		for _, a := range r.Alerts {
			if a.Encrypted {
				alerts = append(alerts, string(a.From)+" encrypted")
				continue
			}
			alerts = append(alerts, strings.Join([]string{string(a.From), a.Level.String(), a.Description.String()}, " "))
		}
		if !contains(alerts, w.alert) {
			t.Errorf("connection %d: alerts %q lack %q", n, alerts, w.alert)
		}
	}
	if w.violation != "" {
		if len(r.Violations) == 0 {
			t.Errorf("connection %d: no violation, want %q", n, w.violation)
		} else if v := r.Violations[0]; strings.Join([]string{string(v.From), string(v.Code), v.Got}, " ") != w.violation {
			t.Errorf("connection %d: violation %s %s %s (%s), want %q", n, v.From, v.Code, v.Got, v.Detail, w.violation)
		}
	} else if len(r.Violations) > 0 {
		t.Errorf("connection %d: unexpected violations %+v", n, r.Violations)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestFollow: by default a connection is not read past its verdict; with
// --follow the alerts that close it are reported too.
func TestFollow(t *testing.T) {
	pcap := filepath.Join(pcapDir, "29-tls12-close-notify.pcap")
	for _, follow := range []bool{false, true} {
		an, err := analyze(pcap, flows.Options{Follow: follow}, reassembly.Options{})
		if err != nil || len(an.results) != 1 {
			t.Fatalf("analyze: %v, %d results", err, len(an.results))
		}
		r := &an.results[0]
		want := "[]"
		if follow {
			want = "[client encrypted server encrypted]"
		}
		var got []string
		for _, a := range r.Alerts {
			got = append(got, fmt.Sprintf("%s encrypted=%v", a.From, a.Encrypted))
		}
		gotS := strings.ReplaceAll(fmt.Sprint(got), "=true", "")
		if r.Outcome != flows.OutcomeEstablished || gotS != want {
			t.Errorf("follow=%v: outcome %s alerts %s, want established %s", follow, r.Outcome, gotS, want)
		}
	}
}

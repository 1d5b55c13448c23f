package flows

import (
	"testing"

	"github.com/hsdecode/hsdecode/decode"
)

// TestKindNames pins the names reports print for each kind (docs/report.md,
// messages[].type): they are the contract, whatever the tables key on.
func TestKindNames(t *testing.T) {
	for _, tt := range []struct {
		k    kind
		want string
	}{
		{kindClientHello, "client_hello"},
		{kindServerHello, "server_hello"},
		{kindNewSessionTicket, "new_session_ticket"},
		{kindCertificate, "certificate"},
		{kindServerKeyExchange, "server_key_exchange"},
		{kindCertificateRequest, "certificate_request"},
		{kindServerHelloDone, "server_hello_done"},
		{kindCertificateVerify, "certificate_verify"},
		{kindClientKeyExchange, "client_key_exchange"},
		{kindCertificateStatus, "certificate_status"},
		{kindFinished, "finished"},
		{kindChangeCipherSpec, "change_cipher_spec"},
		{kindHelloRetryRequest, "hello_retry_request"},
		{kindEncrypted, "encrypted"},
		{kindAlert, "alert"},
		{kindHeartbeat, "heartbeat"},
		{kindApplicationData, "application_data"},
		{handshakeKind(decode.HandshakeHelloRequest), "hello_request"},
		{handshakeKind(decode.HandshakeKeyUpdate), "key_update"},
		{handshakeKind(99), "unknown_99"},
	} {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("kind %d: %q, want %q", tt.k, got, tt.want)
		}
	}
}

// TestMessageKind checks that a HelloRetryRequest, a ServerHello on the
// wire, fills a slot of its own.
func TestMessageKind(t *testing.T) {
	if k := messageKind(&decode.ServerHello{HelloRetryRequest: true}); k != kindHelloRetryRequest {
		t.Errorf("HelloRetryRequest: %s", k)
	}
	if k := messageKind(&decode.ServerHello{}); k != kindServerHello {
		t.Errorf("ServerHello: %s", k)
	}
}

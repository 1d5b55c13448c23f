package flows

import "testing"

// TestDetectStartTLS names each protocol from what its clients send
// before the ClientHello (as openssl s_client -starttls and curl send it)
// and what the server said before it.
func TestDetectStartTLS(t *testing.T) {
	mysqlGreeting := []byte("\x52\x00\x00\x00\x0a8.0.0\x00")
	for _, tt := range []struct {
		name           string
		client, server string
		want           StartTLS
	}{
		{"smtp", "EHLO openssl.client.net\r\nSTARTTLS\r\n", "220 mx ESMTP\r\n250 STARTTLS\r\n220 Ready\r\n", StartTLSSMTP},
		{"smtp, HELO", "HELO a\r\nSTARTTLS\r\n", "220 mx\r\n", StartTLSSMTP},
		{"smtp, bare STARTTLS", "STARTTLS\r\n", "220 mx ESMTP\r\n", StartTLSSMTP},
		{"lmtp", "LHLO openssl.client.net\r\nSTARTTLS\r\n", "220 lmtp\r\n", StartTLSLMTP},
		{"imap", ". CAPABILITY\r\n. STARTTLS\r\n", "* OK ready\r\n", StartTLSIMAP},
		{"imap, tag", "a001 STARTTLS\r\n", "* OK\r\n", StartTLSIMAP},
		{"pop3", "STLS\r\n", "+OK\r\n", StartTLSPOP3},
		{"ftp", "AUTH TLS\r\n", "220 ftp\r\n", StartTLSFTP},
		{"ftp, AUTH SSL", "auth ssl\r\n", "220 ftp\r\n", StartTLSFTP},
		{"xmpp", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='a'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<stream:stream>", StartTLSXMPP},
		{"ldap", "\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037", "", StartTLSLDAP},
		{"postgresql", "\x00\x00\x00\x08\x04\xd2\x16\x2f", "S", StartTLSPostgreSQL},
		{"postgresql after GSSENCRequest", "\x00\x00\x00\x08\x04\xd2\x16\x30\x00\x00\x00\x08\x04\xd2\x16\x2f", "NS", StartTLSPostgreSQL},
		{"mysql", "\x20\x00\x00\x01\x85\xae\x7f\x00", string(mysqlGreeting), StartTLSMySQL},
		{"mysql without CLIENT_SSL", "\x20\x00\x00\x01\x85\xa6\x7f\x00", string(mysqlGreeting), StartTLSUnknown},
		{"nntp", "CAPABILITIES\r\nSTARTTLS\r\n", "200 news\r\n", StartTLSNNTP},
		{"nntp, bare STARTTLS", "STARTTLS\r\n", "201 news\r\n", StartTLSNNTP},
		{"sieve", "STARTTLS\r\n", "\"IMPLEMENTATION\" \"x\"\r\nOK\r\n", StartTLSSieve},
		{"irc", "STARTTLS\r\n", ":irc.example 670 * :go ahead\r\n", StartTLSIRC},
		{"irc, notice first", "STARTTLS\r\n", "NOTICE AUTH :hi\r\n:irc 670 * :ok\r\n", StartTLSIRC},
		{"bare STARTTLS, server silent", "STARTTLS\r\n", "", StartTLSUnknown},
		{"http connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", StartTLSHTTPConnect},
		{"socks4", "\x04\x01\x01\xbb\x7f\x00\x00\x01\x00", "\x00\x5a", StartTLSSOCKS4},
		{"socks4a", "\x04\x01\x01\xbb\x00\x00\x00\x01\x00example.com\x00", "\x00\x5a", StartTLSSOCKS4},
		{"socks5", "\x05\x01\x00\x05\x01\x00\x03\x09localhost\x01\xbb", "\x05\x00\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", StartTLSSOCKS5},
		{"something else", "hello there\r\n", "", StartTLSUnknown},
		{"one byte", "\x05", "", StartTLSUnknown},
		{"nothing", "", "", StartTLSUnknown},
	} {
		if got := detectStartTLS([]byte(tt.client), []byte(tt.server)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	for p := StartTLSNone; p <= StartTLSSOCKS5+1; p++ {
		if s := p.String(); (s == "") != (p == StartTLSNone) {
			t.Errorf("StartTLS(%d).String() = %q", p, s)
		}
	}
}

// FuzzDetectStartTLS: any prelude names a protocol without panicking.
func FuzzDetectStartTLS(f *testing.F) {
	f.Add([]byte("EHLO a\r\nSTARTTLS\r\n"), []byte("220 mx\r\n"))
	f.Add([]byte("\x05\x01\x00"), []byte("\x05\x00"))
	f.Add([]byte("\x20\x00\x00\x01\x85\xae"), []byte("\x52\x00\x00\x00\x0a"))
	f.Add([]byte("STARTTLS\r\n"), []byte(":x 670"))
	f.Fuzz(func(t *testing.T, client, server []byte) {
		if p := detectStartTLS(client, server); p == StartTLSNone {
			t.Errorf("a prelude named as none: %q %q", client, server)
		}
	})
}

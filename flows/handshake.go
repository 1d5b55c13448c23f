package flows

import (
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
)

// Handshake messages: what the hellos negotiate, which decides the mode and
// the flights the judge walks.

// mode is the handshake the ServerHello chose, which decides the flights.
type mode uint8

const (
	modeHello     mode = iota // no ServerHello taken yet
	modeFull12                // a full TLS 1.0-1.2 or SSL 3.0 handshake
	modeResumed12             // an abbreviated TLS 1.0-1.2 handshake
	modeTLS13                 // TLS 1.3 or one of its drafts
)

func (t *Tracker) handshake(d *sideState, ev decode.Event, ts time.Time) {
	t.keysHello(ev)
	kind := messageKind(ev.Message)
	t.record(d, kind, ev.Length, false, ts)
	t.details(d, ev.Message)
	if t.judging() && ev.Message.Type() != decode.HandshakeHelloRequest && (!t.chooseMode(d, kind, ts) || !t.step(d, kind, ts)) {
		return
	}
	switch m := ev.Message.(type) {
	case *decode.ServerKeyExchange:
		if sh := t.res.ServerHello; sh != nil && t.res.ServerKeyExchange == nil {
			p, err := m.Params(sh.CipherSuite, t.res.Version)
			if err != nil {
				t.violate(d, CodeMalformedHandshake, kind.String(), nil, err.Error(), ts)
				return
			}
			t.res.ServerKeyExchange = p
		}
	case *decode.ClientKeyExchange:
		if sh := t.res.ServerHello; sh != nil && t.res.ClientKeyExchange == nil {
			p, err := m.Params(sh.CipherSuite, t.res.Version)
			if err != nil {
				t.violate(d, CodeMalformedHandshake, kind.String(), nil, err.Error(), ts)
				return
			}
			t.res.ClientKeyExchange = p
		}
	case *decode.ClientHello:
		if t.res.ClientHello == nil {
			t.res.ClientHello = m
			t.res.ServerName = m.ServerName
			t.earlyHello(d, m)
		}
	case *decode.ServerHello:
		if m.HelloRetryRequest {
			t.hrr = true
			if ch := t.res.ClientHello; ch != nil && ch.EarlyData {
				t.res.EarlyData = EarlyDataRejected // RFC 8446, 4.2.10
			}
			return
		}
		t.serverHello(d, m, ts)
	case *decode.EncryptedExtensions:
		t.encryptedExtensions(m)
	case *decode.UnknownHandshake:
		if m.HandshakeType == decode.HandshakeHelloVerifyRequest {
			t.hvr = true
		}
	case *decode.CertificateRequest:
		t.certRequested = true
		if t.res.ClientCertificate == "" || t.res.ClientCertificate == ClientCertNone {
			t.res.ClientCertificate = ClientCertMissing
		}
	case *decode.Certificate:
		if d.role == Client {
			t.res.ClientCertificate = ClientCertEmpty
			if len(m.Certificates) > 0 {
				t.res.ClientCertificate = ClientCertSent
			}
		}
	}
}

// serverHello records what the ServerHello negotiated, checks the version
// against the client's offer, and moves both sides to the flights of the
// negotiated version.
func (t *Tracker) serverHello(d *sideState, sh *decode.ServerHello, ts time.Time) {
	t.res.ServerHello = sh
	t.res.Version = sh.Version()
	t.res.CipherSuite, t.res.HasCipherSuite = sh.CipherSuite, true
	t.res.ALPN = sh.ALPN
	if !t.judging() {
		t.mode = modeFull12
		if isTLS13(t.res.Version) {
			t.mode = modeTLS13
		}
		return
	}
	if msg := t.versionProblem(sh); msg != "" {
		t.violate(d, CodeVersionMismatch, kindServerHello.String(), nil, msg, ts)
		return
	}
	c := t.client()
	if isTLS13(t.res.Version) {
		t.mode = modeTLS13
		t.res.Resumed = sh.PreSharedKey
		d.flight, d.pos = server13, 0
		c.flight, c.pos = client13, 0
		if c.ccs > 0 {
			c.pos = 1
		}
		t.keysServerHello(sh)
		return
	}
	t.keysServerHello12(sh)
	t.serverHello12(d, sh, ts)
	t.mode = modeFull12
	t.res.ClientCertificate = ClientCertNone
	d.flight, d.pos = serverFull12, 0
	c.flight, c.pos = clientFull12, 0
}

// isTLS13 says whether v is TLS 1.3 or one of its drafts, 0x7f00 | draft
// (draft-ietf-tls-tls13-28, 4.2.1) or fizz's (decode/draft.go), which
// follow the same order on the wire.
func isTLS13(v decode.Version) bool { return v.IsTLS13() }

// versionProblem checks the server's version against the client's offer
// (RFC 8446, 4.1.3 and 4.2.1; RFC 5246, 7.4.1.3 and Appendix E).
func (t *Tracker) versionProblem(sh *decode.ServerHello) string {
	ch := t.res.ClientHello
	if ch == nil {
		return "" // the ClientHello did not parse: no offer to check against
	}
	offered := func(v decode.Version) string {
		for _, o := range ch.SupportedVersions {
			if o == v {
				return ""
			}
		}
		return fmt.Sprintf("server selected %s, which the client did not offer in supported_versions (RFC 8446, 4.2.1)", v)
	}
	if sh.SupportedVersion != 0 {
		if !isTLS13(sh.SupportedVersion) {
			return fmt.Sprintf("supported_versions selects %s: a server negotiating TLS 1.2 or below must not send it (RFC 8446, 4.2.1)", sh.SupportedVersion)
		}
		return offered(sh.SupportedVersion)
	}
	v := sh.LegacyVersion
	switch {
	case isTLS13(v) && v != decode.VersionTLS13:
		// Drafts up to 21 put their version in ServerHello.version
		// (draft-ietf-tls-tls13-21, 4.1.3), and in their
		// HelloRetryRequest's server_version (4.1.4).
		return offered(v)
	case v < decode.VersionSSL30 || v > decode.VersionTLS12:
		return fmt.Sprintf("ServerHello version %s without supported_versions (RFC 8446, 4.1.3)", v)
	case v > ch.LegacyVersion:
		return fmt.Sprintf("server selected %s, above the client's %s (RFC 5246, E.1)", v, ch.LegacyVersion)
	}
	return ""
}

// chooseMode switches to the abbreviated flights when the server follows its
// ServerHello with NewSessionTicket or ChangeCipherSpec, cross-checked with
// the session id (RFC 5246, 7.4.1.3; RFC 5077, 3.4). It reports whether the
// message may still be checked against the tables.
func (t *Tracker) chooseMode(d *sideState, k kind, ts time.Time) bool {
	// Only the server's first message after a TLS <= 1.2 ServerHello tells
	// (docs/handshake-order.md section 3).
	if d.role != Server || t.res.ClientHello == nil || t.res.ServerHello == nil || t.mode == modeTLS13 || t.mode == modeResumed12 || d.pos != 0 || len(t.res.Violations) > 0 {
		return true
	}
	ch, sh := t.res.ClientHello, t.res.ServerHello
	echoed := len(ch.SessionID) > 0 && string(ch.SessionID) == string(sh.SessionID)
	switch k {
	case kindNewSessionTicket, kindChangeCipherSpec:
		if echoed || (ch.SessionTicket && sh.SessionTicket) || ch.SessionTicketLength > 0 {
			t.mode, t.res.Resumed = modeResumed12, true
			t.res.ClientCertificate = ""
			d.flight = serverAbbreviated12
			t.client().flight = clientAbbreviated12
		}
	case kindServerHelloDone, kindCertificate, kindServerKeyExchange, kindCertificateRequest, kindCertificateStatus:
		if echoed {
			t.violate(d, CodeUnexpectedMessage, k.String(), names([]kind{kindNewSessionTicket, kindChangeCipherSpec}),
				"ServerHello echoed the client's session_id, which resumes the session, but the server sent "+k.String()+" (RFC 5246, 7.4.1.3)", ts)
			return false
		}
	}
	return true
}

// encryptedHandshake takes a TLS <= 1.2 side's handshake record after its
// ChangeCipherSpec: its Finished (RFC 5246, 7.4.9). The handshake is
// established once both sides sent theirs in order.
func (t *Tracker) encryptedHandshake(d *sideState, ev decode.Event, ts time.Time) {
	t.record(d, kindFinished, ev.Length, true, ts)
	if !t.judging() {
		return
	}
	if t.step(d, kindFinished, ts) {
		d.finished = true
		if t.client().finished && t.server().finished {
			t.established = true
		}
	}
}

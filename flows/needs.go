package flows

import (
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The need functions of the order tables: each reads what the hellos
// negotiated and returns whether its slot must, may or must not be filled.

// offers13 reports whether the client offered TLS 1.3 (RFC 8446, 4.2.1).
func (t *Tracker) offers13() bool {
	return t.res.ClientHello != nil && t.res.ClientHello.MaxVersion() >= decode.VersionTLS13
}

// needHRR: only a server answering a TLS 1.3 offer may retry (RFC 8446, 4.1.4).
func needHRR(t *Tracker) need {
	if t.offers13() {
		return optional
	}
	return forbidden
}

// needServerCompatCCS: one compatibility CCS, after the HelloRetryRequest or
// the ServerHello of TLS 1.3 (RFC 8446, D.4).
func needServerCompatCCS(t *Tracker) need {
	if t.server().ccs == 0 && (t.hrr || t.mode == modeTLS13) {
		return optional
	}
	return forbidden
}

// needClientCompatCCS: one compatibility CCS from a client that offered TLS
// 1.3, before its second ClientHello or its first encrypted record (RFC 8446,
// D.4).
func needClientCompatCCS(t *Tracker) need {
	if t.client().ccs == 0 && t.offers13() {
		return optional
	}
	return forbidden
}

// needSecondClientHello: a second ClientHello answers a HelloRetryRequest
// (RFC 8446, 4.1.2) or a DTLS HelloVerifyRequest (RFC 6347, 4.2.1), and
// nothing else.
func needSecondClientHello(t *Tracker) need {
	if t.hrr || t.hvr {
		return requiredByRule
	}
	return forbidden
}

// secondHelloAfterOK: the second ClientHello follows the server's retry
// or verify request.
func secondHelloAfterOK(t *Tracker) bool {
	s := &t.server().seen
	return s.count(kindHelloRetryRequest) > 0 || s.count(kindHelloVerifyRequest) > 0
}

// needHVR: only a DTLS server may ask the client to prove its address,
// once, before its ServerHello (RFC 6347, 4.2.1).
func needHVR(t *Tracker) need {
	if t.info.Transport == stream.TransportDTLS && !t.hvr {
		return optional
	}
	return forbidden
}

// serverHelloAfterOK: after a HelloRetryRequest or a HelloVerifyRequest,
// the ServerHello answers the second ClientHello (RFC 8446, 4.1.4; RFC
// 6347, 4.2.1).
func serverHelloAfterOK(t *Tracker) bool {
	return !t.hrr && !t.hvr || t.client().seen.count(kindClientHello) >= 2
}

func (t *Tracker) keyExchange() keyExchange {
	if t.res.ServerHello == nil {
		return unknownKeyExchange
	}
	return keyExchangeOf(t.res.ServerHello.CipherSuite)
}

func needServerCertificate(t *Tracker) need { return t.keyExchange().cert }

func needServerKeyExchange(t *Tracker) need { return t.keyExchange().ske }

// needCertificateRequest: "It is a fatal handshake_failure alert for an
// anonymous server to request client authentication" (RFC 5246, 7.4.4).
func needCertificateRequest(t *Tracker) need {
	if t.keyExchange().anon {
		return forbidden
	}
	return optional
}

// needCertificateStatus: only when the client asked with status_request and
// the server agreed in its ServerHello (RFC 6066, 8).
func needCertificateStatus(t *Tracker) need {
	ch, sh := t.res.ClientHello, t.res.ServerHello
	if ch != nil && sh != nil && ch.StatusRequest && sh.StatusRequest {
		return optional
	}
	return forbidden
}

// needNewSessionTicket: only when both hellos carried session_ticket (RFC
// 5077, 3.2).
func needNewSessionTicket(t *Tracker) need {
	ch, sh := t.res.ClientHello, t.res.ServerHello
	if ch != nil && sh != nil && ch.SessionTicket && sh.SessionTicket {
		return optional
	}
	return forbidden
}

// needClientCertificate: the client answers a CertificateRequest with a
// Certificate, possibly empty (RFC 5246, 7.4.6); an SSL 3.0 client without
// one sends a no_certificate warning alert instead (RFC 6101, 5.4.6).
func needClientCertificate(t *Tracker) need {
	switch {
	case !t.certRequested:
		return forbidden
	case t.noCertificateAlert:
		return optional
	}
	return requiredByRule
}

// needCertificateVerify: sent iff the client sent a non-empty certificate
// (RFC 5246, 7.4.8).
func needCertificateVerify(t *Tracker) need {
	if t.res.ClientCertificate == ClientCertSent {
		return requiredByRule
	}
	return forbidden
}

// needCertificateRequest13: "Servers which are authenticating with a PSK
// MUST NOT send the CertificateRequest message in the main handshake" (RFC
// 8446, 4.3.2).
func needCertificateRequest13(t *Tracker) need {
	if t.res.Resumed {
		return forbidden
	}
	return optional
}

// needServerAuth13: a server authenticates with a certificate unless a PSK
// does (RFC 8446, 4.4.2 and 4.4.3).
func needServerAuth13(t *Tracker) need {
	if t.res.Resumed {
		return forbidden
	}
	return requiredByRule
}

// needServerCertificate13: the server's Certificate, unless it sent it
// compressed (needCompressedCertificate).
func needServerCertificate13(t *Tracker) need {
	if t.keys != nil && t.keys.compressed {
		return forbidden
	}
	return needServerAuth13(t)
}

// needCompressedCertificate: only when the client offered compress_certificate
// and the server authenticates with a certificate (RFC 8879, 3 and 4).
func needCompressedCertificate(t *Tracker) need {
	if t.res.Resumed || t.res.ClientHello == nil || len(t.res.ClientHello.CompressCertificate) == 0 {
		return forbidden
	}
	return optional
}

// needClientCertificate13: the client answers a CertificateRequest with a
// Certificate, empty when it has none, and sends none unasked (RFC 8446,
// 4.4.2).
func needClientCertificate13(t *Tracker) need {
	if t.certRequested {
		return requiredByRule
	}
	return forbidden
}

package decode

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// The TLS 1.3 forms of the messages whose layout TLS 1.3 changed while
// keeping their type: CertificateRequest and NewSessionTicket (and
// Certificate, certificate.go). They travel encrypted, so Stream never
// meets them; a caller with keys parses them with ParseHandshake13. They
// fill the TLS 1.2 message types, whose fields mean the same.

// ParseHandshake13 parses the body of one handshake message of type typ
// in its TLS 1.3 form (RFC 8446, Section 4): Certificate,
// CertificateRequest and NewSessionTicket as TLS 1.3 lays them out, every
// other type as ParseHandshake does. A body that does not parse gives a
// *Error with CodeMalformedHandshake. The message does not keep body.
func ParseHandshake13(typ HandshakeType, body []byte) (Message, error) {
	var p func([]byte) (Message, error)
	switch typ {
	case HandshakeCertificate:
		p = func(b []byte) (Message, error) { return parseCertificate13(b) }
	case HandshakeCertificateRequest:
		p = parseCertificateRequest13
	case HandshakeNewSessionTicket:
		p = parseNewSessionTicket13
	default:
		return ParseHandshake(typ, body)
	}
	m, err := p(body)
	if err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: fmt.Sprintf("%s (TLS 1.3): %v", typ, err)}
	}
	return m, nil
}

// parseCertificateRequest13 parses opaque
// certificate_request_context<0..2^8-1> and Extension
// extensions<2..2^16-1> (RFC 8446, Section 4.3.2), of which
// signature_algorithms "MUST be specified".
func parseCertificateRequest13(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := &CertificateRequest{TLS13: true}
	var ctx cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&ctx) {
		return nil, errTruncated
	}
	m.Context = append([]byte{}, ctx...)
	var err error
	m.Extensions, err = readExtensions(&s, nil, func(typ ExtensionType, data cryptobyte.String) error {
		var err error
		switch typ {
		case ExtSignatureAlgorithms:
			m.SignatureAlgorithms, err = readUint16List[SignatureScheme](data, nil)
		case ExtSignatureAlgorithmsCert:
			m.SignatureAlgorithmsCert, err = readUint16List[SignatureScheme](data, nil)
		case ExtCertificateAuthorities:
			m.CertificateAuthorities, m.CertificateAuthoritiesCount, err = readCertificateAuthorities(data)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.SignatureAlgorithms == nil {
		return nil, parseError("no signature_algorithms extension")
	}
	return m, nil
}

// parseNewSessionTicket13 parses uint32 ticket_lifetime, uint32
// ticket_age_add, opaque ticket_nonce<0..255>, opaque ticket<1..2^16-1>
// and Extension extensions<0..2^16-2>, of which early_data carries uint32
// max_early_data_size (RFC 8446, Sections 4.6.1 and 4.2.10).
func parseNewSessionTicket13(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := &NewSessionTicket{TLS13: true}
	var nonce, ticket cryptobyte.String
	if !s.ReadUint32(&m.LifetimeHint) || !s.ReadUint32(&m.AgeAdd) || !s.ReadUint8LengthPrefixed(&nonce) ||
		!s.ReadUint16LengthPrefixed(&ticket) {
		return nil, errTruncated
	}
	if len(ticket) == 0 {
		return nil, parseError("empty ticket")
	}
	m.NonceLength, m.TicketLength = len(nonce), len(ticket)
	var err error
	m.Extensions, err = readExtensions(&s, nil, func(typ ExtensionType, data cryptobyte.String) error {
		if typ != ExtEarlyData {
			return nil
		}
		m.EarlyData = true
		if !data.ReadUint32(&m.MaxEarlyDataSize) || !data.Empty() {
			return errTruncated
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

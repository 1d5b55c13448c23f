package decode

import "golang.org/x/crypto/cryptobyte"

// CertificateRequest asks the client for a certificate, in the TLS 1.2
// form (RFC 5246, Section 7.4.4), the TLS 1.0/1.1 and SSL 3.0 form
// without signature algorithms (RFC 4346, Section 7.4.4), or the TLS 1.3
// form (RFC 8446, Section 4.3.2; ParseHandshake13), which says the same in
// extensions and has no certificate_types.
type CertificateRequest struct {
	CertificateTypes    []ClientCertificateType // nil in the TLS 1.3 form
	SignatureAlgorithms []SignatureScheme       // nil in the TLS 1.0/1.1 form
	// TLS13 says the message is in the TLS 1.3 form: Context is its
	// certificate_request_context (empty in the handshake, set after it:
	// RFC 8446, Section 4.3.2), Extensions its extensions in wire order,
	// SignatureAlgorithmsCert its signature_algorithms_cert.
	TLS13                   bool
	Context                 []byte
	Extensions              []Extension
	SignatureAlgorithmsCert []SignatureScheme
	// CertificateAuthorities are the DistinguishedNames as RFC 4514
	// strings, at most MaxDistinguishedNames of them;
	// CertificateAuthoritiesCount counts them all.
	CertificateAuthorities      []string
	CertificateAuthoritiesCount int
}

// Type returns HandshakeCertificateRequest.
func (m *CertificateRequest) Type() HandshakeType { return HandshakeCertificateRequest }

// parseCertificateRequest tries the TLS 1.2 form first and then the older
// one: the body does not say which version it belongs to. The two cannot
// both parse, since the older form's certificate_authorities fills the
// body and leaves nothing for the TLS 1.2 form's last vector.
func parseCertificateRequest(body []byte) (Message, error) {
	if m, err := parseCertificateRequestForm(body, true); err == nil {
		return m, nil
	}
	return parseCertificateRequestForm(body, false)
}

// parseCertificateRequestForm parses ClientCertificateType
// certificate_types<1..2^8-1>, with tls12 SignatureAndHashAlgorithm
// supported_signature_algorithms<2..2^16-2>, then DistinguishedName
// certificate_authorities<0..2^16-1> of DistinguishedName<1..2^16-1>.
func parseCertificateRequestForm(body []byte, tls12 bool) (*CertificateRequest, error) {
	s := cryptobyte.String(body)
	m := new(CertificateRequest)
	var types, cas cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&types) {
		return nil, errTruncated
	}
	if len(types) == 0 {
		return nil, parseError("empty certificate_types")
	}
	m.CertificateTypes = make([]ClientCertificateType, len(types))
	for i, t := range types {
		m.CertificateTypes[i] = ClientCertificateType(t)
	}
	if tls12 {
		var algs cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&algs) {
			return nil, errTruncated
		}
		if len(algs) == 0 || len(algs)%2 != 0 {
			return nil, parseError("supported_signature_algorithms length must be even and non-zero")
		}
		m.SignatureAlgorithms = make([]SignatureScheme, 0, len(algs)/2)
		for !algs.Empty() {
			var a uint16
			algs.ReadUint16(&a)
			m.SignatureAlgorithms = append(m.SignatureAlgorithms, SignatureScheme(a))
		}
	}
	if !s.ReadUint16LengthPrefixed(&cas) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	var err error
	if m.CertificateAuthorities, m.CertificateAuthoritiesCount, err = readDistinguishedNames(cas); err != nil {
		return nil, err
	}
	return m, nil
}

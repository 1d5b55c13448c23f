package decode

// CertificateVerify proves possession of the certificate's key (RFC 5246,
// Section 7.4.8; RFC 8446, Section 4.4.3). Its layout differs between
// versions (TLS 1.2 prefixes the signature with its algorithm), so only
// its length is kept.
type CertificateVerify struct {
	Length int
}

// Type returns HandshakeCertificateVerify.
func (m *CertificateVerify) Type() HandshakeType { return HandshakeCertificateVerify }

func parseCertificateVerify(body []byte) (Message, error) {
	return &CertificateVerify{Length: len(body)}, nil
}

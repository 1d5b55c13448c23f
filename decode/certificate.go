package decode

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Certificate is a certificate chain. In the TLS <= 1.2 form (RFC 5246,
// Section 7.4.2) only Certificates is set; ParseCertificate13 fills Context
// too. Certificates are DER bytes, copied; an empty list is a client
// without a certificate (RFC 5246, Section 7.4.6).
type Certificate struct {
	Certificates [][]byte
	Context      []byte
}

// Type returns HandshakeCertificate.
func (m *Certificate) Type() HandshakeType { return HandshakeCertificate }

// maxCertificateList bounds the certificate_list length field. The
// message itself is bounded by maxHandshake, so a larger list cannot be
// present; the named bound turns a hostile length (up to 2^24-1) into a
// precise error before anything is read, instead of a truncation.
const maxCertificateList = maxHandshake - 3

// readCertificateList reads the uint24 length of a certificate_list,
// checks it against maxCertificateList, and returns the list.
func readCertificateList(s *cryptobyte.String) (cryptobyte.String, error) {
	var n uint32
	if !s.ReadUint24(&n) {
		return nil, errTruncated
	}
	if n > maxCertificateList {
		return nil, parseError(fmt.Sprintf("certificate_list length %d exceeds %d", n, maxCertificateList))
	}
	var list []byte
	if !s.ReadBytes(&list, int(n)) {
		return nil, errTruncated
	}
	return list, nil
}

// parseCertificate parses the TLS <= 1.2 form: ASN.1Cert
// certificate_list<0..2^24-1>, each ASN.1Cert<1..2^24-1>.
func parseCertificate(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	list, err := readCertificateList(&s)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	n, size := 0, 0
	for rest := list; !rest.Empty(); n++ {
		var cert cryptobyte.String
		if !rest.ReadUint24LengthPrefixed(&cert) {
			return nil, errTruncated
		}
		if len(cert) == 0 {
			return nil, parseError("empty certificate")
		}
		size += len(cert)
	}
	m, der := newCertificate(n, size)
	for i := range m.Certificates {
		var cert cryptobyte.String
		list.ReadUint24LengthPrefixed(&cert)
		m.Certificates[i], der = der[:len(cert):len(cert)], der[len(cert):]
		copy(m.Certificates[i], cert)
	}
	return m, nil
}

// certificateRoom is a Certificate allocated with room for the list of a
// usual chain (within).
type certificateRoom struct {
	m     Certificate
	certs [4][]byte
}

// newCertificate returns a Certificate whose list has room for n
// certificates, nil when n is 0, and the buffer their copies share, of
// size bytes: both are counted in a first pass over the list, so that a
// chain costs two allocations, not two per certificate.
func newCertificate(n, size int) (*Certificate, []byte) {
	r := new(certificateRoom)
	if n == 0 {
		return &r.m, nil
	}
	r.m.Certificates = within(r.certs[:], n)
	return &r.m, make([]byte, size)
}

// ParseCertificate13 parses the TLS 1.3 form of a Certificate body (RFC
// 8446, Section 4.4.2): certificate_request_context<0..255>, then
// CertificateEntry certificate_list<0..2^24-1> of cert_data<1..2^24-1> and
// extensions<0..2^16-1>. Stream never uses it: in TLS 1.3 the message is
// encrypted, so only a caller with keys has the body. A body that does
// not parse gives a *Error with CodeMalformedHandshake.
func ParseCertificate13(body []byte) (*Certificate, error) {
	m, err := parseCertificate13(body)
	if err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: "certificate (TLS 1.3): " + err.Error()}
	}
	return m, nil
}

func parseCertificate13(body []byte) (*Certificate, error) {
	s := cryptobyte.String(body)
	var ctx cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&ctx) {
		return nil, errTruncated
	}
	list, err := readCertificateList(&s)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	n, size := 0, 0
	for rest := list; !rest.Empty(); n++ {
		var cert, exts cryptobyte.String
		if !rest.ReadUint24LengthPrefixed(&cert) || !rest.ReadUint16LengthPrefixed(&exts) {
			return nil, errTruncated
		}
		if len(cert) == 0 {
			return nil, parseError("empty cert_data")
		}
		size += len(cert)
	}
	m, der := newCertificate(n, size)
	m.Context = append([]byte{}, ctx...)
	for i := range m.Certificates {
		var cert, exts cryptobyte.String
		list.ReadUint24LengthPrefixed(&cert)
		list.ReadUint16LengthPrefixed(&exts)
		m.Certificates[i], der = der[:len(cert):len(cert)], der[len(cert):]
		copy(m.Certificates[i], cert)
	}
	return m, nil
}

package decode

import "golang.org/x/crypto/cryptobyte"

// Certificate status types (RFC 6066, Section 8; RFC 6961, Section 2.2).
const (
	statusTypeOCSP      = 1
	statusTypeOCSPMulti = 2
)

// CertificateStatus carries a stapled OCSP response (RFC 6066, Section 8)
// or a list of them (RFC 6961, Section 2.2). ResponseLength is the length
// of the response, or of the whole list for ocsp_multi.
type CertificateStatus struct {
	StatusType     uint8
	ResponseLength int
}

// Type returns HandshakeCertificateStatus.
func (m *CertificateStatus) Type() HandshakeType { return HandshakeCertificateStatus }

// parseCertificateStatus parses status_type and then OCSPResponse
// ocsp_response<1..2^24-1> (ocsp) or OCSPResponse
// ocsp_response_list<1..2^24-1> (ocsp_multi).
func parseCertificateStatus(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := new(CertificateStatus)
	var resp cryptobyte.String
	if !s.ReadUint8(&m.StatusType) {
		return nil, errTruncated
	}
	if m.StatusType != statusTypeOCSP && m.StatusType != statusTypeOCSPMulti {
		return nil, parseError("unknown status_type")
	}
	if !s.ReadUint24LengthPrefixed(&resp) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	if len(resp) == 0 {
		return nil, parseError("empty response")
	}
	m.ResponseLength = len(resp)
	return m, nil
}

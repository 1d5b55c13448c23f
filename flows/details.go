package flows

import "github.com/hsdecode/hsdecode/decode"

// What the messages say in clear, kept for the report.

// details keeps what a message shows in clear, the first of each kind,
// whether or not the order allows it: a user looking at a violation wants
// to see the offending message too. Certificates are kept as summaries,
// so the message and its DER can go.
func (t *Tracker) details(d *sideState, m decode.Message) {
	r := &t.res
	switch m := m.(type) {
	case *decode.ServerHello:
		if m.HelloRetryRequest && r.HelloRetryRequest == nil {
			r.HelloRetryRequest = m
		}
	case *decode.Certificate:
		if d.role == Server && r.ServerCertificates == nil {
			r.ServerCertificates = t.col.chain(m)
		} else if d.role == Client && r.ClientCertificates == nil {
			r.ClientCertificates = t.col.chain(m)
		}
	case *decode.EncryptedExtensions:
		// What a TLS 1.2 ServerHello says, TLS 1.3 says here (RFC 8446,
		// 4.3.1).
		if r.EncryptedExtensions == nil {
			r.EncryptedExtensions = m
			r.ALPN = m.ALPN
		}
	case *decode.CertificateRequest:
		if r.CertificateRequest == nil {
			r.CertificateRequest = m
		}
	case *decode.CertificateStatus:
		if r.CertificateStatus == nil {
			r.CertificateStatus = m
		}
	case *decode.NewSessionTicket:
		if r.NewSessionTicket == nil {
			r.NewSessionTicket = m
		}
	}
}

package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// Mutual TLS: the server asked for a client certificate and ended the
// handshake over what the client sent (docs/diagnosis.md, "Mutual TLS").

// clientCertificate diagnoses a server's plaintext (or decrypted) alert
// after it asked for a certificate.
func (c *conn) clientCertificate() *flows.Diagnosis {
	r := c.r
	a := c.fatal
	if a == nil || a.Encrypted || a.From != flows.Server {
		return nil
	}
	desc := a.Description.String()
	ev := []string{"the handshake ended with " + alertText(a, c.decrypted)}
	ev = append(ev, caNames(r)...)
	switch r.ClientCertificate {
	case flows.ClientCertEmpty, flows.ClientCertMissing:
		// GnuTLS's server answers an empty certificate with decode_error.
		if !slices.Contains([]string{"handshake_failure", "certificate_required", "bad_certificate", "certificate_unknown", "access_denied", "decode_error"}, desc) {
			return nil
		}
		sent := "sent an empty Certificate message"
		if r.ClientCertificate == flows.ClientCertMissing {
			sent = "sent no Certificate message"
		}
		return &flows.Diagnosis{Code: CodeClientCertMissing,
			Cause:    "The server requires a client certificate and the client " + sent + ".",
			Evidence: ev,
			Hint:     "Give the client a certificate and key issued by a CA the server accepts" + namesHint(r) + "; a client that has one may not find it acceptable for the names the server listed."}
	case flows.ClientCertSent:
	default:
		return nil
	}
	l := leaf(r.ClientCertificates)
	ev = append(ev, chainLines("client", r.ClientCertificates)...)
	if l != nil && !issuerAccepted(r) &&
		slices.Contains([]string{"unknown_ca", "bad_certificate", "certificate_unknown", "handshake_failure", "access_denied"}, desc) {
		return &flows.Diagnosis{Code: CodeClientCertIssuerNotAccepted,
			Cause:    fmt.Sprintf("The client's certificate was issued by %s, which is not among the CAs the server accepts.", l.Issuer),
			Evidence: ev,
			Hint:     "Use a client certificate issued by one of the server's CAs" + namesHint(r) + ", or add its issuer to the server's trusted CAs."}
	}
	d := &flows.Diagnosis{Evidence: ev}
	switch desc {
	case "unknown_ca":
		d.Code = CodeClientCertUntrusted
		d.Cause = "The server does not trust the CA that issued the client's certificate."
		if l != nil {
			d.Cause = fmt.Sprintf("The server does not trust %s, the issuer of the client's certificate.", l.Issuer)
		}
		d.Hint = "Add the client certificate's issuer (and the intermediates up to it) to the server's trusted CAs, or have the client send its whole chain."
	case "certificate_expired":
		d.Code = CodeClientCertExpired
		d.Cause = "The server refused the client's certificate as expired."
		if l != nil {
			if _, text := validity(l, r.Start.UTC()); text != "" {
				d.Cause = "The client's certificate " + text + "; the server refused it."
			} else {
				d.Evidence = append(d.Evidence, fmt.Sprintf("the client's certificate was valid at the capture's time (%s): the server's clock may be wrong", day(r.Start)))
			}
		}
		d.Hint = "Renew the client's certificate (or set the server's clock)."
	case "decrypt_error":
		d.Code = CodeClientCertBadSignature
		d.Cause = "The server could not verify the client's CertificateVerify signature with the key in its certificate."
		d.Hint = "Check that the client's private key belongs to its certificate, and that the signature scheme it uses is one the server offered in its CertificateRequest."
	case "bad_certificate", "unsupported_certificate", "certificate_unknown", "certificate_revoked", "access_denied":
		d.Code = CodeClientCertRejected
		d.Cause = fmt.Sprintf("The server refused the client's certificate (%s).", desc)
		if l != nil {
			if _, text := validity(l, r.Start.UTC()); text != "" {
				d.Code, d.Cause = CodeClientCertExpired, "The client's certificate "+text+"; the server refused it."
			}
		}
		d.Hint = "Check the client certificate's key usage (clientAuth), dates and revocation status against the server's policy; the server's log says which check failed."
	default:
		return nil
	}
	return d
}

// caNames is the evidence of which CAs the server's CertificateRequest
// named.
func caNames(r *flows.Result) []string {
	cr := r.CertificateRequest
	if cr == nil {
		return nil
	}
	if len(cr.CertificateAuthorities) == 0 {
		return []string{"the server asked for a client certificate and named no CA (any issuer it trusts)"}
	}
	s := "the server asked for a client certificate from one of: " + strings.Join(cr.CertificateAuthorities, "; ")
	if n := cr.CertificateAuthoritiesCount - len(cr.CertificateAuthorities); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return []string{s}
}

func namesHint(r *flows.Result) string {
	if cr := r.CertificateRequest; cr != nil && len(cr.CertificateAuthorities) > 0 {
		return " (" + strings.Join(cr.CertificateAuthorities, "; ") + ")"
	}
	return ""
}

// issuerAccepted says whether the client's chain reaches one of the CA
// names the server listed, or the server listed none (or more than were
// kept, so that the answer is unknown).
func issuerAccepted(r *flows.Result) bool {
	cr := r.CertificateRequest
	if cr == nil || len(cr.CertificateAuthorities) == 0 || cr.CertificateAuthoritiesCount > len(cr.CertificateAuthorities) {
		return true
	}
	for _, c := range r.ClientCertificates.Certificates {
		if slices.Contains(cr.CertificateAuthorities, c.Issuer) || slices.Contains(cr.CertificateAuthorities, c.Subject) {
			return true
		}
	}
	return false
}

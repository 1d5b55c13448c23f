package diagnose

import (
	"fmt"
	"slices"

	"github.com/hsdecode/hsdecode/flows"
)

// The client rejected the server's certificate (docs/diagnosis.md, "The
// client rejected the server").

// serverCertificate diagnoses a client's alert after the server's
// certificate.
func (c *conn) serverCertificate() *flows.Diagnosis {
	r := c.r
	a := c.fatal
	if a == nil || a.Encrypted || a.From != flows.Client || !c.answered() {
		return nil
	}
	desc := a.Description.String()
	if !slices.Contains([]string{"unknown_ca", "bad_certificate", "certificate_unknown", "certificate_expired",
		"unsupported_certificate", "certificate_revoked", "decrypt_error"}, desc) {
		return nil
	}
	ev := []string{"the handshake ended with " + alertText(a, c.decrypted)}
	l := leaf(r.ServerCertificates)
	if l == nil {
		ev = append(ev, "the server's certificate is not in the capture: TLS 1.3 sends it encrypted (give the key log, --keylog, to see it)")
	}
	ev = append(ev, chainLines("server", r.ServerCertificates)...)
	sni := r.ServerName
	if sni != "" {
		ev = append(ev, "the client asked for "+sni+" (SNI)")
	}
	d := &flows.Diagnosis{Evidence: ev}
	switch desc {
	case "unknown_ca":
		d.Code = CodeServerCertUntrusted
		d.Cause = "The client does not trust the CA that issued the server's certificate."
		d.Hint = "Give the client the CA that issued the server's certificate, or have the server use a certificate from a CA the client trusts."
		if l == nil {
			break
		}
		ch := r.ServerCertificates
		top := &ch.Certificates[len(ch.Certificates)-1]
		d.Cause = fmt.Sprintf("The client does not trust %s, the issuer of the server's certificate.", top.Issuer)
		switch {
		case ch.Count == 1 && l.Subject == l.Issuer:
			d.Cause = fmt.Sprintf("The server's certificate %s is self-signed and the client does not trust it.", l.Subject)
			d.Hint = "Add the server's self-signed certificate to the client's trusted CAs, or give the server one issued by a CA the client trusts."
		case ch.Count == 1:
			d.Evidence = append(d.Evidence, "the server sent only its own certificate, no intermediate")
			d.Hint = fmt.Sprintf("Give the client %s as a trusted CA; if it is an intermediate, have the server send it with its certificate.", l.Issuer)
		default:
			d.Hint = fmt.Sprintf("Give the client the root that issued %s as a trusted CA.", top.Issuer)
		}
	case "decrypt_error":
		d.Code = CodeServerCertRejected
		d.Cause = "The client could not verify the server's signature (its key exchange or CertificateVerify) with the key in its certificate."
		d.Hint = "Check that the server's private key belongs to its certificate."
	default:
		if l != nil {
			if code, text := validity(l, r.Start.UTC()); code != "" {
				d.Code, d.Cause = code, "The server's certificate "+text+"."
				d.Hint = "Renew the server's certificate (or, when it is not yet valid, check the clocks of the server that issued it and of the client)."
				return d
			}
		}
		if desc == "certificate_expired" {
			d.Code = CodeServerCertExpired
			d.Cause = "The client refused the server's certificate as expired."
			if l != nil {
				d.Evidence = append(d.Evidence, fmt.Sprintf("the server's certificate was valid at the capture's time (%s): the client's clock may be wrong", day(r.Start)))
			}
			d.Hint = "Check the client's clock, and renew the server's certificate if it is near its end."
			return d
		}
		if l != nil && sni != "" && !coversName(l, sni) {
			d.Code = CodeServerCertNameMismatch
			d.Cause = fmt.Sprintf("The server's certificate does not cover %s, the name the client asked for.", sni)
			d.Evidence = append(d.Evidence, fmt.Sprintf("the certificate's subject alternative names: %s (none matches %s by crypto/x509's rules)", sans(l), sni))
			d.Hint = fmt.Sprintf("Give the server a certificate whose subject alternative names include %s, or have the client ask for one of the names it has.", sni)
			return d
		}
		d.Code = CodeServerCertRejected
		d.Cause = fmt.Sprintf("The client refused the server's certificate (%s).", desc)
		if l != nil && sni != "" {
			// Go's client sends bad_certificate for every failed check.
			d.Cause = fmt.Sprintf("The client refused the server's certificate (%s); its dates and names are right, so the usual cause is an issuer the client does not trust (%s).", desc, l.Issuer)
		}
		if l != nil && sni == "" {
			d.Evidence = append(d.Evidence, "the client sent no SNI: it may have checked the certificate against the address it dialled ("+sans(l)+" are its names)")
		}
		d.Hint = "The client's log says which check failed: its trusted CAs, key usage (serverAuth), revocation, policy or a pinned key."
	}
	return d
}

package diagnose

import (
	"fmt"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// Findings on established connections (docs/diagnosis.md, "Findings"):
// the diagnosis explains the first finding of the gate's rules that has
// one, so that it appears where --fail-on selected the rule.

// established diagnoses an established connection's first finding.
func (c *conn) established(findings []report.Finding) *flows.Diagnosis {
	for _, f := range findings {
		var d *flows.Diagnosis
		switch f.Rule {
		case report.RuleLegacyVersion:
			d = c.legacyVersion(f)
		case report.RuleWeakCipher:
			d = c.weakCipher(f)
		case report.RuleExpiredCert:
			d = c.expiredCert(f)
		case report.RuleNoSNI:
			d = c.noSNI()
		case report.RuleOverlapMismatch:
			d = &flows.Diagnosis{Code: CodeOverlapMismatch, Evidence: []string{f.Detail},
				Cause: "Overlapping TCP copies of the same bytes carried different data: the receiver read one of them, and a monitor may read another.",
				Hint:  "An IDS evasion tool or a broken middlebox sends such copies; find which host sent them."}
		}
		if d != nil {
			return d
		}
	}
	return nil
}

func (c *conn) legacyVersion(f report.Finding) *flows.Diagnosis {
	r := c.r
	d := &flows.Diagnosis{Code: CodeLegacyVersion, Evidence: []string{f.Detail}}
	if ch := r.ClientHello; ch != nil {
		d.Evidence = append(d.Evidence, "the client offered versions: "+offeredVersions(ch))
		if ch.MaxVersion() > r.Version {
			d.Cause = fmt.Sprintf("The server chose %s although the client offered up to %s.", r.Version, ch.MaxVersion())
			d.Hint = "Enable TLS 1.2 and 1.3 on the server."
		} else {
			d.Cause = fmt.Sprintf("The client offered nothing newer than %s.", r.Version)
			d.Hint = "Update or configure the client to offer TLS 1.2 or 1.3."
		}
	} else {
		d.Cause = fmt.Sprintf("The connection negotiated %s.", r.Version)
		d.Hint = "Enable TLS 1.2 and 1.3 on both sides."
	}
	if p := c.server; p != nil {
		d.Evidence = append(d.Evidence, c.chosen(p)...)
	}
	return d
}

func (c *conn) weakCipher(f report.Finding) *flows.Diagnosis {
	r := c.r
	d := &flows.Diagnosis{Code: CodeWeakCipher, Evidence: []string{f.Detail},
		Cause: fmt.Sprintf("The connection uses %s, a weak suite (%s).", r.CipherSuite, strings.Join(report.WeakCipher(r.CipherSuite), ", ")),
		Hint:  "Remove the weak suites from the server's list (and the client's)."}
	if ch := r.ClientHello; ch != nil {
		var strong []decode.CipherSuite
		for _, s := range ch.CipherSuites {
			if !decode.IsGREASE(uint16(s)) && len(report.WeakCipher(s)) == 0 && s != fallbackSCSV && s != 0x00ff {
				strong = append(strong, s)
			}
		}
		if len(strong) > 0 {
			d.Evidence = append(d.Evidence, fmt.Sprintf("the client also offered suites that are not weak (%d): %s", len(strong), listOf(strong)))
			d.Cause += " The server chose it over stronger ones the client offered."
		} else {
			d.Evidence = append(d.Evidence, "the client offered no suite that is not weak")
			d.Cause += " The client offered nothing stronger."
			d.Hint = "Configure the client to offer AEAD suites (AES-GCM, ChaCha20-Poly1305) and TLS 1.2 or later."
		}
	}
	return d
}

func (c *conn) expiredCert(f report.Finding) *flows.Diagnosis {
	r := c.r
	l := leaf(r.ServerCertificates)
	if l == nil {
		return nil
	}
	code, text := validity(l, r.Start.UTC())
	if code == "" {
		return nil
	}
	return &flows.Diagnosis{Code: CodeExpiredCert,
		Cause:    "The client completed the handshake with a server certificate that " + text + ": it does not check the certificate's dates.",
		Evidence: append([]string{f.Detail}, chainLines("server", r.ServerCertificates)...),
		Hint:     "Renew the server's certificate, and make the client verify certificates (a client that accepts this accepts anyone's)."}
}

func (c *conn) noSNI() *flows.Diagnosis {
	r := c.r
	d := &flows.Diagnosis{Code: CodeNoSNI,
		Cause:    "The client sent no server name (SNI): a server with several names can only give its default certificate.",
		Evidence: []string{"the ClientHello has no server_name extension"},
		Hint:     "Have the client connect by host name (or set the name in its TLS configuration): SNI is what virtual hosting and many firewalls need."}
	if l := leaf(r.ServerCertificates); l != nil {
		d.Evidence = append(d.Evidence, fmt.Sprintf("the server gave %s, for the names %s", l.Subject, sans(l)))
	}
	return d
}

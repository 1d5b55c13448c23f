package diagnose

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// How the evidence names what the capture shows. Wire strings are kept as
// they are: the writers escape them (report/escape.go).

// maxListed bounds the values a list of the evidence names; the rest are
// counted.
const maxListed = 12

// listOf names values, GREASE left out, at most maxListed of them.
func listOf[T interface {
	~uint16
	fmt.Stringer
}](vs []T) string {
	var names []string
	n := 0
	for _, v := range vs {
		if decode.IsGREASE(uint16(v)) {
			continue
		}
		if n++; n <= maxListed {
			names = append(names, v.String())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	s := strings.Join(names, ", ")
	if n > maxListed {
		s += fmt.Sprintf(" and %d more", n-maxListed)
	}
	return s
}

// offeredVersions names the versions a ClientHello offers.
func offeredVersions(ch *decode.ClientHello) string {
	if len(ch.SupportedVersions) > 0 {
		return listOf(ch.SupportedVersions)
	}
	return "up to " + ch.LegacyVersion.String() + ", without supported_versions"
}

// offer is the evidence of what a client offered: versions, suites,
// groups, signature schemes.
func offer(ch *decode.ClientHello) []string {
	ev := []string{
		"the client offered versions: " + offeredVersions(ch),
		fmt.Sprintf("the client offered %s: %s", plural(countNonGREASE(ch.CipherSuites), "cipher suite"), listOf(ch.CipherSuites)),
	}
	if len(ch.SupportedGroups) > 0 {
		ev = append(ev, "the client offered groups: "+listOf(ch.SupportedGroups))
	}
	if len(ch.SignatureAlgorithms) > 0 {
		ev = append(ev, "the client offered signature schemes: "+listOf(ch.SignatureAlgorithms))
	}
	return ev
}

// plural is "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func countNonGREASE(cs []decode.CipherSuite) int {
	n := 0
	for _, c := range cs {
		if !decode.IsGREASE(uint16(c)) {
			n++
		}
	}
	return n
}

// alertText names an alert and its sender.
func alertText(a *flows.Alert, decrypted bool) string {
	return alertName(a, false) + " from the " + string(a.From) + readWithKeys(decrypted)
}

// alertName names an alert: "a fatal unknown_ca alert".
func alertName(a *flows.Alert, decrypted bool) string {
	if a.Encrypted {
		return "an encrypted alert"
	}
	return fmt.Sprintf("a %s %s alert", a.Level, a.Description) + readWithKeys(decrypted)
}

func readWithKeys(decrypted bool) string {
	if decrypted {
		return " (decrypted with the key log)"
	}
	return ""
}

// lastBefore names the last message of the ladder before ts from the
// other side than from: what the alert answered.
func lastBefore(r *flows.Result, from flows.Role, ts time.Time) string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.From != from && !m.TS.After(ts) {
			if m.Type == flows.TypeEncrypted {
				return fmt.Sprintf("the %s's encrypted record", m.From)
			}
			return fmt.Sprintf("the %s's %s", m.From, m.Type)
		}
	}
	return "nothing from the " + string(other(from))
}

func other(r flows.Role) flows.Role {
	if r == flows.Client {
		return flows.Server
	}
	return flows.Client
}

// certLine describes one certificate of a chain.
func certLine(i int, c *decode.CertInfo) string {
	if c.Error != "" {
		return fmt.Sprintf("certificate %d (sha256 %s) does not parse: %s", i+1, c.SHA256, c.Error)
	}
	s := fmt.Sprintf("certificate %d: %s, issued by %s, valid %s to %s", i+1, c.Subject, c.Issuer, day(c.NotBefore), day(c.NotAfter))
	if c.Subject == c.Issuer {
		s += " (self-signed)"
	}
	return s
}

// chainLines describes a chain, a line per certificate.
func chainLines(who string, ch *flows.Chain) []string {
	if ch == nil || len(ch.Certificates) == 0 {
		return nil
	}
	ev := []string{fmt.Sprintf("the %s sent %s", who, plural(ch.Count, "certificate"))}
	for i := range ch.Certificates {
		ev = append(ev, certLine(i, &ch.Certificates[i]))
	}
	return ev
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// leaf is the first certificate of a chain that parsed, nil when none.
func leaf(ch *flows.Chain) *decode.CertInfo {
	if ch == nil || len(ch.Certificates) == 0 || ch.Certificates[0].Error != "" {
		return nil
	}
	return &ch.Certificates[0]
}

// validity says how a certificate's dates compare with the capture's
// time at: "" when valid then.
func validity(c *decode.CertInfo, at time.Time) (code, text string) {
	switch {
	case !c.NotAfter.IsZero() && at.After(c.NotAfter):
		return CodeServerCertExpired, fmt.Sprintf("%s expired %s, %s before the connection (%s)", c.Subject, day(c.NotAfter), ago(at.Sub(c.NotAfter)), day(at))
	case at.Before(c.NotBefore):
		return CodeServerCertNotYetValid, fmt.Sprintf("%s is not valid before %s, %s after the connection (%s)", c.Subject, day(c.NotBefore), ago(c.NotBefore.Sub(at)), day(at))
	}
	return "", ""
}

// ago says a duration in the largest unit that fits.
func ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}

// coversName says whether a certificate's SANs cover a host name, by
// crypto/x509's rules (wildcards in the leftmost label only, IP
// addresses against IP SANs, no fallback to the common name).
func coversName(c *decode.CertInfo, host string) bool {
	x := &x509.Certificate{DNSNames: c.DNSNames}
	for _, s := range c.IPAddresses {
		if ip := net.ParseIP(s); ip != nil {
			x.IPAddresses = append(x.IPAddresses, ip)
		}
	}
	return x.VerifyHostname(host) == nil
}

// sans names a certificate's subject alternative names.
func sans(c *decode.CertInfo) string {
	names := append(append([]string(nil), c.DNSNames...), c.IPAddresses...)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// printable shows bytes as text where they are printable ASCII, a dot
// elsewhere, and as hex: the first bytes of a side that is not TLS.
func printable(b []byte) string {
	var t, h strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' && c != '"' {
			t.WriteByte(c)
		} else {
			t.WriteByte('.')
		}
		fmt.Fprintf(&h, "%02x", c)
	}
	return fmt.Sprintf("\"%s\" (hex %s)", t.String(), h.String())
}

package report

import (
	"fmt"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// Rule names a kind of finding that --fail-on can select. The outcome
// rules carry the outcome tokens of docs/handshake-order.md section 6
// unchanged; the others are judgments on the negotiated parameters.
type Rule string

// Rules, in the order they are listed and checked.
const (
	RuleViolation     Rule = "violation"      // outcome violation: one finding per violation
	RuleAlert         Rule = "alert"          // outcome alert
	RuleIncomplete    Rule = "incomplete"     // outcome incomplete
	RulePartial       Rule = "partial"        // outcome partial
	RuleGap           Rule = "gap"            // outcome gap
	RuleNotTLS        Rule = "not_tls"        // outcome not_tls
	RuleLegacyVersion Rule = "legacy-version" // negotiated below Rules.MinVersion
	RuleWeakCipher    Rule = "weak-cipher"    // NULL, anonymous, EXPORT, RC4, DES/3DES or MD5-MAC suite
	RuleExpiredCert   Rule = "expired-cert"   // server certificate outside its validity at the connection's start
	RuleNoSNI         Rule = "no-sni"         // a ClientHello without server_name
	// RuleOverlapMismatch: overlapping copies of bytes differed (Zeek's
	// rexmit_inconsistency, Suricata's
	// stream.reassembly_overlap_different_data), an evasion tool.
	RuleOverlapMismatch Rule = "overlap_mismatch"
)

// AllRules lists every rule.
var AllRules = []Rule{RuleViolation, RuleAlert, RuleIncomplete, RulePartial, RuleGap, RuleNotTLS,
	RuleLegacyVersion, RuleWeakCipher, RuleExpiredCert, RuleNoSNI, RuleOverlapMismatch}

// DefaultFailOn is what --fail-on selects when not given.
const DefaultFailOn = "violation,alert"

// Rules is what makes a finding: the selected rules and the lowest
// version legacy-version accepts.
type Rules struct {
	Selected   map[Rule]bool
	MinVersion decode.Version // zero: TLS 1.2
}

// ParseRules reads a comma-separated list of rule names ("violation,alert";
// "all" selects every rule, "none" or "" none).
func ParseRules(list string) (Rules, error) {
	r := Rules{Selected: map[Rule]bool{}}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch name {
		case "", "none":
			continue
		case "all":
			for _, a := range AllRules {
				r.Selected[a] = true
			}
			continue
		}
		known := false
		for _, a := range AllRules {
			// not-tls is accepted for not_tls: the other rules use dashes.
			if name == string(a) || (a == RuleNotTLS && name == "not-tls") {
				r.Selected[a], known = true, true
			}
		}
		if !known {
			names := make([]string, len(AllRules))
			for i, a := range AllRules {
				names[i] = string(a)
			}
			return Rules{}, fmt.Errorf("unknown rule %q (rules: %s, all, none)", name, strings.Join(names, ", "))
		}
	}
	return r, nil
}

// ParseVersion reads a version as --min-version takes it: "1.2", "TLS1.2",
// "TLS 1.2", "tls12", "SSL3", "ssl3.0".
func ParseVersion(s string) (decode.Version, error) {
	k := strings.ToLower(strings.NewReplacer(" ", "", "v", "", "_", "", "-", "").Replace(s))
	switch k {
	case "ssl3", "ssl3.0", "ssl30", "3.0":
		return decode.VersionSSL30, nil
	case "tls1.0", "tls10", "tls1", "1.0", "10":
		return decode.VersionTLS10, nil
	case "tls1.1", "tls11", "1.1", "11":
		return decode.VersionTLS11, nil
	case "tls1.2", "tls12", "1.2", "12":
		return decode.VersionTLS12, nil
	case "tls1.3", "tls13", "1.3", "13":
		return decode.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unknown version %q (SSL3, TLS1.0, TLS1.1, TLS1.2, TLS1.3)", s)
}

// String lists the selected rules in the order of AllRules.
func (rs Rules) String() string {
	var names []string
	for _, a := range AllRules {
		if rs.Selected[a] {
			names = append(names, string(a))
		}
	}
	return strings.Join(names, ",")
}

// Finding is one reason a connection fails the gate.
type Finding struct {
	Rule Rule
	// Code is the violation code for a violation, else the rule's name:
	// what JUnit shows as the failure's type.
	Code string
	// Detail says what was found, in a line.
	Detail string
}

// String is "rule: detail" ("violation unexpected_message: ...").
func (f Finding) String() string {
	if f.Code != string(f.Rule) {
		return string(f.Rule) + " " + f.Code + ": " + f.Detail
	}
	return string(f.Rule) + ": " + f.Detail
}

// Findings evaluates the selected rules on one connection, in the order
// of AllRules. It is the one place the gate's rules are decided: main
// evaluates it once per connection, turns its answer into the exit status
// and gives it to every format's Writer to show.
func Findings(r *flows.Result, rules Rules) []Finding {
	var out []Finding
	sel := rules.Selected
	switch r.Outcome {
	case flows.OutcomeViolation:
		if sel[RuleViolation] {
			for _, v := range r.Violations {
				d := v.Detail
				if d == "" {
					d = fmt.Sprintf("%s sent %s", v.From, v.Got)
				}
				out = append(out, Finding{Rule: RuleViolation, Code: string(v.Code), Detail: d})
			}
			if len(r.Violations) == 0 {
				out = append(out, Finding{Rule: RuleViolation, Code: string(RuleViolation), Detail: "the handshake broke its order"})
			}
		}
	case flows.OutcomeAlert:
		if sel[RuleAlert] {
			out = append(out, Finding{Rule: RuleAlert, Code: string(RuleAlert), Detail: alertDetail(r)})
		}
	case flows.OutcomeIncomplete, flows.OutcomePartial, flows.OutcomeGap, flows.OutcomeNotTLS:
		if rule := Rule(r.Outcome); sel[rule] {
			out = append(out, Finding{Rule: rule, Code: string(rule), Detail: outcomeDetail(r)})
		}
	}
	if sel[RuleLegacyVersion] && r.Version != 0 && legacy(r.Version, rules.minVersion()) {
		out = append(out, Finding{Rule: RuleLegacyVersion, Code: string(RuleLegacyVersion),
			Detail: fmt.Sprintf("negotiated %s, below %s", r.Version, rules.minVersion())})
	}
	if sel[RuleWeakCipher] && r.HasCipherSuite {
		if why := WeakCipher(r.CipherSuite); len(why) > 0 {
			out = append(out, Finding{Rule: RuleWeakCipher, Code: string(RuleWeakCipher),
				Detail: fmt.Sprintf("%s (%s)", r.CipherSuite, strings.Join(why, ", "))})
		}
	}
	if sel[RuleExpiredCert] {
		if d := expired(r); d != "" {
			out = append(out, Finding{Rule: RuleExpiredCert, Code: string(RuleExpiredCert), Detail: d})
		}
	}
	if sel[RuleNoSNI] && r.ClientHello != nil && r.ServerName == "" {
		out = append(out, Finding{Rule: RuleNoSNI, Code: string(RuleNoSNI), Detail: "the ClientHello names no server (no server_name extension)"})
	}
	if m := r.OverlapMismatch; sel[RuleOverlapMismatch] && m != (flows.OverlapMismatch{}) {
		out = append(out, Finding{Rule: RuleOverlapMismatch, Code: string(RuleOverlapMismatch),
			Detail: fmt.Sprintf("overlapping copies differed from the bytes kept: %d bytes from the client, %d from the server", m.Client, m.Server)})
	}
	return out
}

func (rs Rules) minVersion() decode.Version {
	if rs.MinVersion == 0 {
		return decode.VersionTLS12
	}
	return rs.MinVersion
}

// legacy says v is below min. SSL 2.0's 0x0002 is below everything; a
// TLS 1.3 draft (0x7fNN, fizz's 0xfb17 and 0xfb1a) counts as TLS 1.3;
// DTLS versions are not judged.
func legacy(v, min decode.Version) bool {
	switch {
	case v.IsTLS13():
		v = decode.VersionTLS13
	case v>>8 == 0xfe:
		return false
	}
	return v < min
}

// weakCipherParts are the name fragments of IANA suite names that make a
// suite weak, and why.
var weakCipherParts = []struct{ part, why string }{
	{"_NULL_", "NULL"},
	{"_anon_", "anonymous"},
	{"EXPORT", "EXPORT"},
	{"_RC4_", "RC4"},
	{"3DES", "3DES"},
	{"_DES_", "DES"},
	{"_DES40_", "DES"},
}

// WeakCipher returns why a suite is weak (NULL encryption or
// authentication, anonymous key exchange, EXPORT grade, RC4, DES or 3DES,
// an MD5 MAC), or nothing.
func WeakCipher(c decode.CipherSuite) []string {
	name := c.String() + "_"
	var why []string
	for _, p := range weakCipherParts {
		if strings.Contains(name, p.part) && (len(why) == 0 || why[len(why)-1] != p.why) {
			why = append(why, p.why)
		}
	}
	if strings.HasSuffix(name, "_MD5_") {
		why = append(why, "MD5 MAC")
	}
	return why
}

// expired says, for a server certificate outside its validity at the
// connection's start, which and how; "" otherwise. The leaf is judged: it
// is the certificate a client checks the name and dates of.
func expired(r *flows.Result) string {
	if r.ServerCertificates == nil || len(r.ServerCertificates.Certificates) == 0 {
		return ""
	}
	c := &r.ServerCertificates.Certificates[0]
	if c.Error != "" || c.NotAfter.IsZero() {
		return ""
	}
	at := r.Start.UTC()
	switch {
	case at.After(c.NotAfter):
		return fmt.Sprintf("server certificate %s expired %s, before the connection (%s)", certName(c), c.NotAfter.UTC().Format(timeLayoutSeconds), at.Format(timeLayoutSeconds))
	case at.Before(c.NotBefore):
		return fmt.Sprintf("server certificate %s not valid before %s, after the connection (%s)", certName(c), c.NotBefore.UTC().Format(timeLayoutSeconds), at.Format(timeLayoutSeconds))
	}
	return ""
}

const timeLayoutSeconds = "2006-01-02T15:04:05Z"

func certName(c *decode.CertInfo) string {
	if c.Subject != "" {
		return c.Subject
	}
	return "sha256 " + c.SHA256
}

// alertDetail names the alert that ended the handshake and who sent it.
func alertDetail(r *flows.Result) string {
	for i := len(r.Alerts) - 1; i >= 0; i-- {
		a := r.Alerts[i]
		if a.Encrypted {
			return fmt.Sprintf("encrypted alert from %s ended the handshake", a.From)
		}
		if a.Level == 2 {
			return fmt.Sprintf("fatal %s from %s ended the handshake", a.Description, a.From)
		}
	}
	if len(r.Alerts) > 0 {
		a := r.Alerts[len(r.Alerts)-1]
		return fmt.Sprintf("%s %s from %s ended the handshake", a.Level, a.Description, a.From)
	}
	return "an alert ended the handshake"
}

// outcomeDetail says what an outcome without a finer cause means.
func outcomeDetail(r *flows.Result) string {
	switch r.Outcome {
	case flows.OutcomeIncomplete:
		return "the connection or the capture ended before the handshake finished, with no alert"
	case flows.OutcomePartial:
		return "the capture began after the ClientHello"
	case flows.OutcomeGap:
		if g := r.Gap; g != nil {
			return fmt.Sprintf("bytes missing from the %s stream at offset %d", g.From, g.Offset)
		}
		return "bytes missing from the capture"
	case flows.OutcomeNotTLS:
		return "the connection does not carry TLS"
	}
	return string(r.Outcome)
}

package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// Nothing in common, and the other refusals of the ClientHello
// (docs/diagnosis.md, "Nothing in common").

// fallbackSCSV is TLS_FALLBACK_SCSV (RFC 7507, 6).
const fallbackSCSV decode.CipherSuite = 0x5600

// negotiation diagnoses a server's alert in answer to the ClientHello,
// before any ServerHello.
func (c *conn) negotiation() *flows.Diagnosis {
	r := c.r
	a, ch := c.fatal, r.ClientHello
	if a == nil || a.Encrypted || a.From != flows.Server || c.answered() || ch == nil {
		return nil
	}
	ev := []string{"the server answered the ClientHello with " + alertName(a, c.decrypted)}
	d := &flows.Diagnosis{}
	switch a.Description.String() {
	case "handshake_failure", "insufficient_security":
		d.Code = CodeNoCommonCipher
		d.Cause = "The server found nothing it accepts in the client's offer: no cipher suite, group or signature scheme in common."
		if a.Description.String() == "insufficient_security" {
			d.Code = CodeInsufficientSecurity
			d.Cause = "The server requires stronger parameters than any the client offered (RFC 5246, 7.2.2: insufficient_security)."
		}
		ev = append(ev, offer(ch)...)
		why, more := c.comparedWithOthers(ch)
		if why != "" {
			d.Cause = why
		}
		ev = append(ev, more...)
		d.Hint = "Enable on one side a cipher suite (and group, and signature scheme) the other supports: compare the client's offer with the server's configuration."
	case "protocol_version":
		d.Code = CodeNoCommonVersion
		d.Cause = fmt.Sprintf("The server supports none of the versions the client offered (%s).", offeredVersions(ch))
		ev = append(ev, "the client offered versions: "+offeredVersions(ch))
		if p := c.server; p != nil {
			ev = append(ev, c.chosen(p)...)
		}
		d.Hint = "Enable a version both sides support: TLS 1.2 or 1.3 on the client, or, if the client cannot be changed, the version it offers on the server."
	case "no_application_protocol":
		d.Code = CodeNoApplicationProtocol
		d.Cause = "The server supports none of the application protocols the client offered (ALPN: " + listStrings(ch.ALPN) + ")."
		ev = append(ev, "the client offered ALPN: "+listStrings(ch.ALPN))
		if p := c.server; p != nil && len(p.alpn) > 0 {
			ev = append(ev, fmt.Sprintf("the server selected %s for %s", tallies(p.alpn, func(s string) string { return s }), c.others(p)))
		} else if p != nil {
			ev = append(ev, fmt.Sprintf("the server completed handshakes for %s; which protocol it selected travels encrypted in TLS 1.3 (give the key log, --keylog, to see it)", c.others(p)))
		}
		d.Hint = "Offer from the client a protocol the server accepts (h2, http/1.1), or enable the client's on the server."
	case "unrecognized_name":
		d.Code = CodeUnrecognizedName
		d.Cause = "The server has no host named " + quoteName(ch.ServerName) + ", the name the client asked for (SNI)."
		if ch.ServerName == "" {
			d.Cause = "The server requires a server name (SNI) and the client sent none."
		}
		if p := c.server; p != nil && len(p.names) > 0 {
			ev = append(ev, fmt.Sprintf("the server completed handshakes for %s, %s", tallies(p.names, func(s string) string { return s }), c.others(p)))
		}
		d.Hint = "Have the client ask for a name the server is configured for, or add it to the server's virtual hosts."
	case "inappropriate_fallback":
		d.Code = CodeInappropriateFallback
		d.Cause = fmt.Sprintf("The client retried with a lower version (at most %s) and TLS_FALLBACK_SCSV, and the server, which supports a higher one, refused the downgrade (RFC 7507).", ch.MaxVersion())
		if slices.Contains(ch.CipherSuites, fallbackSCSV) {
			ev = append(ev, "the client's cipher suites include TLS_FALLBACK_SCSV: it says an attempt at a higher version failed")
		}
		ev = append(ev, "the client offered versions: "+offeredVersions(ch))
		if p := c.server; p != nil {
			ev = append(ev, c.chosen(p)...)
		}
		d.Hint = "Find why the client's first attempt at the higher version failed (an earlier connection of the same client; a middlebox that drops it); the fallback is what it did next."
	default:
		return nil
	}
	d.Evidence = ev
	return d
}

// comparedWithOthers compares a refused offer with what the same server
// chose for other clients: a sharper cause when one follows, and the
// evidence.
func (c *conn) comparedWithOthers(ch *decode.ClientHello) (string, []string) {
	p := c.server
	if p == nil || len(p.choices) == 0 {
		return "", nil
	}
	ev := c.chosen(p)
	var inOffer []string
	for _, t := range p.choices {
		if slices.Contains(ch.CipherSuites, t.v.suite) {
			inOffer = append(inOffer, t.v.suite.String())
		}
	}
	if len(inOffer) == 0 {
		max := ch.MaxVersion()
		top := p.choices[0].v
		if max < top.version && !isTLS13(max) {
			return fmt.Sprintf("The client offered only suites up to %s, and none of the suites the server chose for other clients (%s %s).", max, top.version, top.suite),
				append(ev, fmt.Sprintf("none of the suites the server chose is in this client's offer; the client offers at most %s", max))
		}
		return fmt.Sprintf("The client offered none of the cipher suites the server chose for other clients (%s %s).", top.version, top.suite),
			append(ev, "none of the suites the server chose is in this client's offer")
	}
	ev = append(ev, "this client offered "+strings.Join(inOffer, ", ")+" too")
	var missing []string
	for _, g := range p.groups {
		if !slices.Contains(ch.SupportedGroups, g.v) {
			missing = append(missing, g.v.String())
		}
	}
	if len(p.groups) > 0 && len(missing) == len(p.groups) && len(ch.SupportedGroups) > 0 {
		return fmt.Sprintf("The client offered none of the groups the server chose for other clients (%s).", strings.Join(missing, ", ")),
			append(ev, "none of the groups the server chose is in this client's supported_groups: "+listOf(ch.SupportedGroups))
	}
	return "", ev
}

// chosen is the evidence of what a server chose for the connections
// before this one.
func (c *conn) chosen(p *profile) []string {
	ev := []string{fmt.Sprintf("the server chose %s for %s",
		tallies(p.choices, func(v choice) string { return v.version.String() + " " + v.suite.String() }), c.others(p))}
	if len(p.groups) > 0 {
		ev = append(ev, "and the groups "+tallies(p.groups, func(g decode.NamedGroup) string { return g.String() }))
	}
	return ev
}

// others says how many other connections a profile holds, and that they
// came before this one.
func (c *conn) others(p *profile) string {
	if p.established == 1 {
		return "1 other connection before it"
	}
	return fmt.Sprintf("%d other connections before it", p.established)
}

// tallies lists counted values, each with its count when there are
// several.
func tallies[T comparable](l []tally[T], name func(T) string) string {
	if len(l) == 1 {
		return name(l[0].v)
	}
	parts := make([]string, len(l))
	for i, t := range l {
		parts[i] = fmt.Sprintf("%s (%d)", name(t.v), t.n)
	}
	return strings.Join(parts, ", ")
}

func listStrings(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func quoteName(s string) string { return `"` + s + `"` }

func isTLS13(v decode.Version) bool { return v.IsTLS13() }

// helloRetry diagnoses a handshake that failed after a HelloRetryRequest.
func (c *conn) helloRetry() *flows.Diagnosis {
	r := c.r
	hrr, ch := r.HelloRetryRequest, r.ClientHello
	if hrr == nil || ch == nil || c.answered() || c.fatal == nil {
		return nil
	}
	g := hrr.KeyShareGroup
	ev := []string{
		"the handshake ended with " + alertText(c.fatal, c.decrypted),
		fmt.Sprintf("the server's HelloRetryRequest asked for a key share in %s", g),
		"the client's first ClientHello offered groups: " + listOf(ch.SupportedGroups),
	}
	var shares []decode.NamedGroup
	for _, k := range ch.KeyShares {
		shares = append(shares, k.Group)
	}
	ev = append(ev, "with key shares for: "+listOf(shares))
	d := &flows.Diagnosis{Code: CodeHelloRetryFailed, Evidence: ev,
		Cause: fmt.Sprintf("The server asked the client to retry with %s (HelloRetryRequest), and the handshake did not converge.", g),
		Hint:  "Make the client send a key share in a group the server takes first, or the server accept one of the client's shares; a second ClientHello that differs in more than its key share is refused (RFC 8446, 4.1.2)."}
	if g != 0 && !slices.Contains(ch.SupportedGroups, g) {
		d.Cause = fmt.Sprintf("The server asked for a key share in %s, a group the client never offered (RFC 8446, 4.1.4: illegal_parameter).", g)
	}
	return d
}

// encryptedAlert diagnoses a handshake that an encrypted alert ended,
// without the keys to read it.
func (c *conn) encryptedAlert() *flows.Diagnosis {
	r := c.r
	a := c.fatal
	if a == nil || !a.Encrypted {
		return nil
	}
	ev := []string{"the handshake ended with " + alertText(a, false) + ", after " + lastBefore(r, a.From, a.TS)}
	ev = append(ev, keysEvidence(r)...)
	d := &flows.Diagnosis{Evidence: ev, Code: CodeAlert}
	switch {
	case isTLS13(r.Version) && a.From == flows.Server:
		d.Code = CodeServerAlertEncrypted
		d.Cause = "The server refused the client's encrypted flight with an alert: this is how a TLS 1.3 server refuses the client's certificate, or its absence."
		d.Hint = "Read the connection with the client's key log (--keylog, SSLKEYLOGFILE) to see the alert and the client's certificate; check that the client has a certificate the server accepts."
	case isTLS13(r.Version):
		d.Code = CodeClientAlertEncrypted
		d.Cause = "The client refused the server's encrypted flight with an alert: usually it did not accept the server's certificate (its issuer, name or dates)."
		d.Hint = "Read the connection with the client's key log (--keylog, SSLKEYLOGFILE) to see the alert and the server's certificate; the client's log names the check that failed."
	default:
		d.Cause = fmt.Sprintf("The %s ended the handshake with an encrypted alert after the ChangeCipherSpec: usually it could not decrypt or verify its peer's Finished.", a.From)
		d.Hint = "Read the connection with the key log (--keylog) to see the alert; mismatched keys come from a middlebox that alters the handshake or a broken stack."
	}
	return d
}

// keysEvidence says what the key material did for a connection.
func keysEvidence(r *flows.Result) []string {
	switch r.Keys {
	case flows.KeysWrong:
		return []string{"the key log's secrets for this client random decrypt none of its records: they belong to another session"}
	case flows.KeysMissing:
		return []string{"the key log holds no secrets for this connection's client random"}
	}
	return nil
}

// usualAlert says what an alert usually means, for the alerts no other
// rule explains.
var usualAlert = map[string]string{
	"unexpected_message":    "a message the sender did not expect at that point: the peers disagree about the handshake's state",
	"illegal_parameter":     "a field out of range or inconsistent with the rest of the handshake",
	"decode_error":          "a message that could not be parsed: a broken stack or a middlebox that altered it",
	"internal_error":        "a failure inside the sender unrelated to the peer (memory, a missing key, a plugin)",
	"access_denied":         "the sender's access control refused the peer",
	"user_canceled":         "the sender's application gave up on the handshake",
	"bad_record_mac":        "a record that did not authenticate: keys that differ, or bytes altered in transit",
	"record_overflow":       "a record longer than the limit",
	"decrypt_error":         "a signature or Finished that did not verify",
	"missing_extension":     "an extension the sender requires was not sent",
	"unsupported_extension": "an extension the sender did not offer came back",
	"handshake_failure":     "the sender could not agree on parameters with its peer",
	"certificate_required":  "the server requires a client certificate",
}

// otherAlert diagnoses the alerts no other rule explains.
func (c *conn) otherAlert() *flows.Diagnosis {
	a := c.fatal
	if a == nil {
		return nil
	}
	desc := a.Description.String()
	cause := fmt.Sprintf("The %s ended the handshake with %s after %s.", a.From, alertName(a, c.decrypted), lastBefore(c.r, a.From, a.TS))
	ev := []string{"the handshake ended with " + alertText(a, c.decrypted)}
	if u := usualAlert[desc]; u != "" {
		ev = append(ev, desc+" usually means "+u)
	}
	ev = append(ev, keysEvidence(c.r)...)
	return &flows.Diagnosis{Code: CodeAlert, Cause: cause, Evidence: ev,
		Hint: fmt.Sprintf("The %s's log says why it sent %s.", a.From, desc)}
}

package report

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// summary is the one-line essence of a ladder message, "" when there is
// nothing to add to its type and length. Only the first message of each
// type from each side has details (flows keeps the first of each).
func summary(r *flows.Result, m flows.Message) string {
	switch m.Type {
	case "client_hello":
		if ch := r.ClientHello; ch != nil && m.From == flows.Client {
			return clientHelloSummary(ch)
		}
	case flows.TypeHelloRetry:
		if h := r.HelloRetryRequest; h != nil {
			s := "asks for " + h.KeyShareGroup.String()
			if h.Cookie {
				s += ", cookie"
			}
			return s
		}
	case "server_hello":
		if sh := r.ServerHello; sh != nil {
			return serverHelloSummary(sh)
		}
	case "certificate":
		if m.From == flows.Server {
			return chainSummary(r.ServerCertificates)
		}
		return chainSummary(r.ClientCertificates)
	case "server_key_exchange":
		if p := r.ServerKeyExchange; p != nil {
			return serverKeyExchangeSummary(p)
		}
	case "certificate_request":
		if cr := r.CertificateRequest; cr != nil {
			var parts []string
			if len(cr.CertificateTypes) > 0 {
				parts = append(parts, strings.Join(names(cr.CertificateTypes), ","))
			}
			if len(cr.Context) > 0 {
				// Only a post-handshake request has one (RFC 8446, 4.3.2).
				parts = append(parts, "post-handshake")
			}
			if n := cr.CertificateAuthoritiesCount; n > 0 {
				parts = append(parts, fmt.Sprintf("%d CA name%s", n, plural(n)))
			}
			return strings.Join(parts, ", ")
		}
	case "encrypted_extensions":
		if ee := r.EncryptedExtensions; ee != nil && ee.ALPN != "" {
			return "alpn " + Escape(ee.ALPN)
		}
	case "certificate_status":
		if cs := r.CertificateStatus; cs != nil {
			s := cs.StatusType.String()
			if len(cs.OCSP) > 0 {
				o := cs.OCSP[0]
				switch {
				case o.Error != "":
					s += " (does not parse)"
				case o.CertStatus != "":
					s += " " + Escape(o.Status) + ", " + Escape(o.CertStatus)
				case o.Status != "":
					s += " " + Escape(o.Status)
				}
			}
			return s
		}
	case "new_session_ticket":
		if n := r.NewSessionTicket; n != nil {
			s := fmt.Sprintf("lifetime %d s, ticket %d bytes", n.LifetimeHint, n.TicketLength)
			if n.EarlyData {
				s += fmt.Sprintf(", early data up to %d bytes", n.MaxEarlyDataSize)
			}
			return s
		}
	case "client_key_exchange":
		if p := r.ClientKeyExchange; p != nil && p.KeyExchange != "" {
			s := fmt.Sprintf("key %d bytes", p.KeyLength)
			if p.HasPSKIdentity {
				s += `, psk identity "` + Escape(p.PSKIdentity) + `"`
			}
			return s
		}
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func clientHelloSummary(ch *decode.ClientHello) string {
	parts := []string{"up to " + ch.MaxVersion().String(), fmt.Sprintf("%d suites", len(ch.CipherSuites))}
	if len(ch.ALPN) > 0 {
		parts = append(parts, "alpn "+Escape(strings.Join(ch.ALPN, ",")))
	}
	if len(ch.KeyShares) > 0 {
		var g []string
		for _, k := range ch.KeyShares {
			if !decode.IsGREASE(uint16(k.Group)) {
				g = append(g, k.Group.String())
			}
		}
		parts = append(parts, "key share "+strings.Join(g, ","))
	}
	if ch.PreSharedKey {
		parts = append(parts, "psk")
	}
	if ch.EarlyData {
		parts = append(parts, "early data")
	}
	if ch.ECH != nil && ch.ECH.Type == decode.ECHOuter {
		parts = append(parts, "ech")
	}
	if ch.SSLv2 {
		parts = append(parts, "SSLv2 framing")
	}
	return strings.Join(parts, ", ")
}

func serverHelloSummary(sh *decode.ServerHello) string {
	var parts []string
	if sh.HasKeyShare() {
		parts = append(parts, "key share "+sh.KeyShareGroup.String())
	}
	if sh.ALPN != "" {
		parts = append(parts, "alpn "+Escape(sh.ALPN))
	}
	if sh.PreSharedKey {
		parts = append(parts, "psk")
	}
	if sh.ExtendedMasterSecret {
		parts = append(parts, "ems")
	}
	return strings.Join(parts, ", ")
}

func chainSummary(ch *flows.Chain) string {
	if ch == nil {
		return ""
	}
	if ch.Count == 0 {
		return "empty"
	}
	c := ch.Certificates[0]
	var s string
	switch {
	case c.Error != "":
		s = "does not parse"
	case c.CommonName != "":
		s = "CN=" + Escape(c.CommonName)
	default:
		s = escapeDN(c.Subject)
	}
	if c.Error == "" && c.PublicKeyAlgorithm != "" {
		s += " (" + Escape(c.PublicKeyAlgorithm)
		if c.PublicKeyBits > 0 {
			s += " " + strconv.Itoa(c.PublicKeyBits)
		}
		s += ")"
	}
	if ch.Count > 1 {
		s += fmt.Sprintf(", %d more", ch.Count-1)
	}
	return s
}

func serverKeyExchangeSummary(p *decode.ServerKeyExchangeParams) string {
	var parts []string
	switch {
	case p.CurveType == decode.CurveTypeNamedCurve:
		parts = append(parts, p.NamedGroup.String())
	case p.CurveType != 0:
		parts = append(parts, curveTypes[p.CurveType]+" curve")
	case p.DHPrimeBits > 0:
		parts = append(parts, fmt.Sprintf("DH %d bits", p.DHPrimeBits))
	case p.RSAModulusBits > 0:
		parts = append(parts, fmt.Sprintf("RSA %d bits", p.RSAModulusBits))
	case p.SRPPrimeBits > 0:
		parts = append(parts, fmt.Sprintf("SRP %d bits", p.SRPPrimeBits))
	}
	if p.HasPSKIdentityHint {
		parts = append(parts, `psk hint "`+Escape(p.PSKIdentityHint)+`"`)
	}
	if p.HasSignatureAlgorithm {
		parts = append(parts, p.SignatureAlgorithm.String())
	} else if p.Signed {
		parts = append(parts, "signed")
	}
	return strings.Join(parts, ", ")
}

// writeDetails writes the connection's JSON detail objects as indented
// "name value" lines, under the JSON names, in wire order, fingerprints
// last.
func writeDetails(w *bufio.Writer, r *flows.Result) {
	d := &detailWriter{w: w, indent: "  "}
	for _, member := range textDetails {
		member(d, r)
	}
}

// detailWidth is the width of the name column of -v details, counted from
// the first level's indent so that nested values line up with it.
const detailWidth = 30

// detailWriter is the fieldWriter of -v: the members of an object one per
// line, scalars and lists of scalars (or of brief objects) on the member's
// line, objects and lists of them as blocks indented under their name.
// Every value is escaped: most are names from our registries, which it
// leaves as they are, but any string may hold bytes from the wire.
type detailWriter struct {
	w      *bufio.Writer
	indent string
}

func (d *detailWriter) line(name, value string) {
	fmt.Fprintf(d.w, "%s%-*s %s\n", d.indent, detailWidth-len(d.indent), name, value)
}

func (d *detailWriter) str(name, v string, o omit) {
	if o == omitEmpty && v == "" {
		return
	}
	d.line(name, Escape(v))
}

func (d *detailWriter) dn(name, v string, o omit) {
	if o == omitEmpty && v == "" {
		return
	}
	d.line(name, escapeDN(v))
}

func (d *detailWriter) num(name string, v int64, o omit) {
	if o == omitEmpty && v == 0 {
		return
	}
	d.line(name, strconv.FormatInt(v, 10))
}

func (d *detailWriter) flag(name string, v bool, o omit) {
	if o == omitEmpty && !v {
		return
	}
	d.line(name, strconv.FormatBool(v))
}

func (d *detailWriter) hex(name string, v []byte, o omit) { d.str(name, hex.EncodeToString(v), o) }

func (d *detailWriter) strs(name string, vs []string, o omit) { d.list(name, vs, o, Escape) }

func (d *detailWriter) dns(name string, vs []string, o omit) { d.list(name, vs, o, escapeDN) }

func (d *detailWriter) codes(name string, vs codeList, o omit) { d.strs(name, vs.names(), o) }

// list writes a list on one line. Unlike JSON, it shows a list that is
// there but empty: the member's line with nothing after the name.
func (d *detailWriter) list(name string, vs []string, o omit, esc func(string) string) {
	if o == omitEmpty && vs == nil {
		return
	}
	items := make([]string, len(vs))
	for i, s := range vs {
		items[i] = esc(s)
	}
	d.line(name, strings.Join(items, ", "))
}

func (d *detailWriter) stamp(name string, t time.Time) { d.line(name, t.UTC().Format(timeLayout)) }

func (d *detailWriter) object(name string, v object) {
	if b, ok := v.(briefObject); ok {
		d.line(name, Escape(b.brief()))
		return
	}
	fmt.Fprintf(d.w, "%s%s\n", d.indent, name)
	d.nested(v)
}

func (d *detailWriter) objects(name string, vs objectList) {
	n := vs.len()
	if n == 0 {
		return
	}
	if _, ok := vs.at(0).(briefObject); ok {
		items := make([]string, n)
		for i := range items {
			items[i] = Escape(vs.at(i).(briefObject).brief())
		}
		d.line(name, strings.Join(items, ", "))
		return
	}
	for i := range n {
		fmt.Fprintf(d.w, "%s%s[%d]\n", d.indent, name, i)
		d.nested(vs.at(i))
	}
}

// nested writes an object's members indented under its name.
func (d *detailWriter) nested(v object) {
	outer := d.indent
	d.indent += "  "
	v.fields(d)
	d.indent = outer
}

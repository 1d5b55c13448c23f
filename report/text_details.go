package report

import (
	"bufio"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// String shows an extension as its name and length: "server_name(14)".
func (e jsonExtension) String() string { return e.Type + "(" + strconv.Itoa(e.Length) + ")" }

// String shows a key share as its group and key length: "x25519(32)".
func (k jsonKeyShare) String() string {
	if k.Length == 0 {
		return k.Group
	}
	return k.Group + "(" + strconv.Itoa(k.Length) + ")"
}

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
			s := strings.Join(names(cr.CertificateTypes), ",")
			if n := cr.CertificateAuthoritiesCount; n > 0 {
				s += fmt.Sprintf(", %d CA name%s", n, plural(n))
			}
			return s
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
			return fmt.Sprintf("lifetime %d s, ticket %d bytes", n.LifetimeHint, n.TicketLength)
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
	for _, e := range sh.Extensions {
		if e.Type == decode.ExtKeyShare {
			parts = append(parts, "key share "+sh.KeyShareGroup.String())
		}
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
// "name: value" lines, under the JSON names, in wire order, fingerprints
// last.
func writeDetails(w *bufio.Writer, r *flows.Result) {
	j := new(jsonConnection)
	addDetails(j, r)
	for _, d := range []struct {
		name string
		v    any
	}{
		{"client_hello", j.ClientHello},
		{"hello_retry_request", j.HelloRetryRequest},
		{"server_hello", j.ServerHello},
		{"certificates", j.Certificates},
		{"certificate_status", j.CertificateStatus},
		{"server_key_exchange", j.ServerKeyExchange},
		{"certificate_request", j.CertificateRequest},
		{"client_key_exchange", j.ClientKeyExchange},
		{"new_session_ticket", j.NewSessionTicket},
		{"fingerprints", fingerprints(r)},
	} {
		v := reflect.ValueOf(d.v)
		if v.IsNil() {
			continue
		}
		fmt.Fprintf(w, "  %s\n", d.name)
		writeValue(w, "    ", v.Elem())
	}
}

// detailWidth is the width of the name column of -v details, counted from
// the first level's indent so that nested values line up with it.
const detailWidth = 30

// writeValue writes the non-empty fields of a struct, one per line:
// scalars and lists of scalars (or Stringers) on the field's line, lists
// of structs as numbered blocks. Every value is escaped: most are names
// from our registries, which it leaves as they are, but any string field
// may hold bytes from the wire; a field tagged text:"dn" holds RFC 4514
// names (escapeDN).
func writeValue(w *bufio.Writer, indent string, v reflect.Value) {
	typ := v.Type()
	for i := range typ.NumField() {
		name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		esc := Escape
		if typ.Field(i).Tag.Get("text") == "dn" {
			esc = escapeDN
		}
		f := v.Field(i)
		if strings.Contains(opts, "omitempty") && f.IsZero() {
			continue
		}
		if f.Kind() == reflect.Pointer {
			f = f.Elem()
		}
		switch {
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct &&
			!f.Type().Elem().Implements(reflect.TypeFor[fmt.Stringer]()):
			for k := range f.Len() {
				fmt.Fprintf(w, "%s%s[%d]\n", indent, name, k)
				writeValue(w, indent+"  ", f.Index(k))
			}
		case f.Kind() == reflect.Slice:
			items := make([]string, f.Len())
			for k := range items {
				items[k] = esc(fmt.Sprint(f.Index(k).Interface()))
			}
			fmt.Fprintf(w, "%s%-*s %s\n", indent, detailWidth-len(indent), name, strings.Join(items, ", "))
		case f.Kind() == reflect.Struct && !f.Type().Implements(reflect.TypeFor[fmt.Stringer]()):
			fmt.Fprintf(w, "%s%s\n", indent, name)
			writeValue(w, indent+"  ", f)
		default:
			fmt.Fprintf(w, "%s%-*s %s\n", indent, detailWidth-len(indent), name, esc(fmt.Sprint(f.Interface())))
		}
	}
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// ZeekWriter writes Zeek's ssl.log in its tab-separated form (the
// #separator ... #fields/#types header, a row per connection, #close) or
// in Zeek's JSON form (zeeklog.go). The columns are those of Zeek's
// default ssl.log (ts, uid, id.*, version, cipher, curve, server_name,
// resumed, last_alert, next_protocol, established, ssl_history,
// cert_chain_fps, client_cert_chain_fps, sni_matches_cert) in Zeek's
// notation, so zeek-cut and scripts written for Zeek read it unchanged,
// followed by community_id (as Zeek's community-id policy names it) and
// hsdecode's own: hsdecode_outcome, hsdecode_violations,
// hsdecode_starttls, hsdecode_tunnels, hsdecode_transport (tcp, quic or
// dtls: Zeek's conn.log has proto and service, ssl.log neither) and
// hsdecode_file. The columns are
// the same for any number of inputs, so that logs of several runs
// concatenate. Zeek's ssl.log has no column for tunnels (its conn.log's
// tunnel_parents holds the uids of tunnel.log rows, a log hsdecode does
// not write): hsdecode_tunnels names each, outermost first, as the text's
// tunnel: line does.
type ZeekWriter struct {
	log  zeekLog
	opt  Options
	file string
}

// NewZeekWriter returns a ZeekWriter on w: Zeek's tab-separated form, or
// with asJSON Zeek's JSON form (--format zeek-json).
func NewZeekWriter(w io.Writer, o Options, asJSON bool) *ZeekWriter {
	return &ZeekWriter{log: zeekLog{w: bufio.NewWriter(w), path: "ssl", columns: zeekColumns, json: asJSON}, opt: o}
}

// zeekColumns are the ssl.log columns and their Zeek types.
var zeekColumns = []zeekColumn{
	{"ts", "time"}, {"uid", "string"},
	{"id.orig_h", "addr"}, {"id.orig_p", "port"}, {"id.resp_h", "addr"}, {"id.resp_p", "port"},
	{"version", "string"}, {"cipher", "string"}, {"curve", "string"}, {"server_name", "string"},
	{"resumed", "bool"}, {"last_alert", "string"}, {"next_protocol", "string"}, {"established", "bool"},
	{"ssl_history", "string"}, {"cert_chain_fps", "vector[string]"}, {"client_cert_chain_fps", "vector[string]"},
	{"sni_matches_cert", "bool"}, {"community_id", "string"},
	{"hsdecode_outcome", "string"}, {"hsdecode_violations", "set[string]"}, {"hsdecode_starttls", "string"},
	{"hsdecode_tunnels", "vector[string]"}, {"hsdecode_transport", "string"}, {"hsdecode_file", "string"},
}

// BeginFile notes the input the next connections come from.
func (z *ZeekWriter) BeginFile(path string) error { z.file = path; return nil }

// Write writes one connection's row, and flushes it.
func (z *ZeekWriter) Write(r *flows.Result, _ []Finding) error {
	return z.log.row(r.Start, r.End, zeekRow(r, z.file, idsOf(r, z.opt)))
}

// Close writes #close.
func (z *ZeekWriter) Close() error { return z.log.close() }

// zeekRow renders a connection of an input as the ssl.log columns of
// zeekColumns, each in Zeek's notation.
func zeekRow(r *flows.Result, input string, id ids) []string {
	client, server := unmap(r.Client), unmap(r.Server)
	row := []string{
		zeekTime(r.Start),
		id.uid,
		client.Addr().String(), strconv.Itoa(int(client.Port())),
		server.Addr().String(), strconv.Itoa(int(server.Port())),
		orUnset(ZeekVersion(r.Version)),
		zeekUnset, // cipher
		orUnset(zeekString(curveName(r))),
		orUnset(zeekString(r.ServerName)),
		zeekBool(r.Resumed),
		zeekUnset, // last_alert
		orUnset(zeekString(r.ALPN)),
		zeekBool(r.Outcome == flows.OutcomeEstablished),
		zeekEmpty,            // ssl_history
		zeekUnset, zeekUnset, // cert_chain_fps, client_cert_chain_fps
		zeekUnset, // sni_matches_cert
		id.communityID,
		string(r.Outcome),
		zeekEmpty, // hsdecode_violations
		orUnset(r.StartTLS.String()),
		zeekEmpty, // hsdecode_tunnels
		r.Transport.String(),
		orUnset(zeekString(input)),
	}
	if r.HasCipherSuite {
		row[7] = ZeekCipher(r.CipherSuite)
	}
	for i := len(r.Alerts) - 1; i >= 0; i-- {
		if a := r.Alerts[i]; !a.Encrypted {
			row[11] = a.Description.String()
			break
		}
	}
	if h := History(r); h != "" {
		row[14] = h
	}
	if sc := r.ServerCertificates; sc != nil {
		row[15] = zeekFingerprints(sc)
		row[16] = zeekEmpty
		if cc := r.ClientCertificates; cc != nil {
			row[16] = zeekFingerprints(cc)
		}
		if r.ServerName != "" && len(sc.Certificates) > 0 && sc.Certificates[0].Error == "" {
			row[17] = zeekBool(hostnameMatches(&sc.Certificates[0], r.ServerName))
		}
	}
	var codes []string
	seen := map[string]bool{}
	for _, v := range r.Violations {
		if !seen[string(v.Code)] {
			seen[string(v.Code)] = true
			codes = append(codes, string(v.Code))
		}
	}
	if len(codes) > 0 {
		row[20] = strings.Join(codes, ",")
	}
	if len(r.Tunnels) > 0 {
		ts := make([]string, len(r.Tunnels))
		for i := range r.Tunnels {
			ts[i] = zeekString((*tunnel)(&r.Tunnels[i]).brief())
		}
		row[22] = strings.Join(ts, ",")
	}
	return row
}

func zeekFingerprints(c *flows.Chain) string {
	if len(c.Certificates) == 0 {
		return zeekEmpty
	}
	fps := make([]string, len(c.Certificates))
	for i, ci := range c.Certificates {
		fps[i] = ci.SHA256
	}
	return strings.Join(fps, ",")
}

// ZeekVersion names a version as Zeek's SSL::version_strings do: SSLv2,
// SSLv3, TLSv10 ... TLSv13, TLSv13-draftN, DTLSv10, DTLSv12, DTLSv13,
// else unknown-N; "" for none.
func ZeekVersion(v decode.Version) string {
	switch {
	case v == 0:
		return ""
	case v == decode.VersionSSL20:
		return "SSLv2"
	case v == decode.VersionSSL30:
		return "SSLv3"
	case v >= decode.VersionTLS10 && v <= decode.VersionTLS13:
		return "TLSv1" + strconv.Itoa(int(v&0xff)-1)
	case v>>8 == 0x7f:
		return "TLSv13-draft" + strconv.Itoa(int(v&0xff))
	case v == 0xfeff:
		return "DTLSv10"
	case v == 0xfefd:
		return "DTLSv12"
	case v == 0xfefc:
		return "DTLSv13"
	}
	return "unknown-" + strconv.Itoa(int(v))
}

// ZeekCipher names a suite as Zeek's SSL::cipher_desc does: the IANA
// name, else unknown-N.
func ZeekCipher(c decode.CipherSuite) string {
	s := c.String()
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "unknown_") || strings.HasPrefix(s, "GREASE_") {
		return "unknown-" + strconv.Itoa(int(c))
	}
	return s
}

func zeekBool(b bool) string {
	if b {
		return "T"
	}
	return "F"
}

func orUnset(s string) string {
	if s == "" {
		return zeekUnset
	}
	return s
}

// zeekString escapes a string as Zeek's ASCII writer does: non-printable
// bytes and the tab as \xNN, the backslash as \\ (an RFC 4514 name's
// "O=A\, Inc." as "O=A\\, Inc.", as in Zeek's x509.log), and a value that
// would read as unset or empty.
func zeekString(s string) string {
	if s == zeekUnset || s == zeekEmpty {
		return fmt.Sprintf("\\x%02x", s[0]) + s[1:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			b.WriteString(`\\`)
			continue
		}
		if c < 0x20 || c >= 0x7f {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// hostnameMatches says whether a certificate is valid for a host name, as
// Zeek's x509_check_cert_hostname decides: its DNS names, or its subject
// CN when it has none, with a wildcard covering one left-most label.
func hostnameMatches(c *decode.CertInfo, host string) bool {
	names := c.DNSNames
	if len(names) == 0 && c.CommonName != "" {
		names = []string{c.CommonName}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
		}
	}
	return false
}

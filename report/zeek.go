package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// ZeekWriter writes Zeek's ssl.log in its tab-separated form: the
// #separator ... #fields/#types header, a row per connection, #close. The
// columns are those of Zeek's default ssl.log (ts, uid, id.*, version,
// cipher, curve, server_name, resumed, last_alert, next_protocol,
// established, ssl_history, cert_chain_fps, client_cert_chain_fps,
// sni_matches_cert) in Zeek's notation, so zeek-cut and scripts written
// for Zeek read it unchanged, followed by hsdecode's own: hsdecode_outcome,
// hsdecode_violations, hsdecode_tunnels and, with several inputs,
// hsdecode_file. Zeek's ssl.log has no column for tunnels (its conn.log's
// tunnel_parents holds the uids of tunnel.log rows, a log hsdecode does
// not write): hsdecode_tunnels names each, outermost first, as the text's
// tunnel: line does.
type ZeekWriter struct {
	w      *bufio.Writer
	opt    Options
	file   string
	opened bool
	last   time.Time
}

// NewZeekWriter returns a ZeekWriter on w.
func NewZeekWriter(w io.Writer, o Options) *ZeekWriter {
	return &ZeekWriter{w: bufio.NewWriter(w), opt: o}
}

// zeekColumns are the ssl.log columns and their Zeek types.
var zeekColumns = []struct{ name, typ string }{
	{"ts", "time"}, {"uid", "string"},
	{"id.orig_h", "addr"}, {"id.orig_p", "port"}, {"id.resp_h", "addr"}, {"id.resp_p", "port"},
	{"version", "string"}, {"cipher", "string"}, {"curve", "string"}, {"server_name", "string"},
	{"resumed", "bool"}, {"last_alert", "string"}, {"next_protocol", "string"}, {"established", "bool"},
	{"ssl_history", "string"}, {"cert_chain_fps", "vector[string]"}, {"client_cert_chain_fps", "vector[string]"},
	{"sni_matches_cert", "bool"},
	{"hsdecode_outcome", "string"}, {"hsdecode_violations", "set[string]"}, {"hsdecode_tunnels", "vector[string]"},
}

const (
	zeekUnset = "-"
	zeekEmpty = "(empty)"
)

// zeekTimeLayout is how Zeek writes #open and #close.
const zeekTimeLayout = "2006-01-02-15-04-05"

// BeginFile notes the input the next connections come from.
func (z *ZeekWriter) BeginFile(path string) error { z.file = path; return nil }

func (z *ZeekWriter) header(t time.Time) {
	z.opened = true
	w := z.w
	fmt.Fprintf(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t%s\n#unset_field\t%s\n#path\tssl\n", zeekEmpty, zeekUnset)
	fmt.Fprintf(w, "#open\t%s\n", t.UTC().Format(zeekTimeLayout))
	names, types := []string{"#fields"}, []string{"#types"}
	for _, c := range zeekColumns {
		names, types = append(names, c.name), append(types, c.typ)
	}
	if z.opt.MultiFile {
		names, types = append(names, "hsdecode_file"), append(types, "string")
	}
	fmt.Fprintln(w, strings.Join(names, "\t"))
	fmt.Fprintln(w, strings.Join(types, "\t"))
}

// Write writes one connection's row, and flushes it.
func (z *ZeekWriter) Write(r *flows.Result, _ []Finding) error {
	if !z.opened {
		z.header(r.Start)
	}
	if r.End.After(z.last) {
		z.last = r.End
	}
	z.w.WriteString(strings.Join(ZeekRow(r), "\t"))
	if z.opt.MultiFile {
		z.w.WriteString("\t" + zeekString(z.file))
	}
	z.w.WriteByte('\n')
	return z.w.Flush()
}

// Close writes #close.
func (z *ZeekWriter) Close() error {
	if !z.opened {
		z.header(time.Now())
		z.last = time.Now()
	}
	fmt.Fprintf(z.w, "#close\t%s\n", z.last.UTC().Format(zeekTimeLayout))
	return z.w.Flush()
}

// ZeekRow renders a connection as the ssl.log columns of zeekColumns,
// each in Zeek's notation.
func ZeekRow(r *flows.Result) []string {
	client, server := unmap(r.Client), unmap(r.Server)
	row := []string{
		fmt.Sprintf("%d.%06d", r.Start.Unix(), r.Start.Nanosecond()/1000),
		ZeekUID(r),
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
		string(r.Outcome),
		zeekEmpty, // hsdecode_violations
		zeekEmpty, // hsdecode_tunnels
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
		row[19] = strings.Join(codes, ",")
	}
	if len(r.Tunnels) > 0 {
		ts := make([]string, len(r.Tunnels))
		for i := range r.Tunnels {
			ts[i] = zeekString((*tunnel)(&r.Tunnels[i]).brief())
		}
		row[20] = strings.Join(ts, ",")
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

// ZeekUID is a connection's uid: "C" and 17 base62 digits of a hash of
// its 4-tuple and start time. Zeek draws its uids at random; this one is
// the same for the same connection on every run, so reports of one
// capture can be joined.
func ZeekUID(r *flows.Result) string {
	h := sha256.New()
	for _, a := range []netip.AddrPort{unmap(r.Client), unmap(r.Server)} {
		b, _ := a.MarshalBinary()
		h.Write(b)
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(r.Start.UnixNano()))
	h.Write(ts[:])
	// Tunnels tell apart connections of the same 4-tuple; a connection
	// without one keeps the uid it always had.
	for _, t := range r.Tunnels {
		h.Write([]byte((*tunnel)(&t).brief()))
	}
	sum := h.Sum(nil)
	n := new(big.Int).SetBytes(sum[:12]) // 96 bits, as Zeek's uids
	s := n.Text(62)
	for len(s) < 17 {
		s = "0" + s
	}
	return "C" + s[:17]
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
// bytes, the tab and the backslash as \xNN, and a value that would
// read as unset or empty.
func zeekString(s string) string {
	if s == zeekUnset || s == zeekEmpty {
		return fmt.Sprintf("\\x%02x", s[0]) + s[1:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' {
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

package report

import (
	"io"
	"net/netip"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// timeLayout is RFC 3339 with microseconds in UTC (docs/report.md, ts).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// connection is one line of docs/report.md, its members in its order.
type connection struct {
	r *flows.Result
	ids
}

func (c connection) fields(w fieldWriter) {
	r := c.r
	w.stamp("ts", r.Start)
	w.stamp("end_ts", r.End)
	w.str("uid", c.uid, always)
	w.str("community_id", c.communityID, always)
	w.object("client", (*endpoint)(&r.Client))
	w.object("server", (*endpoint)(&r.Server))
	if r.Transport != stream.TransportTCP {
		w.str("transport", r.Transport.String(), always)
	}
	w.objects("tunnels", tunnels(r.Tunnels))
	w.str("outcome", string(r.Outcome), always)
	if r.Version != 0 {
		w.str("version", r.Version.String(), omitEmpty)
	}
	if r.HasCipherSuite {
		w.str("cipher_suite", r.CipherSuite.String(), omitEmpty)
	}
	w.str("server_name", r.ServerName, omitEmpty)
	w.str("alpn", r.ALPN, omitEmpty)
	w.str("starttls", r.StartTLS.String(), omitEmpty)
	// Whether a handshake resumed a session is known once the server
	// answered.
	if r.ServerHello != nil {
		w.flag("resumed", r.Resumed, always)
	}
	w.str("early_data", r.EarlyData, omitEmpty)
	w.str("client_certificate", r.ClientCertificate, omitEmpty)
	w.str("keys", r.Keys, omitEmpty)
	if r.Renegotiations > 0 {
		w.num("renegotiations", int64(r.Renegotiations), always)
	}
	if r.ApplicationData != (flows.RecordCount{}) {
		w.object("application_data", (*recordCount)(&r.ApplicationData))
	}
	w.objects("messages", messages(r.Messages))
	w.objects("alerts", alerts(r.Alerts))
	w.objects("violations", violations(r.Violations))
	if r.Gap != nil {
		w.object("gap", (*gap)(r.Gap))
	}
	if r.OverlapMismatch != (flows.OverlapMismatch{}) {
		w.object("overlap_mismatch", (*overlapMismatch)(&r.OverlapMismatch))
	}
	w.str("history", History(r), omitEmpty)
	fingerprintsMember(w, r)
	w.str("closed", r.Closed, omitEmpty)
	if r.QUIC != nil {
		w.object("quic", (*quicInfo)(r.QUIC))
	}
	if r.DTLS != nil && *r.DTLS != (flows.DTLS{}) {
		w.object("dtls", (*dtlsInfo)(r.DTLS))
	}
	if r.Diagnosis != nil {
		w.object("diagnosis", (*diagnosis)(r.Diagnosis))
	}
	for _, d := range jsonDetails {
		d(w, r)
	}
}

// endpoint is a client or server address; an IPv4 peer of a dual-stack
// socket shows as the IPv4 address it is.
type endpoint netip.AddrPort

func (a *endpoint) fields(w fieldWriter) {
	w.str("ip", (*netip.AddrPort)(a).Addr().Unmap().String(), always)
	w.num("port", int64((*netip.AddrPort)(a).Port()), always)
}

type message flows.Message

func (m *message) fields(w fieldWriter) {
	w.stamp("ts", m.TS)
	w.str("from", string(m.From), always)
	w.str("type", m.Type, always)
	w.flag("encrypted", m.Encrypted, omitEmpty)
	w.flag("decrypted", m.Decrypted, omitEmpty)
	w.flag("early_data", m.EarlyData, omitEmpty)
	w.num("length", int64(m.Length), omitEmpty)
}

type messages []flows.Message

func (l messages) len() int        { return len(l) }
func (l messages) at(i int) object { return (*message)(&l[i]) }

// alert is an alert; an encrypted one has no level or description to
// show.
type alert flows.Alert

func (a *alert) fields(w fieldWriter) {
	w.stamp("ts", a.TS)
	w.str("from", string(a.From), always)
	if !a.Encrypted {
		w.str("level", a.Level.String(), omitEmpty)
		w.str("description", a.Description.String(), omitEmpty)
	}
	w.flag("encrypted", a.Encrypted, always)
}

type alerts []flows.Alert

func (l alerts) len() int        { return len(l) }
func (l alerts) at(i int) object { return (*alert)(&l[i]) }

type violation flows.Violation

func (v *violation) fields(w fieldWriter) {
	w.stamp("ts", v.TS)
	w.str("from", string(v.From), always)
	w.str("code", string(v.Code), always)
	w.str("got", v.Got, always)
	w.strs("expected", v.Expected, omitEmpty)
	w.str("detail", v.Detail, always)
}

type violations []flows.Violation

func (l violations) len() int        { return len(l) }
func (l violations) at(i int) object { return (*violation)(&l[i]) }

// recordCount counts records by the side that sent them.
type recordCount flows.RecordCount

func (c *recordCount) fields(w fieldWriter) {
	w.num("client", int64(c.Client), always)
	w.num("server", int64(c.Server), always)
}

// overlapMismatch counts the bytes of overlapping copies that differed
// from the bytes kept, by the side that sent them.
type overlapMismatch flows.OverlapMismatch

func (m *overlapMismatch) fields(w fieldWriter) {
	w.num("client", int64(m.Client), always)
	w.num("server", int64(m.Server), always)
}

// gap is where the capture lost bytes; a count of them only when known.
type gap flows.Gap

func (g *gap) fields(w fieldWriter) {
	w.stamp("ts", g.TS)
	w.str("from", string(g.From), always)
	w.num("offset", g.Offset, always)
	w.num("missing", int64(max(g.Missing, 0)), omitEmpty)
}

// fingerprints are the public fingerprints of the hellos (docs/report.md,
// fingerprints); JA4S and the rest of JA4+ are left out (FoxIO licence).
type fingerprints struct {
	JA3, JA3String   string
	JA3S, JA3SString string
	JA4, JA4R        string
}

func (f *fingerprints) fields(w fieldWriter) {
	w.str("ja3", f.JA3, omitEmpty)
	w.str("ja3_string", f.JA3String, omitEmpty)
	w.str("ja3s", f.JA3S, omitEmpty)
	w.str("ja3s_string", f.JA3SString, omitEmpty)
	w.str("ja4", f.JA4, omitEmpty)
	w.str("ja4_r", f.JA4R, omitEmpty)
}

// finding is a finding of the gate in the findings list, which hsdecode
// adds to docs/report.md's object; its code only when it is not the rule's.
type finding Finding

func (f *finding) fields(w fieldWriter) {
	w.str("rule", string(f.Rule), always)
	if f.Code != string(f.Rule) {
		w.str("code", f.Code, omitEmpty)
	}
	w.str("detail", f.Detail, always)
}

type findings []Finding

func (l findings) len() int        { return len(l) }
func (l findings) at(i int) object { return (*finding)(&l[i]) }

// line is a JSON line: the connection's members, then the input file
// when there are several, and the findings.
type line struct {
	connection
	file     string
	findings []Finding
}

func (l *line) fields(w fieldWriter) {
	l.connection.fields(w)
	w.str("file", l.file, omitEmpty)
	w.objects("findings", findings(l.findings))
}

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

// unmap shows an IPv4 peer of a dual-stack socket as the IPv4 address it is.
func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// JSONWriter writes one JSON object per connection, one per line.
type JSONWriter struct {
	out io.Writer
	enc jsonEncoder // its buffer reused for each line
	// err is the first write error, returned by every later Write without
	// writing, as json.Encoder does: no line must follow a torn one.
	err  error
	opt  Options // findings and file names (writer.go)
	file string
	par  *linePool // see Parallel; nil encodes on the caller's goroutine
}

// NewJSONWriter returns a JSONWriter on w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{out: w} }

// Write writes one connection.
func (w *JSONWriter) Write(r *flows.Result, findings []Finding) error {
	l := line{connection: connection{r, idsOf(r, w.opt)}, findings: findings}
	if w.opt.MultiFile {
		l.file = w.file
	}
	return w.write(l)
}

// Close writes nothing of its own, JSON lines having no trailer: it waits
// for the lines of Parallel.
func (w *JSONWriter) Close() error {
	if w.par == nil {
		return nil
	}
	p := w.par
	w.par = nil
	return p.stop()
}

// fingerprintsOf computes the fingerprints of a connection's hellos; nil
// without one.
func fingerprintsOf(r *flows.Result) *fingerprints {
	if r.ClientHello == nil && firstServerHello(r) == nil {
		return nil
	}
	fp := new(fingerprints)
	if ch := r.ClientHello; ch != nil {
		fp.JA3String, fp.JA3 = decode.JA3(ch)
		fp.JA4, fp.JA4R = decode.JA4(ch, ja4Transport(r.Transport))
	}
	if sh := firstServerHello(r); sh != nil {
		fp.JA3SString, fp.JA3S = decode.JA3S(sh)
	}
	return fp
}

// fingerprintKey appends what fingerprintsOf computes from, nothing
// when it has nothing to: hellos that append the same have the same
// fingerprints.
func fingerprintKey(b []byte, r *flows.Result) []byte {
	sh := firstServerHello(r)
	if r.ClientHello == nil && sh == nil {
		return b
	}
	b = append(b, ja4Transport(r.Transport))
	if ch := r.ClientHello; ch != nil {
		b = decode.AppendFingerprintKey(append(b, 1), ch)
	}
	if sh != nil {
		b = decode.AppendJA3SKey(append(b, 2), sh)
	}
	return b
}

// ja4Transport is JA4's first character: 't' TCP, 'q' QUIC, 'd' DTLS.
func ja4Transport(t stream.Transport) byte {
	switch t {
	case stream.TransportQUIC:
		return 'q'
	case stream.TransportDTLS:
		return 'd'
	}
	return 't'
}

// firstServerHello is the server's answer to the ClientHello that JA3 and
// JA4 fingerprint: its HelloRetryRequest when it sent one (nDPI computes
// JA3S from it too), else its ServerHello.
func firstServerHello(r *flows.Result) *decode.ServerHello {
	if r.HelloRetryRequest != nil {
		return r.HelloRetryRequest
	}
	return r.ServerHello
}

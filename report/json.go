package report

import (
	"io"
	"net/netip"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// timeLayout is RFC 3339 with microseconds in UTC (report.md, ts).
const timeLayout = "2006-01-02T15:04:05.000000Z"

type jsonEndpoint struct {
	IP   string `json:"ip"`
	Port uint16 `json:"port"`
}

func (j *jsonEndpoint) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ip", j.IP, always)
	b = appendIntField(b, "port", j.Port, always)
	return append(b, '}')
}

type jsonMessage struct {
	TS        string `json:"ts"`
	From      string `json:"from"`
	Type      string `json:"type"`
	Encrypted bool   `json:"encrypted,omitempty"`
	Length    int    `json:"length,omitempty"`
}

func (j *jsonMessage) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ts", j.TS, always)
	b = appendStringField(b, "from", j.From, always)
	b = appendStringField(b, "type", j.Type, always)
	b = appendBoolField(b, "encrypted", j.Encrypted, omitEmpty)
	b = appendIntField(b, "length", j.Length, omitEmpty)
	return append(b, '}')
}

type jsonAlert struct {
	TS          string `json:"ts"`
	From        string `json:"from"`
	Level       string `json:"level,omitempty"`
	Description string `json:"description,omitempty"`
	Encrypted   bool   `json:"encrypted"`
}

func (j *jsonAlert) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ts", j.TS, always)
	b = appendStringField(b, "from", j.From, always)
	b = appendStringField(b, "level", j.Level, omitEmpty)
	b = appendStringField(b, "description", j.Description, omitEmpty)
	b = appendBoolField(b, "encrypted", j.Encrypted, always)
	return append(b, '}')
}

type jsonViolation struct {
	TS       string   `json:"ts"`
	From     string   `json:"from"`
	Code     string   `json:"code"`
	Got      string   `json:"got"`
	Expected []string `json:"expected,omitempty"`
	Detail   string   `json:"detail"`
}

func (j *jsonViolation) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ts", j.TS, always)
	b = appendStringField(b, "from", j.From, always)
	b = appendStringField(b, "code", j.Code, always)
	b = appendStringField(b, "got", j.Got, always)
	b = appendStringsField(b, "expected", j.Expected, omitEmpty)
	b = appendStringField(b, "detail", j.Detail, always)
	return append(b, '}')
}

// jsonFingerprints are the public fingerprints of the hellos (report.md,
// fingerprints); JA4S and the rest of JA4+ are left out (FoxIO licence).
type jsonFingerprints struct {
	JA3        string `json:"ja3,omitempty"`
	JA3String  string `json:"ja3_string,omitempty"`
	JA3S       string `json:"ja3s,omitempty"`
	JA3SString string `json:"ja3s_string,omitempty"`
	JA4        string `json:"ja4,omitempty"`
	JA4R       string `json:"ja4_r,omitempty"`
}

func (j *jsonFingerprints) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ja3", j.JA3, omitEmpty)
	b = appendStringField(b, "ja3_string", j.JA3String, omitEmpty)
	b = appendStringField(b, "ja3s", j.JA3S, omitEmpty)
	b = appendStringField(b, "ja3s_string", j.JA3SString, omitEmpty)
	b = appendStringField(b, "ja4", j.JA4, omitEmpty)
	b = appendStringField(b, "ja4_r", j.JA4R, omitEmpty)
	return append(b, '}')
}

type jsonGap struct {
	TS      string `json:"ts"`
	From    string `json:"from"`
	Offset  int64  `json:"offset"`
	Missing int    `json:"missing,omitempty"`
}

func (j *jsonGap) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "ts", j.TS, always)
	b = appendStringField(b, "from", j.From, always)
	b = appendIntField(b, "offset", j.Offset, always)
	b = appendIntField(b, "missing", j.Missing, omitEmpty)
	return append(b, '}')
}

// jsonConnection is one line of report.md. Field order follows it.
type jsonConnection struct {
	TS                string            `json:"ts"`
	EndTS             string            `json:"end_ts"`
	Client            jsonEndpoint      `json:"client"`
	Server            jsonEndpoint      `json:"server"`
	Outcome           string            `json:"outcome"`
	Version           string            `json:"version,omitempty"`
	CipherSuite       string            `json:"cipher_suite,omitempty"`
	ServerName        string            `json:"server_name,omitempty"`
	ALPN              string            `json:"alpn,omitempty"`
	Resumed           *bool             `json:"resumed,omitempty"`
	ClientCertificate string            `json:"client_certificate,omitempty"`
	Messages          []jsonMessage     `json:"messages,omitempty"`
	Alerts            []jsonAlert       `json:"alerts,omitempty"`
	Violations        []jsonViolation   `json:"violations,omitempty"`
	Gap               *jsonGap          `json:"gap,omitempty"`
	History           string            `json:"history,omitempty"`
	Fingerprints      *jsonFingerprints `json:"fingerprints,omitempty"`
	Closed            string            `json:"closed,omitempty"`

	// Handshake details (details.go).
	ClientHello        *jsonClientHello        `json:"client_hello,omitempty"`
	HelloRetryRequest  *jsonServerHello        `json:"hello_retry_request,omitempty"`
	ServerHello        *jsonServerHello        `json:"server_hello,omitempty"`
	Certificates       *jsonCertificates       `json:"certificates,omitempty"`
	ServerKeyExchange  *jsonServerKeyExchange  `json:"server_key_exchange,omitempty"`
	CertificateRequest *jsonCertificateRequest `json:"certificate_request,omitempty"`
	CertificateStatus  *jsonCertificateStatus  `json:"certificate_status,omitempty"`
	NewSessionTicket   *jsonNewSessionTicket   `json:"new_session_ticket,omitempty"`
	ClientKeyExchange  *jsonClientKeyExchange  `json:"client_key_exchange,omitempty"`
}

func (j *jsonConnection) appendJSON(b []byte) []byte {
	return append(j.appendMembers(append(b, '{')), '}')
}

// appendMembers appends the members of the object without its braces, for
// jsonGated to add its own after them as encoding/json does with the
// fields of an embedded struct.
func (j *jsonConnection) appendMembers(b []byte) []byte {
	b = appendStringField(b, "ts", j.TS, always)
	b = appendStringField(b, "end_ts", j.EndTS, always)
	b = j.Client.appendJSON(appendKey(b, "client"))
	b = j.Server.appendJSON(appendKey(b, "server"))
	b = appendStringField(b, "outcome", j.Outcome, always)
	b = appendStringField(b, "version", j.Version, omitEmpty)
	b = appendStringField(b, "cipher_suite", j.CipherSuite, omitEmpty)
	b = appendStringField(b, "server_name", j.ServerName, omitEmpty)
	b = appendStringField(b, "alpn", j.ALPN, omitEmpty)
	if j.Resumed != nil {
		b = appendBoolField(b, "resumed", *j.Resumed, always)
	}
	b = appendStringField(b, "client_certificate", j.ClientCertificate, omitEmpty)
	b = appendObjectsField(b, "messages", j.Messages, (*jsonMessage).appendJSON)
	b = appendObjectsField(b, "alerts", j.Alerts, (*jsonAlert).appendJSON)
	b = appendObjectsField(b, "violations", j.Violations, (*jsonViolation).appendJSON)
	if j.Gap != nil {
		b = j.Gap.appendJSON(appendKey(b, "gap"))
	}
	b = appendStringField(b, "history", j.History, omitEmpty)
	if j.Fingerprints != nil {
		b = j.Fingerprints.appendJSON(appendKey(b, "fingerprints"))
	}
	b = appendStringField(b, "closed", j.Closed, omitEmpty)
	if j.ClientHello != nil {
		b = j.ClientHello.appendJSON(appendKey(b, "client_hello"))
	}
	if j.HelloRetryRequest != nil {
		b = j.HelloRetryRequest.appendJSON(appendKey(b, "hello_retry_request"))
	}
	if j.ServerHello != nil {
		b = j.ServerHello.appendJSON(appendKey(b, "server_hello"))
	}
	if j.Certificates != nil {
		b = j.Certificates.appendJSON(appendKey(b, "certificates"))
	}
	if j.ServerKeyExchange != nil {
		b = j.ServerKeyExchange.appendJSON(appendKey(b, "server_key_exchange"))
	}
	if j.CertificateRequest != nil {
		b = j.CertificateRequest.appendJSON(appendKey(b, "certificate_request"))
	}
	if j.CertificateStatus != nil {
		b = j.CertificateStatus.appendJSON(appendKey(b, "certificate_status"))
	}
	if j.NewSessionTicket != nil {
		b = j.NewSessionTicket.appendJSON(appendKey(b, "new_session_ticket"))
	}
	if j.ClientKeyExchange != nil {
		b = j.ClientKeyExchange.appendJSON(appendKey(b, "client_key_exchange"))
	}
	return b
}

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

func endpoint(a netip.AddrPort) jsonEndpoint {
	return jsonEndpoint{IP: a.Addr().Unmap().String(), Port: a.Port()}
}

// unmap shows an IPv4 peer of a dual-stack socket as the IPv4 address it is.
func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

func toJSON(r *flows.Result) *jsonConnection {
	j := &jsonConnection{
		TS:                stamp(r.Start),
		EndTS:             stamp(r.End),
		Client:            endpoint(r.Client),
		Server:            endpoint(r.Server),
		Outcome:           string(r.Outcome),
		ServerName:        r.ServerName,
		ALPN:              r.ALPN,
		ClientCertificate: r.ClientCertificate,
		History:           History(r),
		Closed:            r.Closed,
	}
	if r.Version != 0 {
		j.Version = r.Version.String()
	}
	if r.HasCipherSuite {
		j.CipherSuite = r.CipherSuite.String()
	}
	if r.ServerHello != nil {
		resumed := r.Resumed
		j.Resumed = &resumed
	}
	if len(r.Messages) > 0 {
		j.Messages = make([]jsonMessage, len(r.Messages))
	}
	for i, m := range r.Messages {
		var ts string
		// The messages of a flight share their segment's time: format
		// it once.
		if i > 0 && m.TS.Equal(r.Messages[i-1].TS) {
			ts = j.Messages[i-1].TS
		} else {
			ts = stamp(m.TS)
		}
		j.Messages[i] = jsonMessage{TS: ts, From: string(m.From), Type: m.Type, Encrypted: m.Encrypted, Length: m.Length}
	}
	for _, a := range r.Alerts {
		ja := jsonAlert{TS: stamp(a.TS), From: string(a.From), Encrypted: a.Encrypted}
		if !a.Encrypted {
			ja.Level, ja.Description = a.Level.String(), a.Description.String()
		}
		j.Alerts = append(j.Alerts, ja)
	}
	for _, v := range r.Violations {
		j.Violations = append(j.Violations, jsonViolation{TS: stamp(v.TS), From: string(v.From), Code: string(v.Code), Got: v.Got, Expected: v.Expected, Detail: v.Detail})
	}
	j.Fingerprints = fingerprints(r)
	addDetails(j, r)
	if g := r.Gap; g != nil {
		j.Gap = &jsonGap{TS: stamp(g.TS), From: string(g.From), Offset: g.Offset}
		if g.Missing > 0 {
			j.Gap.Missing = g.Missing
		}
	}
	return j
}

// JSONWriter writes one JSON object per connection, one per line.
type JSONWriter struct {
	out  io.Writer
	line []byte // reused for each line
	// err is the first write error, returned by every later Write without
	// writing, as json.Encoder does: no line must follow a torn one.
	err  error
	opt  Options // findings and file names (writer.go)
	file string
}

// NewJSONWriter returns a JSONWriter on w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{out: w} }

// jsonLine is what gated returns: a *jsonConnection or a *jsonGated.
type jsonLine interface {
	appendJSON(b []byte) []byte
}

// Write writes one connection.
func (w *JSONWriter) Write(r *flows.Result, findings []Finding) error {
	if w.err != nil {
		return w.err
	}
	j := gated(toJSON(r), findings, w.opt, w.file)
	w.line = append(j.appendJSON(w.line[:0]), '\n')
	_, w.err = w.out.Write(w.line)
	return w.err
}

// Close writes nothing: JSON lines have no trailer.
func (w *JSONWriter) Close() error { return nil }

// jsonFinding and jsonGated are declared in writer.go, beside gated.

func (j *jsonFinding) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "rule", j.Rule, always)
	b = appendStringField(b, "code", j.Code, omitEmpty)
	b = appendStringField(b, "detail", j.Detail, always)
	return append(b, '}')
}

// appendJSON appends the connection's members, then the file and the
// findings, as encoding/json orders an embedded struct's fields. A nil
// connection adds none, as encoding/json skips a nil embedded pointer.
func (g *jsonGated) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if g.jsonConnection != nil {
		b = g.appendMembers(b)
	}
	b = appendStringField(b, "file", g.File, omitEmpty)
	b = appendObjectsField(b, "findings", g.Findings, (*jsonFinding).appendJSON)
	return append(b, '}')
}

func fingerprints(r *flows.Result) *jsonFingerprints {
	if r.ClientHello == nil && firstServerHello(r) == nil {
		return nil
	}
	fp := new(jsonFingerprints)
	if ch := r.ClientHello; ch != nil {
		fp.JA3String, fp.JA3 = decode.JA3(ch)
		fp.JA4, fp.JA4R = decode.JA4(ch, 't')
	}
	if sh := firstServerHello(r); sh != nil {
		fp.JA3SString, fp.JA3S = decode.JA3S(sh)
	}
	return fp
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

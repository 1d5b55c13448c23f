package report

import (
	"encoding/json"
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

type jsonMessage struct {
	TS        string `json:"ts"`
	From      string `json:"from"`
	Type      string `json:"type"`
	Encrypted bool   `json:"encrypted,omitempty"`
	Length    int    `json:"length,omitempty"`
}

type jsonAlert struct {
	TS          string `json:"ts"`
	From        string `json:"from"`
	Level       string `json:"level,omitempty"`
	Description string `json:"description,omitempty"`
	Encrypted   bool   `json:"encrypted"`
}

type jsonViolation struct {
	TS       string   `json:"ts"`
	From     string   `json:"from"`
	Code     string   `json:"code"`
	Got      string   `json:"got"`
	Expected []string `json:"expected,omitempty"`
	Detail   string   `json:"detail"`
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

type jsonGap struct {
	TS      string `json:"ts"`
	From    string `json:"from"`
	Offset  int64  `json:"offset"`
	Missing int    `json:"missing,omitempty"`
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
	for _, m := range r.Messages {
		j.Messages = append(j.Messages, jsonMessage{TS: stamp(m.TS), From: string(m.From), Type: m.Type, Encrypted: m.Encrypted, Length: m.Length})
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
	enc  *json.Encoder
	out  io.Writer
	opt  Options // findings and file names (writer.go)
	file string
}

// NewJSONWriter returns a JSONWriter on w.
func NewJSONWriter(w io.Writer) *JSONWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONWriter{enc: enc, out: w}
}

// Write writes one connection.
func (w *JSONWriter) Write(r *flows.Result) error {
	return w.enc.Encode(gated(toJSON(r), r, w.opt, w.file))
}

// Close writes nothing: JSON lines have no trailer.
func (w *JSONWriter) Close() error { return nil }

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

package report

import (
	"strconv"
	"time"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// The HTML report embeds each connection once, as JSON, in a compact form
// of docs/report.md's object (docs/report.md, "The HTML report"): the
// members a person reads in the table and the diagram, without the
// handshake details and fingerprints, and each message as an array
// [offset from ts in µs, "c" or "s", type, length, flags, summary], as
// messages are most of a connection's bytes. Every string from the wire
// or an input file is escaped as the text report escapes it (Escape), so
// that a bidirectional control reorders nothing on the page either; then
// the whole is made safe inside a <script> element (scriptSafe).

// htmlConn is one connection of the page's data, in its order.
type htmlConn struct {
	r        *flows.Result
	file     int // index in the page's files, -1 with one input
	findings []Finding
}

func (c *htmlConn) fields(w fieldWriter) {
	r := c.r
	w.stamp("ts", r.Start)
	w.stamp("end_ts", r.End)
	w.str("client", unmap(r.Client).String(), always)
	w.str("server", unmap(r.Server).String(), always)
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
	if r.ServerHello != nil {
		w.flag("resumed", r.Resumed, always)
	}
	w.str("client_certificate", r.ClientCertificate, omitEmpty)
	w.str("keys", r.Keys, omitEmpty)
	w.str("early_data", r.EarlyData, omitEmpty)
	w.str("closed", r.Closed, omitEmpty)
	if c.file >= 0 {
		w.num("file", int64(c.file), always)
	}
	w.objects("alerts", alerts(r.Alerts))
	w.objects("violations", violations(r.Violations))
	if r.Gap != nil {
		w.object("gap", (*gap)(r.Gap))
	}
	w.objects("findings", findings(c.findings))
	if d := r.Diagnosis; d != nil {
		w.object("diagnosis", (*diagnosis)(d))
	}
}

// appendHTMLConn appends c's JSON, escaped for the page, to b.
func appendHTMLConn(b []byte, c *htmlConn) []byte {
	e := htmlEncoder{jsonEncoder{b: b}}
	start := len(b)
	e.b = append(e.b, '{')
	c.fields(&e)
	e.appendMessages(c.r) // last, as arrays
	e.b = append(e.b, '}')
	return scriptSafe(e.b, start)
}

// appendMessages appends the messages member, each an array: offset from
// the connection's start in microseconds, side, type, length, flags ("e"
// encrypted, "d" decrypted, "0" sent in 0-RTT) and, for the first of its
// type from a side in clear, the summary the text ladder shows beside it.
func (e *htmlEncoder) appendMessages(r *flows.Result) {
	if len(r.Messages) == 0 {
		return
	}
	e.b = append(appendKey(e.b, "messages"), '[')
	summarised := map[string]bool{} // "from type" of the messages that have their summary
	for i, m := range r.Messages {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = strconv.AppendInt(append(e.b, '['), int64(m.TS.Sub(r.Start)/time.Microsecond), 10)
		side := `,"c",`
		if m.From == flows.Server {
			side = `,"s",`
		}
		e.b = appendString(append(e.b, side...), Escape(m.Type))
		e.b = append(strconv.AppendInt(append(e.b, ','), int64(m.Length), 10), ',')
		flags := ""
		if m.Encrypted {
			flags += "e"
		}
		if m.Decrypted {
			flags += "d"
		}
		if m.EarlyData {
			flags += "0"
		}
		e.b = appendString(e.b, flags)
		if k := string(m.From) + " " + m.Type; !m.Encrypted && !summarised[k] {
			summarised[k] = true
			if s := summary(r, m); s != "" {
				e.b = appendString(append(e.b, ','), s) // summary escapes what it quotes
			}
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, ']')
}

// htmlEncoder is the JSON encoder with every string escaped as the text
// report escapes it; nested objects are written through it too.
type htmlEncoder struct{ jsonEncoder }

func (e *htmlEncoder) str(name, v string, o omit) { e.jsonEncoder.str(name, Escape(v), o) }

func (e *htmlEncoder) dn(name, v string, o omit) { e.jsonEncoder.str(name, escapeDN(v), o) }

func (e *htmlEncoder) strs(name string, vs []string, o omit) {
	e.jsonEncoder.strs(name, htmlEscapeAll(vs, Escape), o)
}

func (e *htmlEncoder) codes(name string, vs codeList, o omit) { e.strs(name, vs.names(), o) }

func (e *htmlEncoder) dns(name string, vs []string, o omit) {
	e.jsonEncoder.strs(name, htmlEscapeAll(vs, escapeDN), o)
}

func (e *htmlEncoder) object(name string, v object) {
	e.b = append(appendKey(e.b, name), '{')
	v.fields(e)
	e.b = append(e.b, '}')
}

func (e *htmlEncoder) objects(name string, vs objectList) {
	n := vs.len()
	if n == 0 {
		return
	}
	e.b = append(appendKey(e.b, name), '[')
	for i := range n {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(e.b, '{')
		vs.at(i).fields(e)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
}

func htmlEscapeAll(vs []string, esc func(string) string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = esc(v)
	}
	return out
}

// scriptSafe rewrites b[start:], JSON, so that nothing in it ends or
// comments the <script> element it stands in, nor reads as a character
// reference: '<', '>' and '&' become \u003c, \u003e and \u0026, which
// JSON reads back the same. They can only stand inside strings (names
// are our own), where such an escape means the same character. U+2028
// and U+2029 are escaped already (appendString).
func scriptSafe(b []byte, start int) []byte {
	n := 0
	for _, c := range b[start:] {
		if c == '<' || c == '>' || c == '&' {
			n++
		}
	}
	if n == 0 {
		return b
	}
	tail := append([]byte(nil), b[start:]...)
	b = b[:start]
	for _, c := range tail {
		if c == '<' || c == '>' || c == '&' {
			b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

package report

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// The JSON report is appended by hand rather than written by
// encoding/json, whose reflection cost 8% of a run on a large capture.
// The bytes are those encoding/json's Encoder writes with
// SetEscapeHTML(false), which wrote the report before: strings escaped as
// its appendString escapes them (jsonenc_test.go holds it to that on
// hostile strings and by fuzzing), members as fields.go declares them.

// lowerHex is what encoding/json writes \u00XX escapes with.
const lowerHex = "0123456789abcdef"

// plainASCII marks the bytes appendString copies unescaped: printable
// ASCII but '"' and '\\', encoding/json's safeSet. A table indexed by a
// byte needs no bounds check, and it is faster than the comparisons.
var plainASCII = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s quoted as encoding/json quotes it with HTML
// escaping off: '"' and '\\' after a backslash; the control bytes below
// 0x20 as \b, \f, \n, \r, \t or \u00XX (DEL is left as it is); each byte
// that is not part of valid UTF-8 as \ufffd; and U+2028 and U+2029 as
// \u2028 and \u2029, which JavaScript does not accept raw in a string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKey starts a member of the object being appended: a comma unless
// it is the first, then the quoted name. No value ends in '{' (strings end
// in '"', objects in '}'), so a '{' last means the object is still empty.
// Names are this package's plain ASCII constants and need no escaping.
func appendKey(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// jsonEncoder appends the members it is given to b: the fieldWriter of the
// JSON report.
type jsonEncoder struct {
	b []byte
	// The messages of a flight share their segment's time: the last time
	// stamped and its text, appended again while it repeats.
	lastTS    time.Time
	lastStamp []byte
	// lists are the arrays codes wrote, by member name and code points
	// (listKey): the hellos of a capture come from few stacks, and their
	// lists of names were a quarter of the encoding (issue 18).
	lists     map[string][]byte
	listKey   []byte
	listBytes int // of the keys and JSON of lists, prints and certs
	// prints are the fingerprints objects written, by what they
	// are computed from (fingerprintKey): computing them was a tenth of
	// the encoding.
	prints map[string][]byte
	// certs are the certificate objects written, by their SHA-256
	// (certificate).
	certs map[string][]byte
}

// listsBytes bounds what a jsonEncoder keeps of lists, fingerprints and
// certificates, whose length is the wire's to choose.
const listsBytes = 256 << 10

// fingerprints writes a connection's fingerprints member as
// fingerprintsMember does.
func (e *jsonEncoder) fingerprints(r *flows.Result) {
	e.listKey = fingerprintKey(e.listKey[:0], r)
	if len(e.listKey) == 0 {
		return // no hello
	}
	e.b = appendKey(e.b, "fingerprints")
	if o, ok := e.prints[string(e.listKey)]; ok {
		e.b = append(e.b, o...)
		return
	}
	start := len(e.b)
	e.appendObject(fingerprintsOf(r))
	e.keep(&e.prints, string(e.listKey), start)
}

// keep files under key in *m what e.b holds from start on, within
// listsBytes.
func (e *jsonEncoder) keep(m *map[string][]byte, key string, start int) {
	n := len(key) + len(e.b) - start
	if e.listBytes+n > listsBytes {
		return
	}
	if *m == nil {
		*m = make(map[string][]byte)
	}
	(*m)[key] = bytes.Clone(e.b[start:])
	e.listBytes += n
}

// appendObject appends v as a JSON object.
func (e *jsonEncoder) appendObject(v object) {
	e.b = append(e.b, '{')
	v.fields(e)
	e.b = append(e.b, '}')
}

func (e *jsonEncoder) str(name, v string, o omit) {
	if o == omitEmpty && v == "" {
		return
	}
	e.b = appendString(appendKey(e.b, name), v)
}

func (e *jsonEncoder) dn(name, v string, o omit) { e.str(name, v, o) }

// hex appends the digits where they go, rather than a string made of
// them: random and session_id cost two allocations a hello.
func (e *jsonEncoder) hex(name string, v []byte, o omit) {
	if o == omitEmpty && len(v) == 0 {
		return
	}
	e.b = append(appendKey(e.b, name), '"')
	e.b = append(hex.AppendEncode(e.b, v), '"')
}

func (e *jsonEncoder) num(name string, v int64, o omit) {
	if o == omitEmpty && v == 0 {
		return
	}
	e.b = strconv.AppendInt(appendKey(e.b, name), v, 10)
}

func (e *jsonEncoder) flag(name string, v bool, o omit) {
	if o == omitEmpty && !v {
		return
	}
	e.b = strconv.AppendBool(appendKey(e.b, name), v)
}

func (e *jsonEncoder) strs(name string, vs []string, o omit) {
	if o == omitEmpty && len(vs) == 0 {
		return
	}
	e.b = appendStrings(appendKey(e.b, name), vs)
}

// appendStrings appends vs as a JSON array.
func appendStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, s := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func (e *jsonEncoder) dns(name string, vs []string, o omit) { e.strs(name, vs, o) }

func (e *jsonEncoder) codes(name string, vs codeList, o omit) {
	e.listKey = vs.appendCodes(append(append(e.listKey[:0], name...), 0))
	if len(e.listKey) == len(name)+1 {
		e.strs(name, nil, o) // none
		return
	}
	e.b = appendKey(e.b, name)
	if a, ok := e.lists[string(e.listKey)]; ok {
		e.b = append(e.b, a...)
		return
	}
	start := len(e.b)
	e.b = appendStrings(e.b, vs.names())
	e.keep(&e.lists, string(e.listKey), start)
}

func (e *jsonEncoder) stamp(name string, t time.Time) {
	e.b = append(appendKey(e.b, name), '"')
	switch {
	case e.lastStamp != nil && t.Equal(e.lastTS):
	case len(e.lastStamp) == len(timeLayout) && t.Unix() == e.lastTS.Unix():
		// Within the second of the last: its microseconds alone differ,
		// and the date and clock cost the most to work out.
		appendDigits(e.lastStamp[:len(timeLayout)-7], t.Nanosecond()/1000, 6)
		e.lastTS = t
	default:
		e.lastTS, e.lastStamp = t, appendStamp(e.lastStamp[:0], t)
	}
	e.b = append(append(e.b, e.lastStamp...), '"')
}

// appendStamp appends t in UTC as timeLayout writes it (microseconds
// truncated, as AppendFormat does), digit by digit: every message of a
// report has a time, and the general formatter was a seventh of encoding
// JSON (issue 18). Years of other than four digits go to AppendFormat.
func appendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = appendDigits(append(b, '-'), int(mo), 2)
	b = appendDigits(append(b, '-'), d, 2)
	b = appendDigits(append(b, 'T'), h, 2)
	b = appendDigits(append(b, ':'), mi, 2)
	b = appendDigits(append(b, ':'), s, 2)
	b = appendDigits(append(b, '.'), t.Nanosecond()/1000, 6)
	return append(b, 'Z')
}

// appendDigits appends v, at most n digits, zero-padded to n.
func appendDigits(b []byte, v, n int) []byte {
	var d [8]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}

func (e *jsonEncoder) object(name string, v object) {
	e.b = appendKey(e.b, name)
	e.appendObject(v)
}

func (e *jsonEncoder) objects(name string, vs objectList) {
	n := vs.len()
	if n == 0 {
		return
	}
	e.b = append(appendKey(e.b, name), '[')
	ch, certs := vs.(chain)
	for i := range n {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if certs {
			e.certificate(&ch[i])
			continue
		}
		e.appendObject(vs.at(i))
	}
	e.b = append(e.b, ']')
}

// certificate appends a certificate's object as appendObject does. The
// object is a function of the certificate's bytes (flows summarises each
// once, by their SHA-256), which it names: a server sends the same chain
// to every client, so each encoder keeps what it wrote for a certificate
// by that name, within listsBytes.
func (e *jsonEncoder) certificate(c *decode.CertInfo) {
	if o, ok := e.certs[c.SHA256]; ok {
		e.b = append(e.b, o...)
		return
	}
	start := len(e.b)
	e.appendObject((*certificate)(c))
	if c.SHA256 != "" {
		e.keep(&e.certs, c.SHA256, start)
	}
}

// marshaled is an object as encoding/json takes it: ECS documents carry
// some of the JSON report's objects.
type marshaled struct{ v object }

func (m marshaled) MarshalJSON() ([]byte, error) {
	var e jsonEncoder
	e.appendObject(m.v)
	return e.b, nil
}

// marshaledList is a list of objects as encoding/json takes it.
type marshaledList struct{ vs objectList }

func (m marshaledList) MarshalJSON() ([]byte, error) {
	e := jsonEncoder{b: []byte{'['}}
	for i := range m.vs.len() {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.appendObject(m.vs.at(i))
	}
	return append(e.b, ']'), nil
}

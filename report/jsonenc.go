package report

import (
	"strconv"
	"unicode/utf8"
)

// The JSON report is appended by hand rather than written by
// encoding/json, whose reflection cost 8% of a run on a large capture.
// The bytes are those encoding/json's Encoder writes for the same structs
// with SetEscapeHTML(false): members in field order, omitempty as the tags
// say, strings escaped as its appendString escapes them. jsonenc_test.go
// holds it to that on every capture, on hostile strings and by fuzzing.

// omit is whether a member's tag has omitempty, so that each append call
// reads as the tag it follows.
type omit bool

const (
	always    omit = false
	omitEmpty omit = true
)

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

func appendStringField(b []byte, name, s string, o omit) []byte {
	if o == omitEmpty && s == "" {
		return b
	}
	return appendString(appendKey(b, name), s)
}

// integer lists the integer types of the report's fields: those whose
// every value an int64 holds.
type integer interface {
	~int | ~int64 | ~uint16 | ~uint32
}

func appendIntField[T integer](b []byte, name string, v T, o omit) []byte {
	if o == omitEmpty && v == 0 {
		return b
	}
	return strconv.AppendInt(appendKey(b, name), int64(v), 10)
}

func appendBoolField(b []byte, name string, v bool, o omit) []byte {
	if o == omitEmpty && !v {
		return b
	}
	return strconv.AppendBool(appendKey(b, name), v)
}

// appendStringsField appends a list of strings; a nil list without
// omitempty is null, as encoding/json writes it.
func appendStringsField(b []byte, name string, vs []string, o omit) []byte {
	if o == omitEmpty && len(vs) == 0 {
		return b
	}
	b = appendKey(b, name)
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendObjectsField appends a list of objects, each by appendElem. Every
// such list in the report is omitempty.
func appendObjectsField[T any](b []byte, name string, vs []T, appendElem func(*T, []byte) []byte) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(appendKey(b, name), '[')
	for i := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElem(&vs[i], b)
	}
	return append(b, ']')
}

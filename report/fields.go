package report

import (
	"fmt"
	"time"
)

// Every object of the JSON report is declared once, as a method that
// hands its members, in docs/report.md's order, to a fieldWriter: name, value
// and whether an empty value is left out, in one line per member. The
// JSON encoder (jsonenc.go) and the -v text (text_details.go) are the two
// fieldWriters, so a member added to an object shows in both, under the
// same name, and neither needs reflection.

// object is a report object: it writes its members to w.
type object interface {
	fields(w fieldWriter)
}

// objectList is a list of report objects.
type objectList interface {
	len() int
	at(i int) object
}

// briefObject is an object the text shows on one line, as its brief form
// ("x25519(32)") rather than member by member.
type briefObject interface {
	object
	brief() string
}

// omit is whether a member is left out when its value is empty: "", 0,
// false or a list of none (encoding/json's omitempty).
type omit bool

const (
	always    omit = false
	omitEmpty omit = true
)

// fieldWriter takes the members of an object, in order.
type fieldWriter interface {
	str(name, v string, o omit)
	// dn is a string holding an RFC 4514 name, whose backslashes are
	// escapes already (escapeDN).
	dn(name, v string, o omit)
	num(name string, v int64, o omit)
	flag(name string, v bool, o omit)
	// hex is bytes written as a string of lowercase hex digits.
	hex(name string, v []byte, o omit)
	// strs is a list of strings; with always, a nil list is an empty one:
	// the report writes no null (docs/report.md).
	strs(name string, vs []string, o omit)
	dns(name string, vs []string, o omit)
	// codes is a list of registry code points, written as strs writes
	// their names.
	codes(name string, vs codeList, o omit)
	// stamp is a time as docs/report.md writes it (timeLayout).
	stamp(name string, t time.Time)
	// object is a member that is an object; absent ones are not given.
	object(name string, v object)
	// objects is a list of objects, left out when empty.
	objects(name string, vs objectList)
}

// codeList is a list of registry code points (cipher suites, groups,
// signature schemes...) of one type.
type codeList interface {
	names() []string
	// appendCodes appends the code points, two bytes each: two lists of
	// one member are written alike when these are equal.
	appendCodes(b []byte) []byte
}

// code is a registry code point's type.
type code interface {
	~uint8 | ~uint16
	fmt.Stringer
}

// codes is the codeList of a slice of code points. It holds a pointer to
// the slice, so that making a codeList of it allocates nothing (a report
// line has a dozen of them).
type codes[T code] struct{ vs *[]T }

func codesOf[T code](vs *[]T) codeList { return codes[T]{vs} }

func (c codes[T]) names() []string { return names(*c.vs) }

func (c codes[T]) appendCodes(b []byte) []byte {
	for _, v := range *c.vs {
		b = append(b, byte(uint16(v)>>8), byte(v))
	}
	return b
}

package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Zeek log (ssl.log, x509.log) in either of the forms Zeek writes: the
// tab-separated one, with its # header and #close, or JSON, one object
// per row with the same field names, as Zeek's LogAscii::use_json writes
// it: ts as epoch seconds, unset fields left out, sets and vectors as
// arrays. A row is given as the tab-separated form's cells; the JSON form
// is made from them, so the two never disagree.

const (
	zeekUnset = "-"
	zeekEmpty = "(empty)"
)

// zeekTimeLayout is how Zeek writes #open and #close.
const zeekTimeLayout = "2006-01-02-15-04-05"

// zeekColumn is a log's field and its Zeek type.
type zeekColumn struct{ name, typ string }

type zeekLog struct {
	w       *bufio.Writer
	path    string // "ssl", "x509"
	columns []zeekColumn
	json    bool
	opened  bool
	last    time.Time
	enc     jsonEncoder // the JSON form's buffer, reused for each row
}

func (l *zeekLog) header(t time.Time) {
	l.opened = true
	if l.json {
		return
	}
	w := l.w
	fmt.Fprintf(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t%s\n#unset_field\t%s\n#path\t%s\n", zeekEmpty, zeekUnset, l.path)
	fmt.Fprintf(w, "#open\t%s\n", t.UTC().Format(zeekTimeLayout))
	names, types := []string{"#fields"}, []string{"#types"}
	for _, c := range l.columns {
		names, types = append(names, c.name), append(types, c.typ)
	}
	fmt.Fprintln(w, strings.Join(names, "\t"))
	fmt.Fprintln(w, strings.Join(types, "\t"))
}

// row writes one row of cells, one per column, and flushes it; start and
// end are the times it covers, for #open and #close.
func (l *zeekLog) row(start, end time.Time, cells []string) error {
	if !l.opened {
		l.header(start)
	}
	if end.After(l.last) {
		l.last = end
	}
	if l.json {
		l.enc.b = append(l.enc.b[:0], '{')
		first := true
		for i, c := range l.columns {
			v, ok := zeekJSONValue(c.typ, cells[i])
			if !ok {
				continue
			}
			if !first {
				l.enc.b = append(l.enc.b, ',')
			}
			first = false
			l.enc.b = append(appendString(l.enc.b, c.name), ':')
			l.enc.b = append(l.enc.b, v...)
		}
		l.w.Write(append(l.enc.b, '}', '\n'))
	} else {
		l.w.WriteString(strings.Join(cells, "\t"))
		l.w.WriteByte('\n')
	}
	return l.w.Flush()
}

// close writes #close (the JSON form has no trailer).
func (l *zeekLog) close() error {
	if !l.opened {
		l.header(time.Now())
		l.last = time.Now()
	}
	if !l.json {
		fmt.Fprintf(l.w, "#close\t%s\n", l.last.UTC().Format(zeekTimeLayout))
	}
	return l.w.Flush()
}

// end closes the log, if it was opened, and leaves the next row to begin
// a new one with its header.
func (l *zeekLog) end() error {
	if !l.opened {
		return nil
	}
	err := l.close()
	l.opened = false
	return err
}

// zeekJSONValue is a tab-separated cell as Zeek's JSON writer writes the
// value: false when the field is unset, and so left out.
func zeekJSONValue(typ, cell string) ([]byte, bool) {
	if cell == zeekUnset {
		return nil, false
	}
	switch {
	case typ == "time", typ == "count", typ == "int", typ == "port", typ == "double":
		return []byte(cell), true
	case typ == "bool":
		return strconv.AppendBool(nil, cell == "T"), true
	case strings.HasPrefix(typ, "set["), strings.HasPrefix(typ, "vector["):
		b := []byte{'['}
		if cell != zeekEmpty {
			for i, e := range strings.Split(cell, ",") {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, zeekUnescape(e))
			}
		}
		return append(b, ']'), true
	}
	return appendString(nil, zeekUnescape(cell)), true
}

// zeekUnescape undoes zeekString and zeekElement: \\ is a backslash and
// each \xNN its byte (they escape every backslash, so no other is there).
func zeekUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			b.WriteByte(unhex(s[i+2])<<4 | unhex(s[i+3]))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// zeekElement escapes an element of a set or vector: as zeekString, and
// the set separator, as Zeek's ASCII writer does.
func zeekElement(s string) string {
	return strings.ReplaceAll(zeekString(s), ",", `\x2c`)
}

// zeekList is a set or vector of strings in Zeek's notation: unset when
// nil, (empty) when empty.
func zeekList(vs []string) string {
	if vs == nil {
		return zeekUnset
	}
	if len(vs) == 0 {
		return zeekEmpty
	}
	es := make([]string, len(vs))
	for i, v := range vs {
		es[i] = zeekElement(v)
	}
	return strings.Join(es, ",")
}

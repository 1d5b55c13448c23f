package keylog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// MaxLine bounds a key log line. The longest line of the format, a TLS
// 1.3 label with a 48-byte secret, is 193 bytes; a longer one is counted
// malformed and skipped as it is read, never held whole.
const MaxLine = 4096

// readSize is how much of a key log is read at once.
const readSize = 64 << 10

// Stats counts what reading one key log found.
type Stats struct {
	Lines     int // lines read, of every kind
	Secrets   int // secrets added, or replacing a different one
	Duplicate int // secrets the Log held already
	Replaced  int // secrets that replaced a different one for the same label
	Comments  int // comments and blank lines
	Unknown   int // lines of a label this package does not know
	RSA       int // RSA lines: premaster secrets, not used
	Full      int // secrets dropped because the Log holds 4 GiB of them
	Malformed int
	// FirstMalformed names the first malformed line; nil if there is none.
	FirstMalformed *LineError
}

// LineError says what is wrong with a line of a key log. It names the
// line, never quotes it: a key log line is secret.
type LineError struct {
	Name   string // the key log's name, as given to Parse or Load
	Line   int    // counted from 1
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s line %d: %s", e.Name, e.Line, e.Reason)
}

// String summarizes s in a line, the first malformed line named.
func (s Stats) String() string {
	msg := fmt.Sprintf("%d lines, %d secrets", s.Lines, s.Secrets)
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.Duplicate, "already known"}, {s.Replaced, "replacing another"},
		{s.Unknown, "of unknown labels"}, {s.RSA, "RSA (not used)"},
		{s.Full, "dropped (log full)"}, {s.Malformed, "malformed"},
	} {
		if c.n > 0 {
			msg += ", " + strconv.Itoa(c.n) + " " + c.what
		}
	}
	if s.FirstMalformed != nil {
		msg += " (the first: " + s.FirstMalformed.Error() + ")"
	}
	return msg
}

// Load adds the secrets of the key log file at path to g. Only an error
// opening or reading the file is returned; malformed lines are counted.
func (g *Log) Load(path string) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("keylog: %w", err)
	}
	defer f.Close()
	return g.Parse(path, f)
}

// Parse adds the secrets of the key log read from r to g; name is what
// LineError calls it. It reads r to its end; the last line needs no
// newline. Only an error reading r is returned.
func (g *Log) Parse(name string, r io.Reader) (Stats, error) {
	p := parser{log: g, name: name}
	buf := make([]byte, readSize)
	for {
		n, err := r.Read(buf)
		p.write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.stats, fmt.Errorf("keylog: %s: %w", name, err)
		}
	}
	p.end()
	return p.stats, nil
}

// parser splits what it is written into lines, across writes, and files
// the secrets of each whole line in its Log.
type parser struct {
	log     *Log
	name    string
	line    int
	pending []byte // the start of a line the last write cut, at most MaxLine
	tooLong bool   // the line being read is longer than MaxLine
	stats   Stats
}

// write reads the lines b completes and holds the start of the next.
func (p *parser) write(b []byte) {
	if len(b) == 0 {
		return
	}
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.hold(b)
			return
		}
		line := b[:i]
		b = b[i+1:]
		if len(p.pending) > 0 || p.tooLong {
			p.hold(line)
			line = p.pending
		}
		p.parseLine(line)
		p.pending = p.pending[:0]
		p.tooLong = false
	}
}

// end reads the last line, if it has no newline.
func (p *parser) end() {
	if len(p.pending) == 0 && !p.tooLong {
		return
	}
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	p.parseLine(p.pending)
	p.pending = p.pending[:0]
	p.tooLong = false
}

// reset forgets a line in progress and numbers lines from 1 again: the
// file being followed was truncated or replaced.
func (p *parser) reset() {
	p.pending = p.pending[:0]
	p.tooLong = false
	p.line = 0
}

func (p *parser) hold(b []byte) {
	if p.tooLong {
		return
	}
	if len(p.pending)+len(b) > MaxLine {
		p.tooLong = true
		p.pending = p.pending[:0]
		return
	}
	p.pending = append(p.pending, b...)
}

// parseLine reads one line, its newline removed. The caller holds the
// Log's lock for writing.
func (p *parser) parseLine(line []byte) {
	p.line++
	p.stats.Lines++
	if p.tooLong || len(line) > MaxLine {
		p.malformed("longer than " + strconv.Itoa(MaxLine) + " bytes")
		return
	}
	if !p.quick(line) {
		p.fields(line)
	}
}

// quick files the secret of a line as key log writers write it, a label,
// a space, 64 hex digits, a space, 64 or 96 hex digits and perhaps a
// carriage return, as fields would. It returns false having done nothing
// for any other line, which fields then reads. Reading a key log was a
// twentieth of a keyed run on the benchmark captures, before the first
// packet (issue 18); splitting a line byte by byte and decoding its hex
// were half of that.
func (p *parser) quick(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	i := bytes.IndexByte(line, ' ')
	if i <= 0 || len(line) < i+1+64+1 || line[i+1+64] != ' ' {
		return false
	}
	l, ok := parseLabel(line[:i])
	hexSecret := line[i+1+64+1:]
	if !ok || len(hexSecret) != 96 && (len(hexSecret) != 64 || l == LabelClientRandom) {
		return false
	}
	// Hex digits are not spaces: once both decode, the line had three
	// fields, as fields would have split them.
	var cr [32]byte
	var secret [MaxSecretLength]byte
	if !decodeHex(cr[:], line[i+1:i+1+64]) || !decodeHex(secret[:len(hexSecret)/2], hexSecret) {
		return false
	}
	p.file(&cr, l, secret[:len(hexSecret)/2])
	return true
}

// fields reads any line, split by fields.
func (p *parser) fields(line []byte) {
	var f [4][]byte
	n := fields(line, &f)
	if n == 0 || f[0][0] == '#' {
		p.stats.Comments++
		return
	}
	l, ok := parseLabel(f[0])
	if !ok {
		if string(f[0]) == "RSA" {
			p.stats.RSA++
		} else {
			p.stats.Unknown++
		}
		return
	}
	if n != 3 {
		if n > 3 {
			p.malformed("more than 3 fields")
		} else {
			p.malformed(strconv.Itoa(n) + " fields, not 3")
		}
		return
	}
	var cr [32]byte
	if len(f[1]) != 2*len(cr) {
		p.malformed("client random of " + strconv.Itoa(len(f[1])) + " hex digits, not 64")
		return
	}
	if !decodeHex(cr[:], f[1]) {
		p.malformed("client random is not hex")
		return
	}
	var secret [MaxSecretLength]byte
	switch {
	case l == LabelClientRandom && len(f[2]) != 96:
		p.malformed("master secret of " + strconv.Itoa(len(f[2])) + " hex digits, not 96")
		return
	case len(f[2]) != 64 && len(f[2]) != 96:
		p.malformed("secret of " + strconv.Itoa(len(f[2])) + " hex digits, not 64 or 96")
		return
	}
	if !decodeHex(secret[:len(f[2])/2], f[2]) {
		p.malformed("secret is not hex")
		return
	}
	p.file(&cr, l, secret[:len(f[2])/2])
}

// file adds a line's secret to the Log and counts what that did.
func (p *parser) file(cr *[32]byte, l Label, secret []byte) {
	switch p.log.add(cr, l, secret) {
	case added:
		p.stats.Secrets++
	case duplicate:
		p.stats.Duplicate++
	case replaced:
		p.stats.Secrets++
		p.stats.Replaced++
	case full:
		p.stats.Full++
	}
}

func (p *parser) malformed(reason string) {
	p.stats.Malformed++
	if p.stats.FirstMalformed == nil {
		p.stats.FirstMalformed = &LineError{Name: p.name, Line: p.line, Reason: reason}
	}
}

// fields splits line at runs of spaces and tabs into f and returns how
// many fields it has; more than len(f) counts as len(f)+1. A carriage
// return ending the line is a space, for key logs written on Windows.
func fields(line []byte, f *[4][]byte) int {
	n := 0
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if n == len(f) {
			return n + 1
		}
		f[n] = line[i:j]
		n++
		i = j
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// hexValue maps a hex digit to its value and any other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for c := range t {
		switch {
		case '0' <= c && c <= '9':
			t[c] = byte(c - '0')
		case 'a' <= c && c <= 'f':
			t[c] = byte(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			t[c] = byte(c - 'A' + 10)
		default:
			t[c] = 0xff
		}
	}
	return t
}()

// decodeHex decodes src, 2*len(dst) hex digits, into dst as hex.Decode does,
// and says whether each was a hex digit. It checks once at the end rather
// than at each byte: a fifth faster than hex.Decode on a key log line's 80
// bytes, and no error value to make.
func decodeHex(dst, src []byte) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	var bad byte
	for i := range dst {
		p := src[2*i : 2*i+2 : 2*i+2]
		a, b := hexValue[p[0]], hexValue[p[1]]
		bad |= a | b
		dst[i] = a<<4 | b
	}
	return bad&0xf0 == 0
}

func parseLabel(b []byte) (Label, bool) {
	for l, name := range labelNames {
		if string(b) == name {
			return Label(l), true
		}
	}
	return 0, false
}

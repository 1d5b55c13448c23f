package report

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// JUnitWriter writes JUnit XML, as Jenkins and GitLab read it (the schema
// Jenkins calls junit-4.xsd; testdata/junit holds it): one test suite per
// input file, one test case per connection, named by its server, SNI and
// an index among the suite's connections to the same server and SNI (no
// client port: the name stays the same from run to run, so that CI
// systems keep each test's history), and a failure per finding, whose type is the finding's code
// (the violation code, else the rule) and whose text is the connection's
// ladder. A comparison with a baseline adds a suite "baseline" with a
// failing test case per change for the worse. The XML is written by
// Close: a suite's counts come first in it, so its test cases wait in a
// temporary file, not in memory, which would grow with the connections.
type JUnitWriter struct {
	w      io.Writer
	opt    Options
	suites []*junitSuite
	cur    *junitSuite
	base   *BaselineChanges
	spool  *os.File // the test cases of every suite, one after the other
	spoolW *bufio.Writer
	at     int64           // bytes written to spool
	err    error           // the first error of the spool
	gate   []junitTestCase // the run's gate failures (--min-connections)
}

type junitSuite struct {
	XMLName   xml.Name        `xml:"testsuite"`
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Cases     []junitTestCase `xml:"testcase"` // only the baseline's: the others are spooled
	seconds   float64
	from, to  int64 // its test cases in the spool
	// seen counts the suite's connections by test name without index.
	seen map[string]int
}

type junitTestCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Errors    []junitFailure `xml:"error"`
	Failures  []junitFailure `xml:"failure"`
	SystemOut *junitText     `xml:"system-out"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

// NewJUnitWriter returns a JUnitWriter that writes to w on Close. The
// findings are those of o.Rules.
func NewJUnitWriter(w io.Writer, o Options) *JUnitWriter {
	return &JUnitWriter{w: w, opt: o}
}

// BeginFile starts the test suite of an input file.
func (j *JUnitWriter) BeginFile(path string) error {
	j.cur = &junitSuite{Name: path, from: j.at, to: j.at}
	j.suites = append(j.suites, j.cur)
	return j.err
}

// FileError records an input that could not be read, or broke off, as a
// test case in error in the input's test suite.
func (j *JUnitWriter) FileError(path string, err error) {
	s := j.cur
	if s == nil || s.Name != path {
		s = &junitSuite{Name: path, from: j.at, to: j.at}
		j.suites = append(j.suites, s)
	}
	s.Tests++
	s.Errors++
	j.add(s, junitTestCase{Name: "read " + path, Classname: classname(path), Time: seconds(0),
		Errors: []junitFailure{{Type: "input_error", Message: err.Error(), Text: xmlSafe(err.Error())}}})
	j.cur = nil
}

// GateFailure records a run the gate failed for want of connections
// (--min-connections): for an input with no TLS connection, a failing
// test case in its suite; for the whole run (path ""), one in a suite
// "gate". A CI dashboard then shows why the job failed, not green tests.
func (j *JUnitWriter) GateFailure(path, msg string) {
	tc := junitTestCase{Name: "TLS connections", Classname: "hsdecode.gate", Time: seconds(0),
		Failures: []junitFailure{{Type: "min_connections", Message: msg, Text: xmlSafe(msg)}}}
	if path == "" {
		j.gate = append(j.gate, tc)
		return
	}
	s := j.cur
	if s == nil || s.Name != path {
		s = &junitSuite{Name: path, from: j.at, to: j.at}
		j.suites = append(j.suites, s)
		j.cur = s
	}
	tc.Classname = classname(path)
	s.Tests++
	s.Failures++
	j.add(s, tc)
}

// Write adds a connection's test case.
func (j *JUnitWriter) Write(r *flows.Result, findings []Finding) error {
	if j.cur == nil {
		j.BeginFile("capture")
	}
	s := j.cur
	dur := r.End.Sub(r.Start).Seconds()
	if dur < 0 {
		dur = 0
	}
	tc := junitTestCase{Name: s.testCaseName(r), Classname: classname(s.Name), Time: seconds(dur)}
	ladder := ladderText(r, findings)
	for _, f := range findings {
		msg := f.String()
		if r.Diagnosis != nil {
			// The symptom, then its cause.
			msg += "; diagnosis " + diagnosisLine(r.Diagnosis)
		}
		tc.Failures = append(tc.Failures, junitFailure{Type: f.Code, Message: msg, Text: ladder})
	}
	if len(tc.Failures) == 0 {
		tc.SystemOut = &junitText{ladder}
	} else {
		s.Failures++
	}
	if s.Timestamp == "" {
		s.Timestamp = r.Start.UTC().Format("2006-01-02T15:04:05")
	}
	s.Tests++
	s.seconds += dur
	j.add(s, tc)
	return j.err
}

// add appends a test case of s, the latest suite, to the spool, indented
// as it stands in the whole document.
func (j *JUnitWriter) add(s *junitSuite, tc junitTestCase) {
	if j.err != nil {
		return
	}
	if j.spool == nil {
		if j.spool, j.err = os.CreateTemp("", "hsdecode-junit-*.xml"); j.err != nil {
			j.err = fmt.Errorf("--junit: %w", j.err)
			return
		}
		j.spoolW = bufio.NewWriterSize(j.spool, 64<<10)
	}
	var buf bytes.Buffer
	buf.WriteByte('\n') // the encoder writes the prefix, not the line break
	enc := xml.NewEncoder(&buf)
	enc.Indent("    ", "  ")
	if j.err = enc.EncodeElement(tc, xml.StartElement{Name: xml.Name{Local: "testcase"}}); j.err != nil {
		return
	}
	n, err := j.spoolW.Write(buf.Bytes())
	j.at += int64(n)
	s.to = j.at
	if err != nil {
		j.err = fmt.Errorf("--junit: %w", err)
	}
}

// WriteSummary keeps the baseline comparison for Close.
func (j *JUnitWriter) WriteSummary(_ *Summary, b *BaselineChanges) error {
	j.base = b
	return nil
}

// Close writes the XML and removes the spool.
func (j *JUnitWriter) Close() error {
	if j.spool != nil {
		defer os.Remove(j.spool.Name())
		defer j.spool.Close()
		if err := j.spoolW.Flush(); err != nil && j.err == nil {
			j.err = fmt.Errorf("--junit: %w", err)
		}
	}
	if j.err != nil {
		return j.err
	}
	if len(j.gate) > 0 {
		j.suites = append(j.suites, &junitSuite{Name: "gate", Tests: len(j.gate), Failures: len(j.gate), Cases: j.gate})
	}
	if b := j.base; b != nil {
		s := &junitSuite{Name: "baseline"}
		for _, ch := range b.Changes {
			if !ch.Worse {
				continue
			}
			s.Tests++
			s.Failures++
			s.Cases = append(s.Cases, junitTestCase{Name: baselineKey{ch.Server, ch.SNI}.String() + " " + ch.Kind,
				Classname: "hsdecode.baseline", Time: seconds(0),
				Failures: []junitFailure{{Type: "baseline-" + ch.Kind, Message: ch.String(), Text: xmlSafe(ch.Detail)}}})
		}
		if s.Tests == 0 {
			var lines []string
			for _, ch := range b.Changes {
				lines = append(lines, ch.String())
			}
			s.Tests = 1
			s.Cases = append(s.Cases, junitTestCase{Name: "no change for the worse", Classname: "hsdecode.baseline",
				Time: seconds(0), SystemOut: &junitText{xmlSafe(strings.Join(lines, "\n"))}})
		}
		j.suites = append(j.suites, s)
	}
	all := junitSuites{Name: "hsdecode"}
	var total float64
	for _, s := range j.suites {
		s.Time = seconds(s.seconds)
		total += s.seconds
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
	}
	all.Time = seconds(total)
	bw := bufio.NewWriterSize(j.w, 64<<10)
	bw.WriteString(xml.Header)
	open, err := openTag(&all, "testsuites")
	if err != nil {
		return err
	}
	if len(j.suites) == 0 {
		bw.WriteString(open + "</testsuites>\n")
		return bw.Flush()
	}
	bw.WriteString(open)
	for _, s := range j.suites {
		if s.Cases != nil {
			var buf bytes.Buffer
			buf.WriteByte('\n')
			enc := xml.NewEncoder(&buf)
			enc.Indent("  ", "  ")
			if err := enc.Encode(s); err != nil {
				return err
			}
			bw.Write(buf.Bytes())
			continue
		}
		open, err := openTag(s, "testsuite")
		if err != nil {
			return err
		}
		bw.WriteString("\n  " + open)
		if s.to > s.from {
			if _, err := io.Copy(bw, io.NewSectionReader(j.spool, s.from, s.to-s.from)); err != nil {
				return fmt.Errorf("--junit: %w", err)
			}
			bw.WriteString("\n  ")
		}
		bw.WriteString("</testsuite>")
	}
	bw.WriteString("\n</testsuites>\n")
	return bw.Flush()
}

// openTag is the start tag encoding/xml writes for v, an element with no
// children here, with its attributes: what precedes the children.
func openTag(v any, name string) (string, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	tag, ok := strings.CutSuffix(buf.String(), "</"+name+">")
	if !ok {
		return "", fmt.Errorf("junit: %s encoded as %q", name, buf.String())
	}
	return tag, nil
}

// classname is a test case's class: "hsdecode." and the input's path,
// its dots made underscores (Jenkins reads the part before the last dot
// as a package).
func classname(path string) string {
	return "hsdecode." + strings.ReplaceAll(path, ".", "_")
}

// testCaseName names a connection by server, SNI and its index among the
// suite's connections with both the same, in the order they are written
// (start order, reading files): "127.0.0.1:443 sni=example.com #2". A
// handshake over UDP is named by its transport first ("quic 127.0.0.1:443
// ..."), so that HTTP/3 beside HTTP/2 to one server keeps names apart.
func (s *junitSuite) testCaseName(r *flows.Result) string {
	key := baselineKey{Server: unmap(r.Server).String(), SNI: r.ServerName}.String()
	if r.Transport != stream.TransportTCP {
		key = r.Transport.String() + " " + key
	}
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.seen[key]++
	return fmt.Sprintf("%s #%d", key, s.seen[key])
}

// ladderText is the connection's text report, without colour: its header,
// ladder, violations and findings, for a CDATA section.
func ladderText(r *flows.Result, findings []Finding) string {
	var buf bytes.Buffer
	NewTextWriter(&buf, Options{}).Write(r, findings)
	return xmlSafe(strings.TrimRight(buf.String(), "\n")) + "\n"
}

// xmlSafe replaces the characters XML 1.0 cannot carry, which a hostile
// SNI or certificate name could hold, with U+FFFD, as encoding/xml does
// for attributes; CDATA sections are written as they are.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xd7ff,
			r >= 0xe000 && r <= 0xfffd && r != utf8.RuneError,
			r >= 0x10000 && r <= 0x10ffff:
			return r
		}
		return '\ufffd'
	}, s)
}

// seconds is a JUnit time: seconds with microseconds.
func seconds(s float64) string {
	return fmt.Sprintf("%.6f", s)
}

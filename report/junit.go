package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hsdecode/hsdecode/flows"
)

// JUnitWriter writes JUnit XML, as Jenkins and GitLab read it (the schema
// Jenkins calls junit-4.xsd; testdata/junit holds it): one test suite per
// input file, one test case per connection, named by its client, server
// and SNI, and a failure per finding, whose type is the finding's code
// (the violation code, else the rule) and whose text is the connection's
// ladder. A comparison with a baseline adds a suite "baseline" with a
// failing test case per change for the worse. The XML is written by
// Close.
type JUnitWriter struct {
	w      io.Writer
	opt    Options
	suites []*junitSuite
	cur    *junitSuite
	base   *BaselineChanges
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
	Cases     []junitTestCase `xml:"testcase"`
	seconds   float64
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
	j.cur = &junitSuite{Name: path}
	j.suites = append(j.suites, j.cur)
	return nil
}

// FileError records an input that could not be read, or broke off, as a
// test case in error in the input's test suite.
func (j *JUnitWriter) FileError(path string, err error) {
	s := j.cur
	if s == nil || s.Name != path {
		s = &junitSuite{Name: path}
		j.suites = append(j.suites, s)
	}
	s.Tests++
	s.Errors++
	s.Cases = append(s.Cases, junitTestCase{Name: "read " + path, Classname: classname(path), Time: seconds(0),
		Errors: []junitFailure{{Type: "input_error", Message: err.Error(), Text: xmlSafe(err.Error())}}})
	j.cur = nil
}

// Write adds a connection's test case.
func (j *JUnitWriter) Write(r *flows.Result) error {
	if j.cur == nil {
		j.BeginFile("capture")
	}
	s := j.cur
	dur := r.End.Sub(r.Start).Seconds()
	if dur < 0 {
		dur = 0
	}
	tc := junitTestCase{Name: testCaseName(r), Classname: classname(s.Name), Time: seconds(dur)}
	ladder := ladderText(r, j.opt.Rules)
	for _, f := range Findings(r, j.opt.Rules) {
		tc.Failures = append(tc.Failures, junitFailure{Type: f.Code, Message: f.String(), Text: ladder})
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
	s.Cases = append(s.Cases, tc)
	return nil
}

// WriteSummary keeps the baseline comparison for Close.
func (j *JUnitWriter) WriteSummary(_ *Summary, b *BaselineChanges) error {
	j.base = b
	return nil
}

// Close writes the XML.
func (j *JUnitWriter) Close() error {
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
	all := junitSuites{Name: "hsdecode", Suites: j.suites}
	var total float64
	for _, s := range j.suites {
		s.Time = seconds(s.seconds)
		total += s.seconds
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
	}
	all.Time = seconds(total)
	if all.Suites == nil {
		all.Suites = []*junitSuite{}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(&all); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := j.w.Write(buf.Bytes())
	return err
}

// classname is a test case's class: "hsdecode." and the input's path,
// its dots made underscores (Jenkins reads the part before the last dot
// as a package).
func classname(path string) string {
	return "hsdecode." + strings.ReplaceAll(path, ".", "_")
}

// testCaseName names a connection by client, server and SNI.
func testCaseName(r *flows.Result) string {
	name := fmt.Sprintf("%s -> %s", unmap(r.Client), unmap(r.Server))
	if r.ServerName != "" {
		name += " sni=" + r.ServerName
	}
	return name
}

// ladderText is the connection's text report, without colour: its header,
// ladder, violations and findings, for a CDATA section.
func ladderText(r *flows.Result, rules Rules) string {
	var buf bytes.Buffer
	t := NewTextWriter(&buf)
	t.opt = Options{Rules: rules}
	t.Write(r)
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

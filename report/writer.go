package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/hsdecode/hsdecode/flows"
)

// Writer is what every output format implements. Write is given a
// connection with its findings (Findings, under the run's rules): the
// caller evaluates them once, for its exit status and for every writer.
type Writer interface {
	Write(r *flows.Result, findings []Finding) error
	Close() error
}

// Options configures every writer. The zero value is the plain report of
// one capture: no findings, no colour, no file names.
type Options struct {
	// Verbose adds, after each text ladder, every detail the JSON report
	// carries (the hellos' fields, each certificate, the key exchange
	// parameters, ...), under the JSON names.
	Verbose bool
	// Color marks outcomes, alerts, violations and findings with ANSI
	// colours in the text report.
	Color bool
	// MultiFile says connections come from several inputs: each names its
	// file (JSON and ECS file fields, the text header, a Zeek column).
	MultiFile bool
	// CommunityIDSeed is the seed of every Community ID written
	// (--community-id-seed; 0 as Zeek, Suricata and Elastic default to).
	CommunityIDSeed uint16
	// Location is the zone of the text report's times (--local); nil
	// means UTC. The other formats write UTC, as their schemas say.
	Location *time.Location
}

// FileWriter is a Writer that groups connections by the input file they
// came from. BeginFile is called before the first connection of each
// input, with the path as given.
type FileWriter interface {
	BeginFile(path string) error
}

// InputErrorWriter is a Writer that records the inputs that could not be
// read, or broke off (JUnit, HTML).
type InputErrorWriter interface {
	FileError(path string, err error)
}

// GateWriter is a Writer that shows a failure of the gate itself: an
// input with no TLS connection (path given), or a run with fewer than
// --min-connections (path ""), given with the message the run prints.
type GateWriter interface {
	GateFailure(path, msg string)
}

// SummaryWriter is a Writer that shows the run's Summary (and the
// comparison with a baseline, when one was given). It is called once,
// after the last Write and before Close.
type SummaryWriter interface {
	WriteSummary(s *Summary, b *BaselineChanges) error
}

// Syncer is a Writer that may write a connection after its Write returned
// (JSONWriter.Parallel). Sync returns once every connection given is
// written, with the first error writing them.
type Syncer interface {
	Sync() error
}

// Rotator is a Writer whose output has a head and a tail (a Zeek log's
// header and #close). EndLog writes the tail and flushes, so that the file
// under it can be switched for another (SIGHUP with -o); the next Write
// begins the new file with a head.
type Rotator interface {
	EndLog() error
}

// NewWriter returns the writer of a format: text, json, ecs, zeek,
// zeek-json or html.
func NewWriter(format string, w io.Writer, o Options) (Writer, error) {
	switch format {
	case "text":
		return NewTextWriter(w, o), nil
	case "json":
		j := NewJSONWriter(w)
		j.opt = o
		return j, nil
	case "ecs":
		return NewECSWriter(w, o), nil
	case "zeek", "zeek-json":
		return NewZeekWriter(w, o, format == "zeek-json"), nil
	case "html":
		return NewHTMLWriter(w, o), nil
	}
	return nil, fmt.Errorf("report: unknown format %q (text, json, ecs, zeek, zeek-json, html)", format)
}

// Tee writes every connection to several writers, as one: the chosen
// format to standard output and JUnit XML to a file.
func Tee(ws ...Writer) Writer { return tee(ws) }

type tee []Writer

func (t tee) Write(r *flows.Result, findings []Finding) error {
	var errs []error
	for _, w := range t {
		errs = append(errs, w.Write(r, findings))
	}
	return errors.Join(errs...)
}

func (t tee) Close() error {
	var errs []error
	for _, w := range t {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}

func (t tee) BeginFile(path string) error {
	var errs []error
	for _, w := range t {
		if f, ok := w.(FileWriter); ok {
			errs = append(errs, f.BeginFile(path))
		}
	}
	return errors.Join(errs...)
}

func (t tee) Sync() error {
	var errs []error
	for _, w := range t {
		if s, ok := w.(Syncer); ok {
			errs = append(errs, s.Sync())
		}
	}
	return errors.Join(errs...)
}

func (t tee) FileError(path string, err error) {
	for _, w := range t {
		if f, ok := w.(InputErrorWriter); ok {
			f.FileError(path, err)
		}
	}
}

func (t tee) GateFailure(path, msg string) {
	for _, w := range t {
		if g, ok := w.(GateWriter); ok {
			g.GateFailure(path, msg)
		}
	}
}

func (t tee) WriteSummary(s *Summary, b *BaselineChanges) error {
	var errs []error
	for _, w := range t {
		if f, ok := w.(SummaryWriter); ok {
			errs = append(errs, f.WriteSummary(s, b))
		}
	}
	return errors.Join(errs...)
}

// BeginFile notes the input the next connections come from.
func (w *JSONWriter) BeginFile(path string) error { w.file = path; return nil }

// WriteSummary writes the summary as the last JSON object, when asked
// for (main passes it only with --summary).
func (w *JSONWriter) WriteSummary(s *Summary, b *BaselineChanges) error {
	if err := w.Sync(); err != nil {
		return err
	}
	return s.WriteJSON(w.out, b)
}

// displayName is how a file is named in a test suite or header: the path
// as given, or its base name when it is long.
func displayName(path string) string {
	if len(path) > 60 {
		return filepath.Base(path)
	}
	return path
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hsdecode/hsdecode/report"
)

// outputs are the writers of a run: the chosen format on standard output,
// the JUnit file and the HTML page.
type outputs struct {
	format  string
	summary bool // --summary
	out     report.Writer
	junit   *report.JUnitWriter
	html    *report.HTMLWriter
	github  *report.GitHubWriter // --annotations github
	files   []*os.File           // --junit's, --html's and --zeek-x509's
	all     report.Writer        // out, junit, html, github and x509.log
}

// outputFiles are the files written beside the chosen format.
type outputFiles struct {
	junit, html string
	zeekX509    string // --zeek-x509
}

func openOutputs(format string, stdout io.Writer, o report.Options, paths outputFiles, summary bool, annotations string, stderr io.Writer) (*outputs, error) {
	junitPath, htmlPath := paths.junit, paths.html
	out, err := report.NewWriter(format, stdout, o)
	if err != nil {
		return nil, err
	}
	op := &outputs{format: format, summary: summary, out: out, all: out}
	ws := []report.Writer{out}
	switch annotations {
	case "":
	case "github":
		// On standard error, which the runner reads for commands as it
		// does standard output, so that the chosen format keeps
		// standard output to itself.
		op.github = report.NewGitHubWriter(stderr, o)
		ws = append(ws, op.github)
	default:
		return nil, fmt.Errorf("--annotations %q: give github", annotations)
	}
	if junitPath != "" {
		f, err := os.Create(junitPath)
		if err != nil {
			return nil, fmt.Errorf("--junit: %w", err)
		}
		op.files = append(op.files, f)
		op.junit = report.NewJUnitWriter(f, o)
		ws = append(ws, op.junit)
	}
	if htmlPath != "" {
		f, err := os.Create(htmlPath)
		if err != nil {
			op.closeFiles()
			return nil, fmt.Errorf("--html: %w", err)
		}
		op.files = append(op.files, f)
		op.html = report.NewHTMLWriter(f, o)
		ws = append(ws, op.html)
	}
	if paths.zeekX509 != "" {
		f, err := os.Create(paths.zeekX509)
		if err != nil {
			op.closeFiles()
			return nil, fmt.Errorf("--zeek-x509: %w", err)
		}
		op.files = append(op.files, f)
		ws = append(ws, report.NewZeekX509Writer(f, format == "zeek-json"))
	}
	if len(ws) > 1 {
		op.all = report.Tee(ws...)
	}
	return op, nil
}

// closeFiles closes the files of --junit, --html and --zeek-x509.
func (op *outputs) closeFiles() error {
	var errs []error
	for _, f := range op.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// beginFile starts an input's part of every output.
func (op *outputs) beginFile(path string) error {
	if f, ok := op.all.(report.FileWriter); ok {
		return f.BeginFile(path)
	}
	return nil
}

// sync returns once the outputs wrote every connection given
// (report.Syncer).
func (op *outputs) sync() error {
	if s, ok := op.all.(report.Syncer); ok {
		return s.Sync()
	}
	return nil
}

// fileError records an input that could not be read in the outputs that
// list them: the JUnit file and the HTML page.
func (op *outputs) fileError(path string, err error) {
	if f, ok := op.all.(report.InputErrorWriter); ok {
		f.FileError(path, err)
	}
}

// gateFailure records a failure of the gate in the outputs that show it.
func (op *outputs) gateFailure(path, msg string) {
	if g, ok := op.all.(report.GateWriter); ok {
		g.GateFailure(path, msg)
	}
}

// finish writes the summary and the baseline comparison where they go,
// and closes every output.
func (op *outputs) finish(g *gate, ch *report.BaselineChanges, stderr io.Writer) error {
	if g.sum.Files == 0 && g.sum.Errors > 0 {
		return op.finishUnread(g, ch)
	}
	var errs []error
	if sw, ok := op.out.(report.SummaryWriter); ok && (op.format == "text" || op.format == "html" || op.summary) {
		errs = append(errs, sw.WriteSummary(g.sum, ch))
	} else if op.summary {
		fmt.Fprintln(stderr, "hsdecode: summary:")
		g.sum.WriteText(stderr)
	}
	if ch != nil && op.format != "text" {
		for _, c := range ch.Changes {
			fmt.Fprintln(stderr, "hsdecode: baseline:", report.Escape(c.String()))
		}
	}
	if op.junit != nil {
		errs = append(errs, op.junit.WriteSummary(g.sum, ch))
	}
	if op.html != nil {
		errs = append(errs, op.html.WriteSummary(g.sum, ch))
	}
	if op.github != nil {
		errs = append(errs, op.github.WriteSummary(g.sum, ch))
	}
	errs = append(errs, op.all.Close(), op.closeFiles())
	return errors.Join(errs...)
}

// finishUnread ends a run none of whose inputs could be read: the errors
// on standard error say all there is, and a report of nothing (a summary
// of zeros, "0 connections", an empty Zeek log) would only hide them. The
// JUnit file and the HTML page still list the inputs that failed, for the
// CI dashboard.
func (op *outputs) finishUnread(g *gate, ch *report.BaselineChanges) error {
	var errs []error
	if op.junit != nil {
		errs = append(errs, op.junit.WriteSummary(g.sum, ch), op.junit.Close())
	}
	if op.html != nil {
		errs = append(errs, op.html.WriteSummary(g.sum, ch), op.html.Close())
	}
	return errors.Join(append(errs, op.closeFiles())...)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hsdecode/hsdecode/report"
)

// outputs are the writers of a run: the chosen format on standard output
// and the JUnit file.
type outputs struct {
	format  string
	summary bool // --summary
	out     report.Writer
	junit   *report.JUnitWriter
	junitF  *os.File
	all     report.Writer // out and junit
}

func openOutputs(format string, stdout io.Writer, o report.Options, junitPath string, summary bool) (*outputs, error) {
	out, err := report.NewWriter(format, stdout, o)
	if err != nil {
		return nil, err
	}
	op := &outputs{format: format, summary: summary, out: out, all: out}
	if junitPath != "" {
		f, err := os.Create(junitPath)
		if err != nil {
			return nil, fmt.Errorf("--junit: %w", err)
		}
		op.junitF = f
		op.junit = report.NewJUnitWriter(f, o)
		op.all = report.Tee(out, op.junit)
	}
	return op, nil
}

// beginFile starts an input's part of every output.
func (op *outputs) beginFile(path string) error {
	if f, ok := op.all.(report.FileWriter); ok {
		return f.BeginFile(path)
	}
	return nil
}

// fileError records an input that could not be read in the JUnit file.
func (op *outputs) fileError(path string, err error) {
	if op.junit != nil {
		op.junit.FileError(path, err)
	}
}

// finish writes the summary and the baseline comparison where they go,
// and closes every output.
func (op *outputs) finish(g *gate, ch *report.BaselineChanges, stderr io.Writer) error {
	var errs []error
	if sw, ok := op.out.(report.SummaryWriter); ok && (op.format == "text" || op.summary) {
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
	errs = append(errs, op.all.Close())
	if op.junitF != nil {
		errs = append(errs, op.junitF.Close())
	}
	return errors.Join(errs...)
}

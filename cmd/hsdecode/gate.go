package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// The CI gate: what makes the exit status 1 (--fail-on, or --baseline),
// the summary, the JUnit file, and what a terminal gets that a pipe does
// not (progress, colour).

// captureExts are the file name endings read from a directory given as
// an input.
var captureExts = []string{".pcap", ".pcapng", ".cap"}

// expandInputs turns the inputs as given into capture files: a directory
// stands for the captures directly in it (*.pcap, *.pcapng, *.cap, not in
// subdirectories), sorted by name. dir says a directory was among them.
// A capture in a directory that is not a regular file (a FIFO, a device)
// is skipped with a warning on stderr: opening or reading it could wait
// forever. Given by name, it is read as a stream, as standard input is.
func expandInputs(args []string, stderr io.Writer) (files []string, dir bool, err error) {
	for _, a := range args {
		if a == "-" {
			files = append(files, a)
			continue
		}
		fi, statErr := os.Stat(a)
		if statErr != nil || !fi.IsDir() {
			files = append(files, a) // opening it reports the error
			continue
		}
		dir = true
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, dir, fmt.Errorf("read directory %s: %w", a, err)
		}
		var found []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !slices.Contains(captureExts, ext) || e.IsDir() {
				continue
			}
			path := filepath.Join(a, e.Name())
			// Stat follows a symbolic link to what it names.
			fi, err := os.Stat(path)
			if err == nil && fi.IsDir() {
				continue
			}
			if err == nil && !fi.Mode().IsRegular() {
				fmt.Fprintf(stderr, "hsdecode: warning: %s: skipped, %s; give it by name to read it as a stream\n", path, fileKind(fi.Mode()))
				continue
			}
			found = append(found, path) // a Stat error is reported on opening
		}
		if len(found) == 0 {
			return nil, dir, fmt.Errorf("%s: no captures in the directory (%s)", a, strings.Join(captureExts, ", "))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, dir, nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// gate decides a run's exit status from its connections, and keeps the
// summary and the baseline comparison.
type gate struct {
	rules    report.Rules
	sum      *report.Summary
	base     *report.Baseline // nil without --baseline
	findings bool             // a connection had a finding
}

func newGate(rules report.Rules, base *report.Baseline) *gate {
	return &gate{rules: rules, sum: report.NewSummary(), base: base}
}

// add counts a connection that is about to be written.
func (g *gate) add(r *flows.Result) {
	fs := report.Findings(r, g.rules)
	if len(fs) > 0 {
		g.findings = true
	}
	g.sum.Add(r, fs)
	if g.base != nil {
		g.base.Observe(r)
	}
}

// changes compares with the baseline; nil without one.
func (g *gate) changes() *report.BaselineChanges {
	if g.base == nil {
		return nil
	}
	return g.base.Compare()
}

// status is the exit status for the connections seen: with a baseline, 1
// when something got worse; without, 1 when a connection had a finding.
func (g *gate) status(ch *report.BaselineChanges) int {
	if ch != nil {
		if ch.Worse() > 0 {
			return exitFindings
		}
		return exitOK
	}
	if g.findings {
		return exitFindings
	}
	return exitOK
}

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

// isTerminal says w is a terminal (a character device: /dev/null counts
// too, where colour and progress do no harm).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// useColor decides --color: auto colours a terminal unless NO_COLOR is set
// (no-color.org) or TERM is dumb.
func useColor(mode string, stdout io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return isTerminal(stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb", nil
	}
	return false, fmt.Errorf("--color %q: give auto, always or never", mode)
}

// useProgress decides --progress: auto shows it when standard error is a
// terminal and CI is not set (every CI service sets it).
func useProgress(mode string, stderr io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return isTerminal(stderr) && os.Getenv("CI") == "", nil
	}
	return false, fmt.Errorf("--progress %q: give auto, always or never", mode)
}

// progress draws one line on standard error while a capture is read: the
// file, the share of it read, packets and connections so far, and the
// rate. It is redrawn at most every progressRedraw and erased at the end
// of each file.
type progress struct {
	w          io.Writer
	file       string
	index, of  int
	start      time.Time
	last       time.Time
	drawn      bool
	everyCheck int64 // packets between looks at the clock
}

// progressRedraw and progressCheck pace the redraws (tests set them to draw
// on every packet).
var (
	progressRedraw       = 200 * time.Millisecond
	progressCheck  int64 = 1024
)

func newProgress(w io.Writer, file string, index, of int) *progress {
	now := time.Now()
	return &progress{w: w, file: file, index: index, of: of, start: now, last: now, everyCheck: progressCheck}
}

// tick is called per packet; it redraws when due. position returns the
// bytes read and the file size (-1 when unknown); connections the count so
// far. Both are only called when drawing.
func (p *progress) tick(packets int64, position func() (int64, int64), connections func() int64) {
	if p == nil || packets%p.everyCheck != 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressRedraw {
		return
	}
	p.last = now
	p.draw(now, packets, position, connections)
}

func (p *progress) draw(now time.Time, packets int64, position func() (int64, int64), connections func() int64) {
	name := report.Escape(p.file)
	if p.of > 1 {
		name = fmt.Sprintf("%s (%d/%d)", name, p.index, p.of)
	}
	share := ""
	if read, size := position(); read >= 0 && size > 0 {
		share = fmt.Sprintf(" %3.0f%%", 100*float64(min(read, size))/float64(size))
	}
	rate := float64(packets) / max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\r\x1b[Khsdecode: %s%s, %d packets, %d connections, %.0f packets/s", name, share, packets, connections(), rate)
	p.drawn = true
}

// done erases the line.
func (p *progress) done() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

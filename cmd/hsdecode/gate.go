package main

import (
	"fmt"
	"io"

	"github.com/hsdecode/hsdecode/diagnose"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// gate decides a run's exit status from its connections, keeps the
// summary and the baseline comparison, and diagnoses each connection.
type gate struct {
	rules    report.Rules
	diag     *diagnose.Diagnoser
	sum      *report.Summary
	base     *report.Baseline // nil without --baseline
	findings bool             // a connection had a finding
	sel      *selection       // nil: every connection is reported (selection.go)
	metrics  *metrics         // nil without --metrics
	// minConns is --min-connections: the TLS connections the run must
	// have, and, when at least 1, each input must have one; 0: the gate
	// does not count them.
	minConns int
	// tls counts the connections that carry TLS (every outcome but
	// not_tls), in the run and in the input being read.
	tls, inputTLS int64
	empty         bool // the gate failed for want of connections
}

func newGate(rules report.Rules, base *report.Baseline, minConns int) *gate {
	return &gate{rules: rules, diag: diagnose.New(diagnose.Options{}), sum: report.NewSummary(), base: base, minConns: minConns}
}

// add counts a connection that is about to be written, sets its
// diagnosis, and returns its findings: evaluated here once, for the exit
// status, the summary and every writer. Connections come here in the
// order they are written, which is what the diagnosis's evidence from
// other connections needs.
func (g *gate) add(r *flows.Result) []report.Finding {
	fs := report.Findings(r, g.rules)
	g.diag.Diagnose(r, fs)
	g.countTLS(r)
	g.metrics.observe(r, fs)
	if len(fs) > 0 {
		g.findings = true
	}
	g.sum.Add(r, fs)
	if g.base != nil {
		g.base.Observe(r)
	}
	return fs
}

// countTLS counts a connection read that carries TLS, for
// --min-connections: what the capture holds, selected or not.
func (g *gate) countTLS(r *flows.Result) {
	if r.Outcome != flows.OutcomeNotTLS {
		g.tls++
		g.inputTLS++
	}
}

// gateAdvice ends a gate failure's message: what to do about it.
const gateAdvice = "check that the capture holds the tests' traffic (interface, ports, filter)"

// endInput checks that an input read whole had a TLS connection: under
// the gate (--min-connections, at least 1) one without fails the run,
// else it is a note on standard error.
func (g *gate) endInput(name string, packets int64, outs *outputs, stderr io.Writer) {
	n := g.inputTLS
	g.inputTLS = 0
	if n > 0 {
		return
	}
	if g.minConns < 1 {
		complain(stderr, fmt.Sprintf("note: %s: no TLS connection in %d packets", name, packets))
		return
	}
	msg := fmt.Sprintf("gate: %s: no TLS connection in %d packets; %s, or give --min-connections 0", name, packets, gateAdvice)
	complain(stderr, msg)
	outs.gateFailure(name, msg)
	g.empty = true
}

// endRun checks the run's count of TLS connections against
// --min-connections, unless an input without any already failed it.
func (g *gate) endRun(outs *outputs, stderr io.Writer) {
	if g.empty || g.tls >= int64(g.minConns) {
		return
	}
	msg := fmt.Sprintf("gate: %d TLS %s, fewer than --min-connections %d; %s, or lower --min-connections", g.tls, plural(g.tls, "connection"), g.minConns, gateAdvice)
	complain(stderr, msg)
	outs.gateFailure("", msg)
	g.empty = true
}

// plural is word, with an s unless n is 1.
func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// changes compares with the baseline; nil without one.
func (g *gate) changes() *report.BaselineChanges {
	if g.base == nil {
		return nil
	}
	return g.base.Compare()
}

// status is the exit status for the connections seen: 1 when the gate
// failed for want of connections; else, with a baseline, 1 when something
// got worse; without, 1 when a connection had a finding.
func (g *gate) status(ch *report.BaselineChanges) int {
	if g.empty {
		return exitFindings
	}
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

// skip says the selection leaves out a connection; it is then not
// written nor counted in the summary or the metrics, only diagnosed, and
// counted for --min-connections, which asks what the capture holds:
// every connection, kept or not, is evidence for the diagnoses of those
// after it, so that a kept one's diagnosis does not depend on the
// selection. A kept one goes on to add.
func (g *gate) skip(r *flows.Result) bool {
	if g.sel.keep(r) {
		return false
	}
	g.diag.Diagnose(r, report.Findings(r, g.rules))
	g.countTLS(r)
	g.sum.NotSelected++
	return true
}

package main

import (
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
}

func newGate(rules report.Rules, base *report.Baseline) *gate {
	return &gate{rules: rules, diag: diagnose.New(diagnose.Options{}), sum: report.NewSummary(), base: base}
}

// add counts a connection that is about to be written, sets its
// diagnosis, and returns its findings: evaluated here once, for the exit
// status, the summary and every writer. Connections come here in the
// order they are written, which is what the diagnosis's evidence from
// other connections needs.
func (g *gate) add(r *flows.Result) []report.Finding {
	fs := report.Findings(r, g.rules)
	g.diag.Diagnose(r, fs)
	if len(fs) > 0 {
		g.findings = true
	}
	g.sum.Add(r, fs)
	if g.base != nil {
		g.base.Observe(r)
	}
	return fs
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

// skip says the selection leaves out a connection of input (its name as
// the writers have it); it is then not written nor counted, only
// diagnosed: every connection, kept or not, is evidence for the diagnoses
// of those after it, so that a kept one's diagnosis does not depend on
// the selection. A kept one goes on to add.
func (g *gate) skip(input string, r *flows.Result) bool {
	if g.sel.keep(input, r) {
		return false
	}
	g.diag.Diagnose(r, report.Findings(r, g.rules))
	g.sum.NotSelected++
	return true
}

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

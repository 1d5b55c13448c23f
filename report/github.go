package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// GitHubWriter writes GitHub Actions workflow commands, which the runner
// turns into annotations on the run and the pull request: an ::error line
// per finding (what fails the gate), a ::warning line per connection whose
// handshake did not end established without a finding (what --fail-on did
// not select), an ::error line per change for the worse of a baseline and
// per failure of the gate itself (--min-connections). Every line is one
// command: the wire strings in it (SNI, certificate names, alerts) are
// escaped for a terminal first (Escape), then as GitHub's workflow command
// syntax asks (%25 %0D %0A in a message; %3A %2C too in a property), so
// that no capture can start a line of its own, which would be a command
// of its own.
type GitHubWriter struct {
	w    *bufio.Writer
	opt  Options
	file string
}

// NewGitHubWriter returns a GitHubWriter writing to w; it flushes each line.
func NewGitHubWriter(w io.Writer, o Options) *GitHubWriter {
	return &GitHubWriter{w: bufio.NewWriter(w), opt: o}
}

// BeginFile notes the input the next connections come from.
func (g *GitHubWriter) BeginFile(path string) error { g.file = path; return nil }

// Write writes the annotations of a connection.
func (g *GitHubWriter) Write(r *flows.Result, findings []Finding) error {
	where := baselineKey{Server: unmap(r.Server).String(), SNI: r.ServerName}.String() +
		" (client " + unmap(r.Client).String()
	if g.opt.MultiFile {
		where += ", " + displayName(g.file)
	}
	where += ")"
	diag := ""
	if r.Diagnosis != nil {
		diag = "; diagnosis " + diagnosisLine(r.Diagnosis)
	}
	for _, f := range findings {
		g.command("error", "hsdecode "+f.Code, where+": "+f.String()+diag)
	}
	if len(findings) == 0 && r.Outcome != flows.OutcomeEstablished && r.Outcome != flows.OutcomeNotTLS {
		g.command("warning", "hsdecode "+string(r.Outcome), where+": handshake "+string(r.Outcome)+diag)
	}
	return g.w.Flush()
}

// GateFailure writes the gate's failure as an error.
func (g *GitHubWriter) GateFailure(_, msg string) {
	g.command("error", "hsdecode min_connections", msg)
}

// WriteSummary writes each change for the worse of the baseline as an
// error.
func (g *GitHubWriter) WriteSummary(_ *Summary, b *BaselineChanges) error {
	if b == nil {
		return nil
	}
	for _, ch := range b.Changes {
		if ch.Worse {
			g.command("error", "hsdecode baseline-"+ch.Kind, ch.String())
		}
	}
	return g.w.Flush()
}

// Close flushes what is left.
func (g *GitHubWriter) Close() error { return g.w.Flush() }

// command writes one workflow command: "::error title=T::message".
func (g *GitHubWriter) command(kind, title, msg string) {
	fmt.Fprintf(g.w, "::%s title=%s::%s\n", kind, githubProperty(Escape(title)), githubData(Escape(msg)))
}

// githubData escapes a workflow command's message, as the runner's
// ActionCommand unescapes it: % first, then CR and LF.
var githubData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace

// githubProperty escapes a property's value, which ends at a comma and
// whose list ends at "::": its colons and commas too.
var githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace

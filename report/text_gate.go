package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// gate is what the text writer adds for CI use: the findings of each
// connection, colour on a terminal, the input file of each connection when
// there are several, and the run's summary at the end.
type gate struct {
	opt  Options
	file string
	sum  *Summary
	base *BaselineChanges
}

// ANSI colours (SGR codes).
const (
	colorRed    = "31"
	colorGreen  = "32"
	colorYellow = "33"
	colorDim    = "2"
	colorBold   = "1"
)

// paint wraps s in an SGR colour when colour is on.
func (g *gate) paint(code, s string) string {
	if !g.opt.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// outcomeColor is the colour of an outcome: green when established, red
// when the handshake failed, yellow when there is no verdict.
func outcomeColor(o flows.Outcome) string {
	switch o {
	case flows.OutcomeEstablished:
		return colorGreen
	case flows.OutcomeViolation, flows.OutcomeAlert:
		return colorRed
	case flows.OutcomeNotTLS:
		return colorDim
	}
	return colorYellow
}

// outcome is the header's upper-case outcome, coloured.
func (g *gate) outcome(o flows.Outcome) string {
	return g.paint(colorBold+";"+outcomeColor(o), strings.ToUpper(string(o)))
}

// paintMessage colours an alert on the ladder: red when fatal or
// encrypted, yellow for a warning.
func (g *gate) paintMessage(m flows.Message, what string) string {
	if m.Type != flows.TypeAlert {
		return what
	}
	if strings.HasPrefix(what, "alert warning") {
		return g.paint(colorYellow, what)
	}
	return g.paint(colorRed, what)
}

// fileLabel is the input file before the header's time, when there are
// several inputs.
func (g *gate) fileLabel() string {
	if !g.opt.MultiFile {
		return ""
	}
	return Escape(displayName(g.file)) + " "
}

// writeFindings writes a FINDING line per finding, after the violations.
// An expired-cert finding names the certificate by its RFC 4514 subject,
// whose backslashes are escapes already.
func (g *gate) writeFindings(w io.Writer, findings []Finding) {
	for _, f := range findings {
		esc := Escape
		if f.Rule == RuleExpiredCert {
			esc = escapeDN
		}
		fmt.Fprintf(w, "  %s %s\n", g.paint(colorRed+";"+colorBold, "FINDING"), esc(f.String()))
	}
}

// writeSummary writes the summary breakdown and the baseline comparison
// after the count line, when main gave them.
func (g *gate) writeSummary(w io.Writer) {
	if g.sum != nil {
		g.sum.WriteText(w)
	}
	if g.base != nil {
		g.base.WriteText(w, g.paint)
	}
}

// BeginFile notes the input the next connections come from.
func (t *TextWriter) BeginFile(path string) error { t.file = path; return nil }

// WriteSummary keeps the summary for Close, which writes it after the
// count line.
func (t *TextWriter) WriteSummary(s *Summary, b *BaselineChanges) error {
	t.sum, t.base = s, b
	return nil
}

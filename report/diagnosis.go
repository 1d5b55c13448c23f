package report

import (
	"bufio"
	"fmt"

	"github.com/hsdecode/hsdecode/flows"
)

// The diagnosis of a connection (docs/diagnosis.md) in each format: the
// JSON member diagnosis, the text's DIAGNOSIS line and its evidence.

// diagnosis is the JSON object of a flows.Diagnosis.
type diagnosis flows.Diagnosis

func (d *diagnosis) fields(w fieldWriter) {
	w.str("code", d.Code, always)
	w.str("cause", d.Cause, always)
	w.strs("evidence", d.Evidence, omitEmpty)
	w.str("hint", d.Hint, omitEmpty)
}

// writeDiagnosis writes the text's DIAGNOSIS line, under the ladder, and
// its evidence and hint, each escaped as a wire string.
func (t *TextWriter) writeDiagnosis(w *bufio.Writer, d *flows.Diagnosis) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "  %s %s: %s\n", t.paint(colorYellow, "DIAGNOSIS"), Escape(d.Code), Escape(d.Cause))
	for _, e := range d.Evidence {
		fmt.Fprintf(w, "    evidence: %s\n", Escape(e))
	}
	if d.Hint != "" {
		fmt.Fprintf(w, "    hint: %s\n", Escape(d.Hint))
	}
}

// diagnosisLine is a diagnosis in one line, "code: cause", for the
// formats that give it a single field (ECS event.reason, the JUnit
// failure message).
func diagnosisLine(d *flows.Diagnosis) string {
	return d.Code + ": " + d.Cause
}

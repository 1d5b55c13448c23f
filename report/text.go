package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// transportLabel names a UDP transport in the header line, with a QUIC
// connection's version; nothing for TCP.
func transportLabel(r *flows.Result) string {
	switch {
	case r.Transport == stream.TransportTCP:
		return ""
	case r.QUIC != nil && r.QUIC.Version != 0:
		return "  QUIC v" + r.QUIC.Version.String()
	}
	return "  " + strings.ToUpper(r.Transport.String())
}

// TextWriter writes, per connection, a header line and the ladder of its
// messages, then a one-line count of outcomes when closed.
type TextWriter struct {
	w        *bufio.Writer
	n        int
	outcomes map[flows.Outcome]int
	gate     // findings, colour, file names, summary (text_gate.go)
}

// NewTextWriter returns a TextWriter on w configured by o.
func NewTextWriter(w io.Writer, o Options) *TextWriter {
	return &TextWriter{w: bufio.NewWriter(w), outcomes: make(map[flows.Outcome]int), gate: gate{opt: o}}
}

// Write writes one connection and flushes it, so a reader of a pipe sees
// each connection whole as soon as it is written.
func (t *TextWriter) Write(r *flows.Result, findings []Finding) error {
	t.n++
	t.outcomes[r.Outcome]++
	w := t.w
	fmt.Fprintf(w, "#%d %s%s %s -> %s%s  %s", t.n, t.fileLabel(), t.opt.stamp(r.Start), unmap(r.Client), unmap(r.Server),
		transportLabel(r), t.outcome(r.Outcome))
	if r.Version != 0 {
		fmt.Fprintf(w, "  %s", r.Version)
	}
	if r.HasCipherSuite {
		fmt.Fprintf(w, "  %s", r.CipherSuite)
	}
	if r.ServerName != "" {
		fmt.Fprintf(w, "  sni=%s", Escape(r.ServerName))
	}
	if r.ALPN != "" {
		fmt.Fprintf(w, "  alpn=%s", Escape(r.ALPN))
	}
	if r.StartTLS != flows.StartTLSNone {
		fmt.Fprintf(w, "  starttls=%s", r.StartTLS)
	}
	if r.Resumed {
		fmt.Fprint(w, "  resumed")
	}
	if r.EarlyData != "" {
		fmt.Fprintf(w, "  0-rtt=%s", r.EarlyData)
	}
	if r.Renegotiations > 0 {
		fmt.Fprintf(w, "  renegotiations=%d", r.Renegotiations)
	}
	if r.ClientCertificate != "" && r.ClientCertificate != flows.ClientCertNone {
		fmt.Fprintf(w, "  client-cert=%s", Escape(r.ClientCertificate))
	}
	fmt.Fprintln(w)
	if len(r.Tunnels) > 0 {
		fmt.Fprintf(w, "  tunnel: %s\n", Escape(tunnelPath(r.Tunnels)))
	}

	alerts := r.Alerts
	detailed := map[string]bool{} // "from type" of the messages already summarised
	moves := clientMoves(r)
	for _, m := range r.Messages {
		moves = writeMoves(w, r, moves, m.TS)
		arrow := "client -> server"
		if m.From == flows.Server {
			arrow = "client <- server"
		}
		what := Escape(m.Type)
		if m.Type == flows.TypeAlert && len(alerts) > 0 {
			a := alerts[0]
			alerts = alerts[1:]
			if a.Encrypted {
				what = "alert (encrypted)"
			} else {
				what = fmt.Sprintf("alert %s %s", a.Level, a.Description)
			}
		} else if m.Encrypted {
			what += " (encrypted)"
		}
		if m.Decrypted {
			what += " (decrypted)"
		}
		if m.EarlyData {
			what += " (0-rtt)"
		}
		fmt.Fprintf(w, "    %+11.6f  %s  %s", m.TS.Sub(r.Start).Seconds(), arrow, t.paintMessage(m, what))
		if m.Length > 0 {
			fmt.Fprintf(w, "%*d", max(1, 40-len(what)), m.Length)
		}
		if k := string(m.From) + " " + m.Type; !m.Encrypted && !detailed[k] {
			detailed[k] = true
			if s := summary(r, m); s != "" {
				pad := 2
				if m.Length == 0 {
					pad = max(2, 42-len(what))
				}
				fmt.Fprintf(w, "%*s%s", pad, "", s)
			}
		}
		fmt.Fprintln(w)
	}
	writeMoves(w, r, moves, time.Time{})
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s %s by %s: got %s", t.paint(colorRed, "VIOLATION"), Escape(string(v.Code)), v.From, Escape(v.Got))
		if len(v.Expected) > 0 {
			fmt.Fprintf(w, ", expected %s", Escape(strings.Join(v.Expected, " or ")))
		}
		fmt.Fprintf(w, ": %s\n", Escape(v.Detail))
	}
	if g := r.Gap; g != nil {
		fmt.Fprintf(w, "  GAP in %s stream at offset %d", g.From, g.Offset)
		if g.Missing > 0 {
			fmt.Fprintf(w, " (%d bytes missing)", g.Missing)
		}
		fmt.Fprintln(w)
	}
	t.writeDiagnosis(w, r.Diagnosis)
	t.writeFindings(w, findings)
	if t.opt.Verbose {
		id := idsOf(r, t.opt)
		d := &detailWriter{w: w, indent: "  "}
		d.str("uid", id.uid, always)
		d.str("community_id", id.communityID, always)
		writeDetails(w, r)
	}
	fmt.Fprintln(w)
	return w.Flush()
}

// clientMoves returns the paths a QUIC connection's client moved to, in
// the order it did: every path but its first.
func clientMoves(r *flows.Result) []flows.QUICPath {
	if r.QUIC == nil || len(r.QUIC.Paths) < 2 {
		return nil
	}
	return r.QUIC.Paths[1:]
}

// writeMoves writes a ladder line for each move before the message at
// before (all of them when before is zero), and returns those left.
func writeMoves(w io.Writer, r *flows.Result, moves []flows.QUICPath, before time.Time) []flows.QUICPath {
	for len(moves) > 0 && (before.IsZero() || moves[0].TS.Before(before)) {
		p := moves[0]
		fmt.Fprintf(w, "    %+11.6f  client moved to %s (%s)\n", p.TS.Sub(r.Start).Seconds(), Escape(unmap(p.Client).String()), Escape(p.Linked))
		moves = moves[1:]
	}
	return moves
}

// textTimeLayout marks the zone of a time: Z for UTC, else its offset.
const textTimeLayout = "2006-01-02 15:04:05.000000Z07:00"

// stamp writes a time of the text report in its zone.
func (o Options) stamp(t time.Time) string {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(textTimeLayout)
}

// Close writes the run's summary, when main gave it (text_gate.go), and
// the count of connections per outcome as the last line.
func (t *TextWriter) Close() error {
	t.writeSummary(t.w)
	outcomes := make([]string, 0, len(t.outcomes))
	for o, n := range t.outcomes {
		outcomes = append(outcomes, fmt.Sprintf("%d %s", n, o))
	}
	sort.Strings(outcomes)
	fmt.Fprint(t.w, Count(int64(t.n), "connection"))
	if len(outcomes) > 0 {
		fmt.Fprintf(t.w, ": %s", strings.Join(outcomes, ", "))
	}
	fmt.Fprintln(t.w)
	return t.w.Flush()
}

package diagnose

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/flows"
)

// Silence, resets and other protocols (docs/diagnosis.md, "No answer").

// closedText says how a connection ended, for a sentence.
var closedText = map[string]string{
	"fin":         "closed (FIN)",
	"rst":         "reset (RST)",
	"capture_end": "still open when the capture ended",
	"idle":        "idle until the idle timeout",
	"memory":      "dropped to stay within --max-buffer",
	"reused":      "replaced by a new connection on the same ports",
}

// protocolOf names the protocol some first bytes look like.
func protocolOf(b []byte) string {
	for _, p := range []struct{ prefix, name string }{
		{"HTTP/", "plain HTTP"}, {"<!DOCTYPE", "an HTML page (plain HTTP)"}, {"<html", "an HTML page (plain HTTP)"}, {"<HTML", "an HTML page (plain HTTP)"}, {"GET ", "plain HTTP"}, {"POST ", "plain HTTP"}, {"HEAD ", "plain HTTP"},
		{"PUT ", "plain HTTP"}, {"OPTIONS ", "plain HTTP"}, {"CONNECT ", "plain HTTP"}, {"PRI * HTTP/2", "HTTP/2 without TLS"},
		{"SSH-", "SSH"}, {"220 ", "an SMTP or FTP greeting"}, {"220-", "an SMTP or FTP greeting"},
		{"* OK", "an IMAP greeting"}, {"+OK", "a POP3 greeting"},
	} {
		if bytes.HasPrefix(b, []byte(p.prefix)) {
			return p.name
		}
	}
	return ""
}

// serverNotTLS diagnoses a server that answered a ClientHello with bytes
// that are not a TLS record.
func (c *conn) serverNotTLS() *flows.Diagnosis {
	b := c.r.ServerFirstBytes
	if b == nil {
		return nil
	}
	what := "something that is not a TLS record"
	if p := protocolOf(b); p != "" {
		what = p
	}
	ev := []string{"the server's first bytes: " + printable(b)}
	if vs := c.r.Violations; len(vs) > 0 {
		ev = append(ev, vs[0].Detail)
	}
	return &flows.Diagnosis{Code: CodeServerNotTLS, Evidence: ev,
		Cause: fmt.Sprintf("The server does not speak TLS on port %d: it answered the ClientHello with %s.", c.r.Server.Port(), what),
		Hint:  "Point the client at the server's TLS port (or use the plain protocol on this one); a proxy or load balancer may be forwarding TLS to a plaintext backend."}
}

// clientNotTLS diagnoses a client that sent something other than TLS to
// a TLS port.
func (c *conn) clientNotTLS() *flows.Diagnosis {
	b := c.r.ClientFirstBytes
	d := &flows.Diagnosis{Code: CodeClientNotTLS,
		Cause: fmt.Sprintf("The client sent something other than TLS to port %d, a TLS port.", c.r.Server.Port()),
		Hint:  "Have the client speak TLS to this port (https://, a TLS option), or the plain protocol to the server's plaintext port."}
	if b != nil {
		d.Evidence = []string{"the client's first bytes: " + printable(b)}
		if p := protocolOf(b); p != "" {
			d.Cause = fmt.Sprintf("The client sent %s to port %d, a TLS port, instead of a ClientHello.", p, c.r.Server.Port())
		}
	}
	return d
}

// silence diagnoses a handshake that ended without an alert: no
// ClientHello, no answer, a reset, or a cut.
func (c *conn) silence() *flows.Diagnosis {
	r := c.r
	how := closedText[r.Closed]
	if how == "" {
		how = "ended"
	}
	if r.ClientHello == nil {
		return &flows.Diagnosis{Code: CodeClientSilent,
			Cause:    "The client opened the connection and no complete ClientHello came from it.",
			Evidence: []string{fmt.Sprintf("the connection was %s %s after it began", how, since(r.Start, r.End))},
			Hint:     "A health check or port scan opens connections this way; otherwise the client failed before its handshake (its log says why)."}
	}
	var chTS time.Time
	serverSpoke := false
	for _, m := range r.Messages {
		if m.From == flows.Server {
			serverSpoke = true
		} else if chTS.IsZero() {
			chTS = m.TS
		}
	}
	ev := []string{fmt.Sprintf("the connection was %s %s after the ClientHello", how, since(chTS, r.End))}
	if sni := r.ServerName; sni != "" {
		ev = append(ev, "the client asked for "+sni+" (SNI)")
	}
	if !serverSpoke {
		if p := c.server; p != nil {
			ev = append(ev, fmt.Sprintf("the server completed handshakes for %s", c.others(p)))
		}
		switch r.Closed {
		case "rst":
			return &flows.Diagnosis{Code: CodeServerReset, Evidence: ev,
				Cause: "The connection was reset after the ClientHello, before the server answered.",
				Hint:  "A server that does not speak TLS on this port, one that refuses the client's offer without an alert, or a firewall that filters TLS by its server name resets here; the server's log, or a capture next to it, tells which."}
		case "capture_end":
			return &flows.Diagnosis{Code: CodeServerSilent, Evidence: ev,
				Cause: "The server had not answered the ClientHello when the capture ended.",
				Hint:  "Capture for longer; if the server never answers, it is overloaded, or not a TLS server, or packets to it are dropped."}
		}
		return &flows.Diagnosis{Code: CodeServerSilent, Evidence: ev,
			Cause: "The server never answered the ClientHello.",
			Hint:  "A server that waits for something else (another protocol on this port), an overloaded one, or a path that drops its answers stays silent; check that the port serves TLS."}
	}
	last := r.Messages[len(r.Messages)-1]
	ev = append(ev, fmt.Sprintf("the last message was the %s's %s", last.From, last.Type))
	cause := fmt.Sprintf("The connection was %s after the %s's %s, before the handshake finished, with no alert.", how, last.From, last.Type)
	hint := "A peer that gives up without an alert crashed or timed out; its log says which. A reset from a middlebox looks the same."
	if r.Closed == "capture_end" {
		cause = fmt.Sprintf("The capture ended after the %s's %s, before the handshake finished.", last.From, last.Type)
		hint = "Capture for longer to see how the handshake ends."
	}
	return &flows.Diagnosis{Code: CodeHandshakeCut, Cause: cause, Evidence: ev, Hint: hint}
}

func since(from, to time.Time) string {
	d := to.Sub(from)
	if d < 0 {
		d = 0
	}
	return d.Round(time.Millisecond).String()
}

// gap diagnoses bytes the capture lost before the handshake was decided.
func (c *conn) gap() *flows.Diagnosis {
	g := c.r.Gap
	d := &flows.Diagnosis{Code: CodeCaptureGap,
		Cause: "Bytes are missing from the capture, so the handshake cannot be judged: the capture lost them, not necessarily the network.",
		Hint:  "Capture with a larger buffer (tcpdump -B), a full snap length (-s 0), and on a host that is not overloaded."}
	if g != nil {
		s := fmt.Sprintf("the %s's stream lacks bytes from offset %d", g.From, g.Offset)
		if g.Missing > 0 {
			s += fmt.Sprintf(" (%d bytes)", g.Missing)
		}
		d.Evidence = []string{s}
	}
	return d
}

// partial diagnoses a connection seen from its middle.
func (c *conn) partial() *flows.Diagnosis {
	return &flows.Diagnosis{Code: CodeCaptureLate,
		Cause:    "The capture began after the connection's ClientHello, so its handshake cannot be judged.",
		Evidence: []string{"the capture holds no SYN and no ClientHello of this connection"},
		Hint:     "Start the capture before the connection, or make the client reconnect."}
}

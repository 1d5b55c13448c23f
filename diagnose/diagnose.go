package diagnose

import (
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// Options configure a Diagnoser.
type Options struct {
	// Servers bounds the servers whose choices are kept for the evidence
	// of other connections; zero means DefaultServers.
	Servers int
}

// Diagnoser diagnoses the connections of a run in the order they are
// reported. It is not safe for concurrent use: the one goroutine that
// writes the results calls it.
type Diagnoser struct {
	servers *profiles
}

// New returns a Diagnoser that has seen no connection.
func New(o Options) *Diagnoser {
	return &Diagnoser{servers: newProfiles(o.Servers)}
}

// Diagnose sets r.Diagnosis (nil when there is nothing to say) from r,
// its findings (the gate's, which decide what an established connection's
// diagnosis explains) and the connections given before it, then counts
// r for the ones after it.
func (d *Diagnoser) Diagnose(r *flows.Result, findings []report.Finding) {
	c := &conn{r: r, server: d.servers.get(r.Server)}
	c.fatal, c.decrypted = endingAlert(r)
	r.Diagnosis = c.diagnose(findings)
	d.servers.observe(r)
}

// conn is a connection being diagnosed, with what the rules read often.
type conn struct {
	r      *flows.Result
	server *profile // its server's profile before it; nil when none
	// fatal is the alert that ended the handshake, nil when none did;
	// decrypted says it was read with keys from a protected record.
	fatal     *flows.Alert
	decrypted bool
}

// diagnose applies the rules of docs/diagnosis.md in its order: the first
// that recognises the connection gives its diagnosis.
func (c *conn) diagnose(findings []report.Finding) *flows.Diagnosis {
	r := c.r
	switch r.Outcome {
	case flows.OutcomeViolation:
		return first(c.serverNotTLS, c.keyViolation, c.orderViolation)
	case flows.OutcomeAlert:
		return first(c.serverNotTLS, c.encryptedAlert, c.clientCertificate, c.serverCertificate,
			c.helloRetry, c.negotiation, c.otherAlert)
	case flows.OutcomeNotTLS:
		return c.clientNotTLS()
	case flows.OutcomeIncomplete:
		return first(c.serverNotTLS, c.silence)
	case flows.OutcomeGap:
		return c.gap()
	case flows.OutcomePartial:
		return c.partial()
	case flows.OutcomeEstablished:
		return c.established(findings)
	}
	return nil
}

// first returns the first diagnosis a rule gives.
func first(rules ...func() *flows.Diagnosis) *flows.Diagnosis {
	for _, rule := range rules {
		if d := rule(); d != nil {
			return d
		}
	}
	return nil
}

// endingAlert is the alert that ended the handshake: the last fatal or
// encrypted one, and whether it was decrypted with keys.
func endingAlert(r *flows.Result) (*flows.Alert, bool) {
	if r.Outcome != flows.OutcomeAlert {
		return nil, false
	}
	for i := len(r.Alerts) - 1; i >= 0; i-- {
		a := &r.Alerts[i]
		if a.Encrypted || a.Level == decode.AlertLevelFatal {
			return a, alertDecrypted(r, i)
		}
	}
	return nil, false
}

// alertDecrypted says whether the i-th alert's message was read with keys.
func alertDecrypted(r *flows.Result, i int) bool {
	for _, m := range r.Messages {
		if m.Type != flows.TypeAlert {
			continue
		}
		if i == 0 {
			return m.Decrypted
		}
		i--
	}
	return false
}

// answered says the server sent its ServerHello (not only a
// HelloRetryRequest).
func (c *conn) answered() bool {
	return c.r.ServerHello != nil && !c.r.ServerHello.HelloRetryRequest
}

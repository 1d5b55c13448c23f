package flows

import (
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// Who is the client: known from the SYN, learnt from the first hello, or
// guessed from the ports.

// setClient makes side s the client and starts each side on the flight
// of its role.
func (t *Tracker) setClient(s stream.Side) {
	t.roleKnown = true
	t.clientSide = s
	t.sides[s].role, t.sides[1-s].role = Client, Server
	t.sides[s].flight, t.sides[1-s].flight = clientHello, serverHello
	if s == stream.SideA {
		t.res.Client, t.res.Server = t.info.A, t.info.B
	} else {
		t.res.Client, t.res.Server = t.info.B, t.info.A
	}
	t.res.Tunnels = t.info.Tunnels
	if s == stream.SideB && len(t.info.Tunnels) > 0 {
		// The first packet came from the server: its outer endpoints
		// the other way round.
		t.res.Tunnels = make([]stream.Tunnel, len(t.info.Tunnels))
		for i, tn := range t.info.Tunnels {
			tn.Src, tn.Dst = tn.Dst, tn.Src
			t.res.Tunnels[i] = tn
		}
	}
}

func (t *Tracker) client() *sideState { return &t.sides[t.clientSide] }
func (t *Tracker) server() *sideState { return &t.sides[1-t.clientSide] }

// peer is the side that is not d, for the order's cross-side rules.
func (t *Tracker) peer(d *sideState) *sideState {
	if d.role == Client {
		return t.server()
	}
	return t.client()
}

// assignRoles learns who the client is from the first event of a
// connection whose SYN was not seen (docs/report.md: "without a SYN, the side
// that sent the ClientHello").
func (t *Tracker) assignRoles(s stream.Side, ev decode.Event) {
	if ev.Kind == decode.EventHandshake {
		switch ev.Message.Type() {
		case decode.HandshakeClientHello:
			t.setClient(s)
			return
		case decode.HandshakeServerHello, decode.HandshakeHelloRetryRequest:
			t.setClient(1 - s)
			return
		}
	}
	t.guessRoles()
}

// guessRoles picks the server of a connection whose SYN was not captured
// and whose first record says nothing about roles: the endpoint on the
// lower port, as servers listen on well-known ports.
func (t *Tracker) guessRoles() {
	if t.info.A.Port() < t.info.B.Port() {
		t.setClient(stream.SideB)
	} else {
		t.setClient(stream.SideA)
	}
}

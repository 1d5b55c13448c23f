package diagnose

import (
	"container/list"
	"net/netip"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// DefaultServers is how many servers' profiles a Diagnoser keeps when
// Options.Servers is zero: the most recent to complete a handshake.
const DefaultServers = 4096

// maxTallies bounds each list of a profile: the first maxTallies distinct
// values are counted, later ones are not (a server rarely chooses more
// than a few suites or groups).
const maxTallies = 8

// tally counts how often a server chose a value.
type tally[T comparable] struct {
	v T
	n int
}

func bump[T comparable](l []tally[T], v T) []tally[T] {
	for i := range l {
		if l[i].v == v {
			l[i].n++
			return l
		}
	}
	if len(l) < maxTallies {
		l = append(l, tally[T]{v, 1})
	}
	return l
}

// choice is a version and suite a server negotiated.
type choice struct {
	version decode.Version
	suite   decode.CipherSuite
}

// profile is what one server (address and port) chose in the handshakes
// it completed: the evidence for the failures of other clients.
type profile struct {
	addr        netip.AddrPort
	established int
	choices     []tally[choice]
	groups      []tally[decode.NamedGroup]
	alpn        []tally[string]
	names       []tally[string]
}

// profiles keeps the profiles of the most recent max servers to complete
// a handshake, least recent dropped first: memory stays bounded however
// many servers a day of capture holds.
type profiles struct {
	max   int
	byKey map[netip.AddrPort]*list.Element
	lru   list.List // of *profile, most recent first
}

func newProfiles(max int) *profiles {
	if max <= 0 {
		max = DefaultServers
	}
	return &profiles{max: max, byKey: make(map[netip.AddrPort]*list.Element)}
}

// get returns the profile of a server, nil when none is kept.
func (ps *profiles) get(a netip.AddrPort) *profile {
	if e := ps.byKey[a]; e != nil {
		return e.Value.(*profile)
	}
	return nil
}

// observe counts an established connection in its server's profile.
func (ps *profiles) observe(r *flows.Result) {
	if r.Outcome != flows.OutcomeEstablished || r.ServerHello == nil {
		return
	}
	a := r.Server
	e := ps.byKey[a]
	if e == nil {
		e = ps.lru.PushFront(&profile{addr: a})
		ps.byKey[a] = e
		if ps.lru.Len() > ps.max {
			old := ps.lru.Back()
			ps.lru.Remove(old)
			delete(ps.byKey, old.Value.(*profile).addr)
		}
	} else {
		ps.lru.MoveToFront(e)
	}
	p := e.Value.(*profile)
	p.established++
	if r.HasCipherSuite {
		p.choices = bump(p.choices, choice{r.Version, r.CipherSuite})
	}
	if g := chosenGroup(r); g != 0 {
		p.groups = bump(p.groups, g)
	}
	if r.ALPN != "" {
		p.alpn = bump(p.alpn, r.ALPN)
	}
	if r.ServerName != "" {
		p.names = bump(p.names, r.ServerName)
	}
}

// chosenGroup is the key exchange group a server chose: its TLS 1.3
// key_share, else the named curve of its ServerKeyExchange; 0 when
// neither says.
func chosenGroup(r *flows.Result) decode.NamedGroup {
	if sh := r.ServerHello; sh != nil && sh.KeyShareGroup != 0 {
		return sh.KeyShareGroup
	}
	if ske := r.ServerKeyExchange; ske != nil {
		return ske.NamedGroup
	}
	return 0
}

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// outcomes are the outcomes --outcome accepts, in docs/handshake-order.md's
// order of precedence.
var outcomes = []flows.Outcome{flows.OutcomeViolation, flows.OutcomeAlert, flows.OutcomeEstablished,
	flows.OutcomePartial, flows.OutcomeGap, flows.OutcomeIncomplete, flows.OutcomeNotTLS}

// selection is what --outcome, --server, --sni and --id keep of the
// connections read: those that match every flag given, each flag's list
// matched when one of its items is. Only what is kept is written,
// counted in the summary and judged by --fail-on and --baseline; every
// connection is still diagnosed, so that a kept one's diagnosis is the
// one it has in a run that keeps all.
type selection struct {
	outcomes map[flows.Outcome]bool // nil: any outcome
	servers  []serverPattern        // nil: any server
	snis     []string               // lower-case globs, "" for no SNI; nil: any
	ids      map[string]bool        // uids and Community IDs; nil: any
	seed     uint16                 // of the Community IDs in ids
	given    string                 // the flags as given, for the summary
}

// serverPattern is one item of --server: an address, a network or a glob
// of an address's text, and a glob of the port ("" for any).
type serverPattern struct {
	prefix   netip.Prefix // valid when the host part is an address or network
	hostGlob string
	portGlob string
}

// selectionFlags are the flags of a selection, in the order the summary
// names them.
var selectionFlags = []string{"outcome", "server", "sni", "id"}

// parseSelection reads the selection flags; value gives a flag's value and
// whether it was given. A nil selection keeps every connection.
func parseSelection(value func(name string) (string, bool), seed uint16) (*selection, error) {
	s := &selection{seed: seed}
	var given []string
	for _, name := range selectionFlags {
		v, ok := value(name)
		if !ok {
			continue
		}
		given = append(given, "--"+name+" "+v)
		var err error
		switch name {
		case "outcome":
			s.outcomes, err = parseOutcomes(v)
		case "server":
			s.servers, err = parseServers(v)
		case "sni":
			s.snis, err = parseSNIs(v)
		case "id":
			s.ids, err = parseIDs(v)
		}
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
	}
	if len(given) == 0 {
		return nil, nil
	}
	s.given = strings.Join(given, " ")
	return s, nil
}

func parseOutcomes(list string) (map[flows.Outcome]bool, error) {
	m := map[flows.Outcome]bool{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		known := false
		for _, o := range outcomes {
			// not-tls as --fail-on takes it.
			if item == string(o) || (o == flows.OutcomeNotTLS && item == "not-tls") {
				m[o], known = true, true
			}
		}
		if !known {
			names := make([]string, len(outcomes))
			for i, o := range outcomes {
				names[i] = string(o)
			}
			return nil, fmt.Errorf("unknown outcome %q (outcomes: %s)", item, strings.Join(names, ", "))
		}
	}
	return m, nil
}

// parseServers reads a list of addresses (192.0.2.1, 2001:db8::1),
// address:port (192.0.2.1:443, [2001:db8::1]:443), networks
// (10.0.0.0/8, [2001:db8::/32]:443) and globs of them (10.1.*, *:8443,
// 192.0.2.1:84*, 2001:db8::*).
func parseServers(list string) ([]serverPattern, error) {
	var ps []serverPattern
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		p, err := parseServer(item)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func parseServer(item string) (serverPattern, error) {
	var p serverPattern
	if item == "" {
		return p, errors.New("an empty item: give an address, address:port, network or a glob of them")
	}
	if strings.ContainsFunc(strings.ToLower(item), func(r rune) bool { return r >= 'g' && r <= 'z' }) {
		return p, fmt.Errorf("%q: give an address, address:port, network or a glob of them; a server's name is --sni", item)
	}
	host := item
	switch {
	case strings.HasPrefix(item, "["):
		end := strings.LastIndex(item, "]:")
		if end < 0 {
			return p, fmt.Errorf("%q: give [IPv6]:port", item)
		}
		host, p.portGlob = item[1:end], item[end+2:]
	case strings.Count(item, ":") == 1:
		host, p.portGlob, _ = strings.Cut(item, ":")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		p.prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
	} else if n, err := netip.ParsePrefix(host); err == nil {
		p.prefix = n.Masked()
	} else {
		p.hostGlob = host
	}
	for _, g := range []string{p.hostGlob, p.portGlob} {
		if _, err := path.Match(g, ""); err != nil {
			return p, fmt.Errorf("%q: %w", item, err)
		}
	}
	return p, nil
}

func (p serverPattern) match(server netip.AddrPort) bool {
	a := server.Addr().Unmap()
	if p.prefix.IsValid() {
		if !p.prefix.Contains(a) {
			return false
		}
	} else if ok, _ := path.Match(p.hostGlob, a.String()); !ok {
		return false
	}
	if p.portGlob == "" {
		return true
	}
	ok, _ := path.Match(p.portGlob, strconv.Itoa(int(server.Port())))
	return ok
}

// parseSNIs reads a list of globs of server names (*.example.com), which
// match as DNS names compare: without regard to case or a final dot. An
// empty item matches the connections that sent no SNI.
func parseSNIs(list string) ([]string, error) {
	var gs []string
	for _, item := range strings.Split(list, ",") {
		g := dnsName(strings.TrimSpace(item))
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		gs = append(gs, g)
	}
	return gs, nil
}

func dnsName(s string) string { return strings.TrimSuffix(strings.ToLower(s), ".") }

// parseIDs reads a list of uids (C and 17 base62 digits) and Community IDs
// (1: and base64), as the reports write them (docs/report.md).
func parseIDs(list string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if !isUID(item) && !strings.HasPrefix(item, "1:") {
			return nil, fmt.Errorf("%q: give a connection's uid (C and 17 letters and digits) or its Community ID (1:...)", item)
		}
		m[item] = true
	}
	return m, nil
}

func isUID(s string) bool {
	if len(s) != 18 || s[0] != 'C' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// keep says whether the selection keeps a connection. A nil selection
// keeps every one.
func (s *selection) keep(r *flows.Result) bool {
	if s == nil {
		return true
	}
	if s.outcomes != nil && !s.outcomes[r.Outcome] {
		return false
	}
	if s.servers != nil && !anyOf(s.servers, func(p serverPattern) bool { return p.match(r.Server) }) {
		return false
	}
	if s.snis != nil {
		name := dnsName(r.ServerName)
		if !anyOf(s.snis, func(g string) bool {
			if g == "" {
				return name == ""
			}
			ok, _ := path.Match(g, name)
			return ok && name != ""
		}) {
			return false
		}
	}
	if s.ids != nil && !s.ids[report.UID(r)] && !s.ids[report.ResultCommunityID(r, s.seed)] {
		return false
	}
	return true
}

func anyOf[T any](items []T, match func(T) bool) bool {
	for _, it := range items {
		if match(it) {
			return true
		}
	}
	return false
}

// selectionValue gives parseSelection the flags' values from the command
// line.
func selectionValue(fs *pflag.FlagSet) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if !fs.Changed(name) {
			return "", false
		}
		return fs.Lookup(name).Value.String(), true
	}
}

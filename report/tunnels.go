package report

import (
	"strconv"

	"github.com/hsdecode/hsdecode/stream"
)

// tunnels are the encapsulations of a connection, outermost first
// (docs/report.md, tunnels).
type tunnels []stream.Tunnel

func (l tunnels) len() int        { return len(l) }
func (l tunnels) at(i int) object { return (*tunnel)(&l[i]) }

type tunnel stream.Tunnel

func (t *tunnel) fields(w fieldWriter) {
	w.str("type", t.Type.String(), always)
	if t.Src.IsValid() {
		w.str("src", t.Src.Unmap().String(), always)
		w.str("dst", t.Dst.Unmap().String(), always)
	}
	if t.HasID {
		w.num(t.Type.IDName(), int64(t.ID), always)
	}
}

// brief is one tunnel of the text's tunnel: line.
func (t *tunnel) brief() string {
	s := t.Type.String()
	if t.Src.IsValid() {
		s += " " + t.Src.Unmap().String() + " -> " + t.Dst.Unmap().String()
	}
	if t.HasID {
		s += " " + t.Type.IDName() + "=" + strconv.FormatUint(uint64(t.ID), 10)
	}
	return s
}

// tunnelPath is the tunnels outermost first, as the text's tunnel: line
// shows them: "vxlan 192.0.2.1 -> 192.0.2.2 vni=100 / mpls label=16".
func tunnelPath(ts []stream.Tunnel) string {
	s := ""
	for i := range ts {
		if i > 0 {
			s += " / "
		}
		s += (*tunnel)(&ts[i]).brief()
	}
	return s
}

package stream

import "net/netip"

// Tunnel is one encapsulation a connection's packets came in
// (ConnInfo.Tunnels lists them outermost first).
type Tunnel struct {
	Type TunnelType
	// Src and Dst are the outer endpoints of the packet that began the
	// connection, sent by A; invalid for MPLS and PPPoE, which carry no IP
	// header of their own.
	Src, Dst netip.Addr
	// ID is what names the tunnel between those endpoints, when the
	// packet carried one (HasID): the VNI of VXLAN and Geneve, the key of
	// GRE, the session id of ERSPAN and PPPoE, the TEID of GTP-U, the
	// label of MPLS.
	ID    uint32
	HasID bool
}

// TunnelType names an encapsulation.
type TunnelType uint8

// Tunnel types, their String the token of docs/report.md (tunnels).
const (
	TunnelVXLAN   TunnelType = iota + 1 // vxlan
	TunnelGeneve                        // geneve
	TunnelGRE                           // gre
	TunnelERSPAN1                       // erspan_i
	TunnelERSPAN2                       // erspan_ii
	TunnelERSPAN3                       // erspan_iii
	TunnelGTPU                          // gtp_u
	TunnelPPPoE                         // pppoe
	TunnelMPLS                          // mpls
	TunnelIPIP                          // ipip
	Tunnel6in4                          // 6in4
	Tunnel4in6                          // 4in6
	Tunnel6in6                          // 6in6
	TunnelTeredo                        // teredo
)

var tunnelNames = [...]string{
	TunnelVXLAN:   "vxlan",
	TunnelGeneve:  "geneve",
	TunnelGRE:     "gre",
	TunnelERSPAN1: "erspan_i",
	TunnelERSPAN2: "erspan_ii",
	TunnelERSPAN3: "erspan_iii",
	TunnelGTPU:    "gtp_u",
	TunnelPPPoE:   "pppoe",
	TunnelMPLS:    "mpls",
	TunnelIPIP:    "ipip",
	Tunnel6in4:    "6in4",
	Tunnel4in6:    "4in6",
	Tunnel6in6:    "6in6",
	TunnelTeredo:  "teredo",
}

func (t TunnelType) String() string {
	if int(t) < len(tunnelNames) && tunnelNames[t] != "" {
		return tunnelNames[t]
	}
	return "unknown"
}

// IDName is the name of the tunnel's ID in the reports: vni, key,
// session_id, teid or label.
func (t TunnelType) IDName() string {
	switch t {
	case TunnelVXLAN, TunnelGeneve:
		return "vni"
	case TunnelGRE:
		return "key"
	case TunnelERSPAN1, TunnelERSPAN2, TunnelERSPAN3, TunnelPPPoE:
		return "session_id"
	case TunnelGTPU:
		return "teid"
	case TunnelMPLS:
		return "label"
	}
	return ""
}

// Command tunnel-wrap wraps every packet of a capture in an
// encapsulation, as a sensor behind a tunnel or a traffic mirror sees it
// (internal/tunnelwrap): hsdecode must report the same on the result as on
// the original, plus the tunnel. Several kinds, outermost first, nest.
//
//	go run ./scripts/tunnel-wrap -kind vxlan -id 100 -o vxlan.pcap testdata/pcaps/01-tls12-ecdhe-rsa.pcap
//	go run ./scripts/tunnel-wrap -kind gre,mpls -o nested.pcap in.pcap
//
// Kinds: vxlan, geneve, gre, gretap, erspan1, erspan2, erspan3, gtpu,
// pppoe, mpls, mpls-pw, ipip, 6in4, 4in6, teredo.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hsdecode/hsdecode/internal/rewrite"
	"github.com/hsdecode/hsdecode/internal/tunnelwrap"
)

func main() {
	kind := flag.String("kind", "", "encapsulations, outermost first, comma separated: "+strings.Join(tunnelwrap.Kinds, ", "))
	id := flag.Uint("id", 1, "VNI, GRE key, ERSPAN or PPPoE session id, base of TEIDs and MPLS labels")
	v6 := flag.Bool("outer6", false, "outer IP headers in IPv6 where the kind allows either")
	out := flag.String("o", "", "write the wrapped capture to this pcap `file`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tunnel-wrap -kind KIND[,KIND...] [-id N] [-outer6] -o OUT.pcap IN.pcap|IN.pcapng")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *kind == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	pkts, err := rewrite.ReadFile(flag.Arg(0))
	if err != nil && len(pkts) == 0 {
		fmt.Fprintln(os.Stderr, "tunnel-wrap:", err)
		os.Exit(1)
	}
	wrapped, err := tunnelwrap.Wrap(pkts, tunnelwrap.Options{Kinds: strings.Split(*kind, ","), ID: uint32(*id), Outer6: *v6})
	if err == nil {
		err = rewrite.WriteFile(*out, wrapped)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tunnel-wrap:", err)
		os.Exit(1)
	}
}

package flows

import (
	"crypto/sha256"
	"math"
	"sort"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// maxCachedCertificates bounds the certificate summaries a Collector
// remembers: a server sends the same chain on every connection, and
// parsing it once is enough.
const maxCachedCertificates = 4096

// Options configures a Collector.
type Options struct {
	// TLSPorts are server ports whose connections are reported even when
	// they carry no TLS (outcome not_tls or incomplete). Nil means
	// DefaultTLSPorts.
	TLSPorts []uint16
	// Follow keeps decoding established connections to their end, so that
	// the alerts closing them (close_notify) are reported; otherwise a
	// connection costs nothing more once its verdict is final.
	Follow bool
	// AsDecided hands each result over (Drain) as soon as its verdict is
	// final, or when its connection closes for those that never get one,
	// rather than at the close: a live capture reports each handshake as it
	// happens, and keeps none of a connection decided hours before it
	// ends. Drain's low is then of no use, and not kept.
	AsDecided bool
	// Keys, when set, holds key material: TLS 1.3 handshakes whose
	// client random it has secrets for are decrypted and checked to their
	// Finished. Nil costs nothing.
	Keys KeyStore
	// KeysGrow says Keys is still being written (a key log followed
	// during a live capture): a connection whose secrets are not there at
	// its ServerHello holds the server's records until the client's next
	// record, by when a client has logged them, and looks again.
	KeysGrow bool
}

// DefaultTLSPorts are the IANA ports of protocols that run over TLS from
// the first byte, plus the usual alternates for HTTPS.
var DefaultTLSPorts = []uint16{443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 3269, 4433, 5061, 5223, 5986, 6697, 8443}

// Collector makes a Tracker per connection (it is a stream.Factory) and
// keeps the results of those worth reporting.
type Collector struct {
	ports     map[uint16]bool
	follow    bool
	asDecided bool
	keys      KeyStore
	keysGrow  bool
	results   []*Result // pointers: a Result is large, and copying it on every growth showed in profiles
	skipped   int64
	certs     map[[sha256.Size]byte]decode.CertInfo

	// open holds the Seq of every connection not yet closed, ascending
	// from openHead, with those closed out of turn in closedEarly: the
	// lowest is the first result still to come (Drain).
	open        []uint64
	openHead    int
	closedEarly map[uint64]struct{}
}

// NewCollector returns an empty Collector.
func NewCollector(o Options) *Collector {
	ports := o.TLSPorts
	if ports == nil {
		ports = DefaultTLSPorts
	}
	c := &Collector{ports: make(map[uint16]bool, len(ports)), follow: o.Follow, asDecided: o.AsDecided, keys: o.Keys, keysGrow: o.KeysGrow}
	for _, p := range ports {
		c.ports[p] = true
	}
	return c
}

// New implements stream.Factory.
func (c *Collector) New(info stream.ConnInfo) stream.Stream {
	if !c.asDecided {
		c.open = append(c.open, info.Seq)
	}
	switch info.Transport {
	case stream.TransportQUIC:
		return newQUICConn(info, c)
	case stream.TransportDTLS:
		return newDTLSConn(info, c)
	}
	return newTracker(info, c)
}

func (c *Collector) tlsPort(p uint16) bool { return c.ports[p] }

// chain summarises a Certificate message, each certificate parsed once per
// Collector. The cache is emptied when full, which keeps it bounded and
// changes no result: a summary depends on the certificate's bytes alone.
func (c *Collector) chain(m *decode.Certificate) *Chain {
	ch := &Chain{Count: len(m.Certificates)}
	n := min(len(m.Certificates), decode.MaxChainCertificates)
	ch.Certificates = make([]decode.CertInfo, n)
	for i, der := range m.Certificates[:n] {
		key := sha256.Sum256(der)
		ci, ok := c.certs[key]
		if !ok {
			ci = decode.ParseCertificate(der)
			if c.certs == nil || len(c.certs) >= maxCachedCertificates {
				c.certs = make(map[[sha256.Size]byte]decode.CertInfo)
			}
			c.certs[key] = ci
		}
		ch.Certificates[i] = ci
	}
	return ch
}

func (c *Collector) add(t *Tracker) {
	if !c.asDecided {
		c.closeSeq(t.res.Seq)
	}
	if !t.reported() {
		c.skipped++
		return
	}
	if t.stage == stageEmitted {
		// The tracker lives on until its connection closes, emptied of
		// its result (emitIfFinal): the result leaves as a copy.
		r := t.res
		c.results = append(c.results, &r)
		return
	}
	// The tracker is done with: its result is handed over in place.
	c.results = append(c.results, &t.res)
}

// closeSeq takes a closed connection off the open list.
func (c *Collector) closeSeq(seq uint64) {
	if c.openHead == len(c.open) || c.open[c.openHead] != seq {
		if c.closedEarly == nil {
			c.closedEarly = make(map[uint64]struct{})
		}
		c.closedEarly[seq] = struct{}{}
		return
	}
	c.openHead++
	for c.openHead < len(c.open) {
		if _, ok := c.closedEarly[c.open[c.openHead]]; !ok {
			break
		}
		delete(c.closedEarly, c.open[c.openHead])
		c.openHead++
	}
	if c.openHead > 1024 && c.openHead > len(c.open)/2 {
		c.open = append(c.open[:0], c.open[c.openHead:]...)
		c.openHead = 0
	}
}

// Drain hands over the results of the connections closed (or, with
// Options.AsDecided, decided) since the last call, in that order, and
// keeps none of them: they are the caller's. low is the
// lowest Seq of a connection still open (math.MaxUint64 when none): no
// result to come has a lower one, so a caller may write, in order, every
// result below it and below the Seq of the next packet, and hold only the
// others (offline output that does not grow with the capture).
func (c *Collector) Drain() (results []*Result, low uint64) {
	results, c.results = c.results, nil
	low = math.MaxUint64
	if c.openHead < len(c.open) {
		low = c.open[c.openHead]
	}
	return results, low
}

// Results returns the results of the closed connections in the order the
// connections began.
func (c *Collector) Results() []Result {
	sort.SliceStable(c.results, func(i, j int) bool { return c.results[i].Seq < c.results[j].Seq })
	out := make([]Result, len(c.results))
	for i, r := range c.results {
		out[i] = *r
	}
	return out
}

// NotReported counts the closed connections left out of the results
// because they carried no TLS and did not go to a TLS port.
func (c *Collector) NotReported() int64 { return c.skipped }

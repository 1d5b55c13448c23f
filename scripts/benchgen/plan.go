package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand"
	"sort"
	"strings"
)

// kind is what one connection of the plan does.
type kind int

// Connection kinds. The resumed kinds follow a full handshake of the same
// family by the same simulated client (a script), so they find a session
// in its cache.
const (
	kTLS13 kind = iota
	kTLS13Resumed
	kTLS12ECDHE
	kTLS12ECDHEResumed
	kTLS12RSA
	kTLS12RSAResumed
	kMTLS13
	kMTLS12
	kUnknownCA13
	kUnknownCA12
	kVersionMismatch
	kNoClientCert13
	kNoClientCert12
	kPlaintextToTLS
	kHangup
	kPlainService
	numKinds
)

// Server ports. All but plainPort are in hsdecode's default TLS ports, so a
// connection to them that carries no TLS is reported (not_tls).
const (
	port13        = 443  // TLS 1.3 only, ECDSA certificate
	port12ECDHE   = 8443 // TLS 1.2 only, ECDHE_RSA suites
	port12RSA     = 4433 // TLS 1.2 only, RSA key exchange suites
	portMTLS      = 636  // TLS 1.2 or 1.3, client certificate required
	portUnknownCA = 853  // TLS 1.2 or 1.3, certificate from a CA the clients do not trust
	portPlain     = 8080 // plain TCP, the same request/response protocol
)

// kindInfo says how a kind is made and what hsdecode must report for it.
type kindInfo struct {
	name    string
	port    int
	expect  string // hsdecode outcome; "" when not reported (no TLS, not a TLS port)
	version string // negotiated version hsdecode must report, "" when none
	resumed bool
	fails   bool // a failing handshake
}

var kinds = [numKinds]kindInfo{
	kTLS13:             {"tls13", port13, "established", "TLS 1.3", false, false},
	kTLS13Resumed:      {"tls13_resumed", port13, "established", "TLS 1.3", true, false},
	kTLS12ECDHE:        {"tls12_ecdhe", port12ECDHE, "established", "TLS 1.2", false, false},
	kTLS12ECDHEResumed: {"tls12_ecdhe_resumed", port12ECDHE, "established", "TLS 1.2", true, false},
	kTLS12RSA:          {"tls12_rsa", port12RSA, "established", "TLS 1.2", false, false},
	kTLS12RSAResumed:   {"tls12_rsa_resumed", port12RSA, "established", "TLS 1.2", true, false},
	kMTLS13:            {"mtls13", portMTLS, "established", "TLS 1.3", false, false},
	kMTLS12:            {"mtls12", portMTLS, "established", "TLS 1.2", false, false},
	kUnknownCA13:       {"fail_unknown_ca13", portUnknownCA, "alert", "TLS 1.3", false, true},
	kUnknownCA12:       {"fail_unknown_ca12", portUnknownCA, "alert", "TLS 1.2", false, true},
	kVersionMismatch:   {"fail_version_mismatch", port13, "alert", "", false, true},
	kNoClientCert13:    {"fail_no_client_cert13", portMTLS, "alert", "TLS 1.3", false, true},
	kNoClientCert12:    {"fail_no_client_cert12", portMTLS, "alert", "TLS 1.2", false, true},
	kPlaintextToTLS:    {"fail_plaintext_to_tls", port13, "not_tls", "", false, true},
	kHangup:            {"fail_hangup_after_client_hello", port13, "incomplete", "", false, true},
	kPlainService:      {"plain_tcp", portPlain, "", "", false, false},
}

func (k kind) String() string { return kinds[k].name }

func kindByName(s string) (kind, bool) {
	for k := range numKinds {
		if kinds[k].name == s {
			return k, true
		}
	}
	return 0, false
}

// exchange is one request and its response.
type exchange struct {
	req, resp int // bytes
}

// conn is one planned connection.
type conn struct {
	kind  kind
	ipv6  bool
	xchg  []exchange
	bytes int64 // application bytes both ways
}

// script is what one simulated client does, in order, over one session
// cache: a first connection, then maybe resumptions of its session.
type script struct {
	conns []conn
}

// family weights, in per mille of scripts: a script begins with one of
// these and, for the resumable ones, may go on with resumptions.
var families = []struct {
	first   kind
	resumed kind // numKinds when not resumable
	weight  int
}{
	{kTLS13, kTLS13Resumed, 530},
	{kTLS12ECDHE, kTLS12ECDHEResumed, 140},
	{kTLS12RSA, kTLS12RSAResumed, 100},
	{kMTLS13, numKinds, 120},
	{kMTLS12, numKinds, 30},
	{kPlainService, numKinds, 20},
	{kUnknownCA13, numKinds, 8},
	{kUnknownCA12, numKinds, 6},
	{kVersionMismatch, numKinds, 8},
	{kNoClientCert13, numKinds, 6},
	{kNoClientCert12, numKinds, 6},
	{kPlaintextToTLS, numKinds, 8},
	{kHangup, numKinds, 8},
}

// Traffic shape. Responses follow a Pareto distribution (heavy tail: most
// are a few kB, a few are many MB), requests a lognormal one, and the number
// of exchanges a geometric one, all capped.
const (
	respMin      = 2000     // Pareto scale x_m, bytes
	respAlpha    = 1.1      // Pareto shape: the smaller, the heavier the tail
	respMax      = 16 << 20 // cap, bytes
	reqMedian    = 400      // lognormal median, bytes
	reqSigma     = 1.0      // lognormal sigma
	reqMax       = 16 << 10 // cap, bytes
	meanExchange = 4.0      // mean of the geometric number of exchanges
	maxExchanges = 60
	resumeProb   = 0.30 // a resumable script goes on with resumptions
	ipv6Share    = 0.10 // connections over ::1 rather than 127.0.0.1
	// overhead is the capture bytes per application byte: pcap record,
	// Ethernet, IP and TCP headers of every 1448-byte segment and of the
	// ACKs, and TLS record headers and tags; measured on loopback with
	// MTU 1500, so that -size-mb gives about that capture size.
	overhead = 1.085
	// handshakeBytes is what a connection costs besides its application
	// data (SYN, handshake, close), in capture bytes.
	handshakeBytes = 6000
)

// mix is what share of the connections that succeed are short: one
// request and a response of shortMin to shortMax bytes, as an API call or
// a health check makes, so that the capture is mostly handshakes.
type mix struct {
	name       string
	shortShare float64
}

// Short connections' responses are uniform in [shortMin, shortMax).
const (
	shortMin = 200
	shortMax = 4000
)

// mixes are the plans -mix chooses from. bulk is the plan of issue 5
// (about 15k connections per GB, bulk data dominates); handshake has about
// twice the connections per GB (issue 18), most of them short. With
// shortShare 0 no random number is drawn for it, so bulk plans are those
// made before mixes existed.
var mixes = []mix{
	{"bulk", 0},
	{"handshake", 0.6},
}

func mixByName(s string) (mix, bool) {
	for _, m := range mixes {
		if m.name == s {
			return m, true
		}
	}
	return mix{}, false
}

// makePlan draws the plan from the seed: scripts until the capture would
// reach sizeMB, or until nconns connections when nconns > 0. The same
// arguments always give the same plan.
func makePlan(seed int64, sizeMB, nconns int, m mix) []script {
	rng := rand.New(rand.NewSource(seed))
	budget := int64(sizeMB) << 20
	var total int64
	var n int
	var plan []script
	sum := 0
	for _, f := range families {
		sum += f.weight
	}
	more := func() bool {
		if nconns > 0 {
			return n < nconns
		}
		return total < budget
	}
	for more() {
		w := rng.Intn(sum)
		fi := 0
		for ; w >= families[fi].weight; fi++ {
			w -= families[fi].weight
		}
		f := families[fi]
		var s script
		s.conns = append(s.conns, drawConn(rng, f.first, m))
		if f.resumed != numKinds && rng.Float64() < resumeProb {
			k := 1
			if rng.Float64() < 0.3 {
				k = 2
			}
			for range k {
				s.conns = append(s.conns, drawConn(rng, f.resumed, m))
			}
		}
		if nconns > 0 && n+len(s.conns) > nconns {
			s.conns = s.conns[:nconns-n]
		}
		for _, c := range s.conns {
			n++
			total += int64(float64(c.bytes)*overhead) + handshakeBytes
		}
		plan = append(plan, s)
	}
	return plan
}

func drawConn(rng *rand.Rand, k kind, m mix) conn {
	c := conn{kind: k, ipv6: rng.Float64() < ipv6Share}
	if kinds[k].fails {
		return c
	}
	if m.shortShare > 0 && rng.Float64() < m.shortShare {
		req := max(int(math.Min(reqMax, reqMedian*math.Exp(reqSigma*rng.NormFloat64()))), 16)
		resp := shortMin + rng.Intn(shortMax-shortMin)
		c.xchg = []exchange{{req, resp}}
		c.bytes = int64(req + resp)
		return c
	}
	// Geometric with mean meanExchange, at least one exchange: a TLS 1.3
	// client reads the session ticket with the first response, which the
	// resumptions of its script need.
	nx := 1
	for nx < maxExchanges && rng.Float64() > 1/meanExchange {
		nx++
	}
	for range nx {
		req := int(math.Min(reqMax, reqMedian*math.Exp(reqSigma*rng.NormFloat64())))
		resp := int(math.Min(respMax, respMin/math.Pow(1-rng.Float64(), 1/respAlpha)))
		req = max(req, 16)
		c.xchg = append(c.xchg, exchange{req, resp})
		c.bytes += int64(req + resp)
	}
	return c
}

// summary writes the plan's counts per kind, its shares and a hash of the
// whole plan, so two runs can be shown to have planned the same thing.
func summary(w io.Writer, plan []script, seed int64, sizeMB int, m mix) {
	var count [numKinds]int
	var bytes [numKinds]int64
	var nconn, nTLS, n12, nres, nfail int
	var total int64
	var sizes []int
	h := fnv.New64a()
	for _, s := range plan {
		fmt.Fprintf(h, "script\n")
		for _, c := range s.conns {
			fmt.Fprintf(h, "%d %v %v\n", c.kind, c.ipv6, c.xchg)
			count[c.kind]++
			bytes[c.kind] += c.bytes
			total += c.bytes
			nconn++
			ki := kinds[c.kind]
			if c.kind != kPlainService {
				nTLS++
			}
			if ki.version == "TLS 1.2" && !ki.fails {
				n12++
			}
			if ki.resumed {
				nres++
			}
			if ki.fails {
				nfail++
			}
			for _, x := range c.xchg {
				sizes = append(sizes, x.resp)
			}
		}
	}
	sort.Ints(sizes)
	pct := func(p float64) int {
		if len(sizes) == 0 {
			return 0
		}
		return sizes[min(len(sizes)-1, int(p*float64(len(sizes))))]
	}
	share := func(a int) string { return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(max(nTLS, 1))) }
	fmt.Fprintf(w, "plan: mix %s, seed %d, size %d MB: %d scripts, %d connections, %d application bytes, hash %016x\n",
		m.name, seed, sizeMB, len(plan), nconn, total, h.Sum64())
	fmt.Fprintf(w, "plan: of %d TLS-port connections: TLS 1.2 established %s, resumed %s, failing %s\n",
		nTLS, share(n12), share(nres), share(nfail))
	fmt.Fprintf(w, "plan: response sizes: median %d, p90 %d, p99 %d, max %d bytes\n", pct(0.5), pct(0.9), pct(0.99), pct(1))
	fmt.Fprintf(w, "plan: %-32s %7s %14s  %-11s %s\n", "kind", "conns", "app bytes", "expect", "port")
	for k := range numKinds {
		ki := kinds[k]
		exp := ki.expect
		if exp == "" {
			exp = "(unreported)"
		}
		fmt.Fprintf(w, "plan: %-32s %7d %14d  %-11s %d\n", ki.name, count[k], bytes[k], exp, ki.port)
	}
}

// kindNames lists the kinds, for usage text.
func kindNames() string {
	var b strings.Builder
	for k := range numKinds {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kinds[k].name)
	}
	return b.String()
}
